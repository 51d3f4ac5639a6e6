package dev.jobs.core;

import java.util.Locale;
import java.util.Optional;

/**
 * Named priority levels. A lower number runs first; any number from {@link #MIN} to {@link #MAX}
 * is allowed, and the names map to fixed points in that range so a host can slot its own levels
 * between them.
 */
public final class Priority {
    /** The most urgent priority allowed. */
    public static final int MIN = 0;

    /** The least urgent priority allowed. */
    public static final int MAX = 100;

    public static final int CRITICAL = 0;
    public static final int HIGH = 25;
    public static final int NORMAL = 50;
    public static final int LOW = 75;

    private Priority() {}

    /**
     * The number for a level name ({@code critical}, {@code high}, {@code normal}, {@code low}),
     * case-insensitive; empty for any other text.
     */
    public static Optional<Integer> named(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "critical" -> Optional.of(CRITICAL);
            case "high" -> Optional.of(HIGH);
            case "normal" -> Optional.of(NORMAL);
            case "low" -> Optional.of(LOW);
            default -> Optional.empty();
        };
    }
}
