package dev.jobs.core;

/**
 * A worker id is registered to another owner (see {@link WorkerInfo#owner()}): another token's
 * remote worker, or an engine. Nothing was changed; the caller should use an id of its own. An id
 * is free again once its owner stops cleanly or is pruned from the registry.
 */
public final class WorkerIdTakenException extends JobsException {
    private static final long serialVersionUID = 1L;

    private final String workerId;

    public WorkerIdTakenException(String workerId) {
        super("worker id '" + workerId + "' belongs to another owner; use an id of your own (nothing was changed)");
        this.workerId = workerId;
    }

    public String workerId() {
        return workerId;
    }
}
