package dev.jobs.core.spi.support;

import dev.jobs.core.Job;
import dev.jobs.core.JobPage;
import dev.jobs.core.JobValidationException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Makes job ids for the engine, and orders them for stores: UUID version 7 (RFC 9562), a 48-bit millisecond timestamp followed by a counter
 * and random bits, so ids sort by creation time and index well. Thread-safe: generation is
 * synchronized so ids from one generator are strictly increasing even within one millisecond and
 * when the clock steps back.
 */
public final class JobIds {
    /**
     * Orders ids as unsigned 128-bit numbers, which for v7 ids is creation order. {@link
     * UUID#compareTo} compares signed halves and would not.
     */
    public static final Comparator<UUID> ORDER = (a, b) -> {
        // Written out rather than with Comparator.comparing, which would box both halves on every
        // comparison of every sorted index of the in-memory store.
        int high = Long.compareUnsigned(a.getMostSignificantBits(), b.getMostSignificantBits());
        return high != 0 ? high : Long.compareUnsigned(a.getLeastSignificantBits(), b.getLeastSignificantBits());
    };

    private static final int COUNTER_BITS = 12;

    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private long lastMillis = -1;
    private int counter;

    /**
     * The page of a newest-first listing, with the cursor that resumes after its last job when more
     * jobs follow. The cursor is the last id; {@link #cursorId} reads it back.
     */
    public static JobPage page(List<Job> jobs, boolean more) {
        return new JobPage(
                jobs, more ? Optional.of(jobs.get(jobs.size() - 1).id().toString()) : Optional.empty());
    }

    /**
     * The id a cursor made by {@link #page} resumes after.
     *
     * @throws JobValidationException naming {@code cursor} if no store made this cursor
     */
    public static UUID cursorId(String cursor) {
        try {
            return UUID.fromString(cursor);
        } catch (IllegalArgumentException e) {
            throw JobValidationException.of("cursor", "was not issued by this store; start again without a cursor");
        }
    }

    public JobIds(Clock clock) {
        this.clock = clock;
    }

    /** The next id; greater than every id this generator made before. */
    public synchronized UUID next() {
        long millis = Math.max(clock.millis(), lastMillis);
        if (millis == lastMillis) {
            counter++;
            if (counter >= (1 << COUNTER_BITS)) {
                // 4096 ids in one millisecond: borrow the next millisecond rather than repeat.
                millis++;
                counter = 0;
            }
        } else {
            counter = random.nextInt(1 << (COUNTER_BITS - 1));
        }
        lastMillis = millis;
        long high = (millis << 16) | (0x7L << 12) | counter;
        long low = (random.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
        return new UUID(high, low);
    }
}
