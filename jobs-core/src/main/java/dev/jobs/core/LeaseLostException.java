package dev.jobs.core;

import java.util.UUID;

/**
 * A worker reported on a job with a lease token that is no longer current: its lease lapsed and
 * the job was reclaimed, or the job was finished some other way. Nothing was changed; the worker
 * must drop the job.
 */
public final class LeaseLostException extends JobsException {
    private static final long serialVersionUID = 1L;

    private final UUID jobId;

    public LeaseLostException(UUID jobId, String detail) {
        super("lease on job " + jobId + " is no longer held: " + detail + "; nothing was changed");
        this.jobId = jobId;
    }

    public UUID jobId() {
        return jobId;
    }
}
