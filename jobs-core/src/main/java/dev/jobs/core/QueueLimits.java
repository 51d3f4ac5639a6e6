package dev.jobs.core;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * How much of a queue may run, across every engine sharing the store: at most {@code maxRunning}
 * jobs at once, at most {@code maxStarts} starts per window (a token bucket), and at most {@code
 * maxRunningPerKey} running jobs with the same {@link JobSpec#withConcurrencyKey concurrency key}.
 * The store enforces them when it leases jobs, so a worker never takes a job it may not run; a job
 * held back by a limit stays claimable and is taken as soon as the limit allows, and a key at its
 * limit holds back only its own jobs.
 *
 * <pre>{@code
 * engine.setQueueLimits("partner-api", QueueLimits.none()
 *     .withMaxRunning(20)
 *     .withMaxStarts(100, Duration.ofMinutes(1))
 *     .withMaxRunningPerKey(2));
 * }</pre>
 *
 * <p>Immutable; each {@code with…} method returns a copy and rejects an out-of-range value with a
 * {@link JobValidationException} naming the field.
 *
 * @param maxRunning most jobs of the queue running at once
 * @param maxStarts most starts per window
 * @param maxRunningPerKey most running jobs of the queue with one concurrency key; jobs without a
 *     key are not held by it
 */
public record QueueLimits(OptionalInt maxRunning, Optional<StartRate> maxStarts, OptionalInt maxRunningPerKey) {
    private static final QueueLimits NONE = new QueueLimits(OptionalInt.empty(), Optional.empty(), OptionalInt.empty());

    public QueueLimits {
        Objects.requireNonNull(maxRunning, "maxRunning");
        Objects.requireNonNull(maxStarts, "maxStarts");
        Objects.requireNonNull(maxRunningPerKey, "maxRunningPerKey");
        maxRunning.ifPresent(n -> requireCount("maxRunning", n));
        maxRunningPerKey.ifPresent(n -> requireCount("maxRunningPerKey", n));
    }

    /** No limits: the queue runs as fast as its workers take jobs. */
    public static QueueLimits none() {
        return NONE;
    }

    /** Whether this sets no limit at all. */
    public boolean isNone() {
        return maxRunning.isEmpty() && maxStarts.isEmpty() && maxRunningPerKey.isEmpty();
    }

    /** At most {@code jobs} of the queue running at once, on all engines together. */
    public QueueLimits withMaxRunning(int jobs) {
        return new QueueLimits(OptionalInt.of(jobs), maxStarts, maxRunningPerKey);
    }

    /**
     * At most {@code starts} starts per {@code per}, as a token bucket: it holds up to {@code
     * starts} tokens, refills at {@code starts / per}, and each start takes one. So a quiet queue may
     * start a burst of {@code starts} at once, and a busy one starts {@code starts} per {@code per}
     * on average; in any span {@code t} it starts at most {@code starts × (1 + t / per)}.
     */
    public QueueLimits withMaxStarts(int starts, Duration per) {
        return new QueueLimits(maxRunning, Optional.of(new StartRate(starts, per)), maxRunningPerKey);
    }

    /** At most {@code jobs} running at once per concurrency key; jobs without a key are not held. */
    public QueueLimits withMaxRunningPerKey(int jobs) {
        return new QueueLimits(maxRunning, maxStarts, OptionalInt.of(jobs));
    }

    @Override
    public String toString() {
        if (isNone()) {
            return "no limits";
        }
        var parts = new StringBuilder();
        maxRunning.ifPresent(n -> parts.append("at most ").append(n).append(" running"));
        maxStarts.ifPresent(rate -> parts.append(parts.isEmpty() ? "" : ", ").append(rate));
        maxRunningPerKey.ifPresent(n -> parts.append(parts.isEmpty() ? "" : ", ")
                .append("at most ")
                .append(n)
                .append(" running per key"));
        return parts.toString();
    }

    private static void requireCount(String field, long n) {
        if (n < 1 || n > JobLimits.MAX_QUEUE_LIMIT) {
            throw JobValidationException.of(field, "must be between 1 and " + JobLimits.MAX_QUEUE_LIMIT + ", was " + n);
        }
    }

    /**
     * A start rate: {@code starts} per {@code per}, which is held to whole milliseconds.
     *
     * @param starts the bucket's size, and how many tokens it gains per {@code per}
     * @param per the window, from {@link JobLimits#MIN_START_WINDOW} to {@link JobLimits#MAX_START_WINDOW}
     */
    public record StartRate(int starts, Duration per) {
        public StartRate {
            requireCount("maxStarts.starts", starts);
            Objects.requireNonNull(per, "per");
            if (per.compareTo(JobLimits.MIN_START_WINDOW) < 0 || per.compareTo(JobLimits.MAX_START_WINDOW) > 0) {
                throw JobValidationException.of(
                        "maxStarts.per",
                        "must be from " + JobLimits.MIN_START_WINDOW + " to " + JobLimits.MAX_START_WINDOW + ", was "
                                + per);
            }
            per = Duration.ofMillis(per.toMillis());
        }

        /** Tokens gained per millisecond. */
        public double tokensPerMilli() {
            return (double) starts / per.toMillis();
        }

        @Override
        public String toString() {
            return "at most " + starts + " starts per " + per;
        }
    }
}
