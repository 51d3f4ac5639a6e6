package dev.jobs.core;

import java.util.UUID;

/** No job has this id: it was never created, or it was purged by retention. */
public final class JobNotFoundException extends JobsException {
    private static final long serialVersionUID = 1L;

    private final UUID jobId;

    public JobNotFoundException(UUID jobId) {
        super("no job " + jobId + " (never created, or purged by retention)");
        this.jobId = jobId;
    }

    public UUID jobId() {
        return jobId;
    }
}
