package dev.jobs.core;

import java.util.Objects;

/**
 * What {@link JobEngine#submit} did.
 *
 * @param job the new job, or the existing one returned in its place
 * @param created true when this call created {@code job}; false when an unfinished job held the
 *     spec's unique key, or a job created earlier with its idempotency key was returned
 */
public record Enqueued(Job job, boolean created) {
    public Enqueued {
        Objects.requireNonNull(job, "job");
    }
}
