package dev.jobs.core.internal;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * A failure that recurs while its cause lasts, logged as a WARN at most once per interval with a
 * count of those since the last, the rest at DEBUG: while the store is down, every running job
 * fails to record its outcome, and every maintenance task fails its round, again and again, and one
 * line every so often tells an operator as much as hundreds would. Thread-safe.
 */
public final class ThrottledWarning {
    private final Duration every;
    private final AtomicLong next = new AtomicLong(System.nanoTime());
    private final AtomicLong since = new AtomicLong();

    public ThrottledWarning(Duration every) {
        this.every = every;
    }

    /** Logs {@code message} with {@code args} to {@code log}: a WARN if one is due, else DEBUG. */
    public void log(Logger log, String message, Object... args) {
        long now = System.nanoTime();
        long due = next.get();
        if (now - due >= 0 && next.compareAndSet(due, now + every.toNanos())) {
            Object[] withCount = Arrays.copyOf(args, args.length + 2);
            withCount[args.length] = since.getAndSet(0);
            withCount[args.length + 1] = every;
            log.warn(
                    message + " ({} more such failures since the last warning; those of the next {} are logged at"
                            + " DEBUG)",
                    withCount);
        } else {
            since.incrementAndGet();
            log.debug(message, args);
        }
    }
}
