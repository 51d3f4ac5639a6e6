package dev.jobs.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A clock that stands still until a test moves it. Give it to the engine and the store, then
 * {@link #advance} through backoffs, delays and timeouts instantly. Thread-safe; time never moves
 * backwards.
 */
public final class VirtualClock extends Clock {
    /** A fixed, recognisable start: tests that print instants read the same every run. */
    public static final Instant DEFAULT_START = Instant.parse("2030-01-01T00:00:00Z");

    private final AtomicReference<Instant> now;
    private final ZoneId zone;

    public VirtualClock(Instant start) {
        this(new AtomicReference<>(start), ZoneOffset.UTC);
    }

    public VirtualClock() {
        this(DEFAULT_START);
    }

    private VirtualClock(AtomicReference<Instant> now, ZoneId zone) {
        this.now = now;
        this.zone = zone;
    }

    /** Moves time forward. */
    public Instant advance(Duration duration) {
        if (duration.isNegative()) {
            throw new IllegalArgumentException("a virtual clock only moves forward, not by " + duration);
        }
        return now.updateAndGet(t -> t.plus(duration));
    }

    /** Moves time forward to {@code instant}; an earlier instant leaves the clock where it is. */
    public Instant advanceTo(Instant instant) {
        return now.updateAndGet(t -> instant.isAfter(t) ? instant : t);
    }

    @Override
    public Instant instant() {
        return now.get();
    }

    @Override
    public ZoneId getZone() {
        return zone;
    }

    @Override
    public Clock withZone(ZoneId newZone) {
        return new VirtualClock(now, newZone);
    }
}
