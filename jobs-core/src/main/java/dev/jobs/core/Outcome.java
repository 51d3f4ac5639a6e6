package dev.jobs.core;

import java.time.Duration;
import java.util.Objects;

/**
 * Ends an attempt other than by success or by throwing: return one from {@link
 * JobHandler#handle}.
 */
public sealed interface Outcome {
    /** Run again after {@code delay}; this attempt does not count towards {@code maxAttempts}. */
    static Outcome snooze(Duration delay) {
        return new Snooze(delay);
    }

    /** Fail for good, without retrying, with this reason as the job's last error. */
    static Outcome discard(String reason) {
        return new Discard(reason);
    }

    /** Cancel the job, with this reason as its last error. */
    static Outcome cancel(String reason) {
        return new Cancel(reason);
    }

    /** See {@link Outcome#snooze}. */
    record Snooze(Duration delay) implements Outcome {
        public Snooze {
            if (delay.isNegative() || delay.compareTo(JobLimits.MAX_DURATION) > 0) {
                throw new IllegalArgumentException(
                        "snooze delay must be between 0 and " + JobLimits.MAX_DURATION + ", was " + delay);
            }
        }
    }

    /** See {@link Outcome#discard}. */
    record Discard(String reason) implements Outcome {
        public Discard {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** See {@link Outcome#cancel}. */
    record Cancel(String reason) implements Outcome {
        public Cancel {
            Objects.requireNonNull(reason, "reason");
        }
    }
}
