package dev.jobs.core;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Which finished jobs retention deletes: those finished before an instant, and those beyond the
 * newest {@code keepLatestPerQueue} finished jobs of each queue. Unfinished jobs are never purged.
 *
 * @param finishedBefore delete finished jobs older than this
 * @param keepLatestPerQueue keep at most this many finished jobs per queue
 */
public record PurgeRequest(Optional<Instant> finishedBefore, OptionalInt keepLatestPerQueue) {
    public PurgeRequest {
        Objects.requireNonNull(finishedBefore, "finishedBefore");
        Objects.requireNonNull(keepLatestPerQueue, "keepLatestPerQueue");
        if (keepLatestPerQueue.isPresent() && keepLatestPerQueue.getAsInt() < 0) {
            throw new IllegalArgumentException("keepLatestPerQueue must not be negative");
        }
    }

    public static PurgeRequest finishedBefore(Instant instant) {
        return new PurgeRequest(Optional.of(instant), OptionalInt.empty());
    }

    public static PurgeRequest keepLatestPerQueue(int count) {
        return new PurgeRequest(Optional.empty(), OptionalInt.of(count));
    }
}
