package dev.jobs.core.spi;

import dev.jobs.core.Job;
import dev.jobs.core.spi.support.JobIds;
import java.time.Instant;
import java.util.Comparator;
import java.util.Objects;
import java.util.UUID;

/**
 * A claimable job's place in its queue's claim order, the order every store claims in: lowest
 * priority number first, then earliest {@code runAt}, then oldest id. What a dispatch queue in
 * front of the store needs to hand the job out in turn, without its payload ({@link
 * JobStore#claimOrder}).
 *
 * @param id the job
 * @param priority its priority
 * @param runAt when it may run
 */
public record ClaimPlace(UUID id, int priority, Instant runAt) {
    /** The claim order. */
    public static final Comparator<ClaimPlace> ORDER = Comparator.comparingInt(ClaimPlace::priority)
            .thenComparing(ClaimPlace::runAt)
            .thenComparing(ClaimPlace::id, JobIds.ORDER);

    public ClaimPlace {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(runAt, "runAt");
    }

    /** The place {@code job} has now. */
    public static ClaimPlace of(Job job) {
        return new ClaimPlace(job.id(), job.priority(), job.runAt());
    }
}
