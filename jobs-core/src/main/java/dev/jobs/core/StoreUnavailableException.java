package dev.jobs.core;

/**
 * The store or queue could not be reached or failed mid-operation. The operation may or may not
 * have taken effect; the engine retries its own calls, a host should retry with the same unique
 * key or idempotency key.
 */
public final class StoreUnavailableException extends JobsException {
    private static final long serialVersionUID = 1L;

    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
