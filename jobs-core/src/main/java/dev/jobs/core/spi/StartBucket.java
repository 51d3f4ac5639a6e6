package dev.jobs.core.spi;

import dev.jobs.core.QueueLimits.StartRate;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * The token bucket behind a queue's {@link dev.jobs.core.QueueLimits#maxStarts() start rate}, as a
 * store keeps it: how many tokens it held at an instant. It refills continuously at the rate's
 * pace, up to the rate's {@code starts}; each start takes one token. Immutable.
 *
 * @param tokens tokens held at {@code at}, from 0 to the rate's {@code starts}
 * @param at when it held them
 */
public record StartBucket(double tokens, Instant at) {
    public StartBucket {
        Objects.requireNonNull(at, "at");
    }

    /** A full bucket, as a newly set rate starts with. */
    public static StartBucket full(StartRate rate, Instant now) {
        return new StartBucket(rate.starts(), now);
    }

    /** The bucket at {@code now}, refilled for the time since {@link #at()} (a clock that went back adds nothing). */
    public StartBucket refilled(StartRate rate, Instant now) {
        long elapsedMillis = Math.max(0, Duration.between(at, now).toMillis());
        double refilled = Math.min(rate.starts(), tokens + elapsedMillis * rate.tokensPerMilli());
        return new StartBucket(refilled, now.isAfter(at) ? now : at);
    }

    /** Whole starts the bucket allows now. */
    public int startsAvailable() {
        return (int) Math.floor(tokens);
    }

    /** The bucket after {@code starts} starts. */
    public StartBucket spent(int starts) {
        return new StartBucket(tokens - starts, at);
    }

    /** When the bucket next holds a whole token; {@link #at()} if it does already. */
    public Instant nextTokenAt(StartRate rate) {
        if (tokens >= 1) {
            return at;
        }
        long millis = (long) Math.ceil((1 - tokens) / rate.tokensPerMilli());
        return at.plusMillis(Math.max(1, millis));
    }
}
