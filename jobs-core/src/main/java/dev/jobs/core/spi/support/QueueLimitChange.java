package dev.jobs.core.spi.support;

import dev.jobs.core.QueueLimits;
import dev.jobs.core.spi.JobTransaction.LimitedQueue;
import dev.jobs.core.spi.QueueSettingsStore;
import dev.jobs.core.spi.StartBucket;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The one rule for setting a queue's limits over what a store holds ({@link
 * QueueSettingsStore#setQueueLimits}): {@link QueueLimits#none()} removes them; the limits the
 * queue has already change nothing, so every instance may set its code's limits at start; a new or
 * changed start rate starts with a full bucket, while other changes keep what is left of it.
 *
 * @param limits the limits to store; {@link QueueLimits#isNone()} when they are to be removed
 * @param bucket the start bucket to store with them; empty when they have no start rate
 */
public record QueueLimitChange(QueueLimits limits, Optional<StartBucket> bucket) {
    public QueueLimitChange {
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(bucket, "bucket");
    }

    /**
     * @param stored the queue's limits as the store holds them, locked; empty if it has none
     * @return the change to write; empty when nothing changes
     */
    public static Optional<QueueLimitChange> over(Optional<LimitedQueue> stored, QueueLimits limits, Instant now) {
        if (limits.isNone()) {
            return Optional.of(new QueueLimitChange(limits, Optional.empty()));
        }
        if (stored.isPresent() && stored.get().limits().equals(limits)) {
            return Optional.empty();
        }
        Optional<StartBucket> kept = stored.filter(
                        queue -> queue.limits().maxStarts().equals(limits.maxStarts()))
                .flatMap(LimitedQueue::bucket);
        Optional<StartBucket> bucket =
                limits.maxStarts().map(rate -> kept.orElseGet(() -> StartBucket.full(rate, now)));
        return Optional.of(new QueueLimitChange(limits, bucket));
    }

    /** Whether the queue's limits are to be removed. */
    public boolean removes() {
        return limits.isNone();
    }
}
