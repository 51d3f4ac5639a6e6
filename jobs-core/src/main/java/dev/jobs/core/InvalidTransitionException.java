package dev.jobs.core;

import java.util.UUID;

/**
 * An operation asked for a state change that {@link JobState}'s table does not allow, such as
 * retrying a job that is still running. Nothing was changed.
 */
public final class InvalidTransitionException extends JobsException {
    private static final long serialVersionUID = 1L;

    private final UUID jobId;
    private final JobState state;

    public InvalidTransitionException(UUID jobId, JobState state, String detail) {
        super("job " + jobId + " is " + state + ": " + detail);
        this.jobId = jobId;
        this.state = state;
    }

    public UUID jobId() {
        return jobId;
    }

    /** The state the job was in when the operation was refused. */
    public JobState state() {
        return state;
    }
}
