package dev.jobs.core;

import java.util.UUID;

/**
 * An idempotency key came back with a different job than the one it created: the caller reused a
 * key for new work. Nothing was created. Use a new key for a new job.
 */
public class IdempotencyKeyReusedException extends JobsException {
    private static final long serialVersionUID = 1L;

    private final String key;
    private final UUID existingJobId;

    public IdempotencyKeyReusedException(String key, UUID existingJobId) {
        super("idempotency key '" + key + "' already created job " + existingJobId
                + " from a different request; use a new key for a new job");
        this.key = key;
        this.existingJobId = existingJobId;
    }

    public String key() {
        return key;
    }

    /** The job the key created. */
    public UUID existingJobId() {
        return existingJobId;
    }
}
