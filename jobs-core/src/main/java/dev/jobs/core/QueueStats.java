package dev.jobs.core;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How one queue's jobs went lately: those that finished since a point in time. Cancelled jobs are
 * left out, since a cancellation says nothing about the work.
 *
 * @param queue the queue
 * @param succeeded jobs that succeeded
 * @param failed jobs that failed for good (their last attempt failed and none followed)
 * @param averageRunTime the mean run time of their last attempts; empty when none finished
 */
public record QueueStats(String queue, long succeeded, long failed, Optional<Duration> averageRunTime) {
    public QueueStats {
        Objects.requireNonNull(queue, "queue");
        Objects.requireNonNull(averageRunTime, "averageRunTime");
    }

    /** Succeeded as a share of succeeded and failed, 0 to 1; empty when none finished. */
    public Optional<Double> successRate() {
        long finished = succeeded + failed;
        return finished == 0 ? Optional.empty() : Optional.of((double) succeeded / finished);
    }
}
