package dev.jobs.core;

/**
 * The store was reached and refused the operation for a reason that trying again will not mend: a
 * constraint or data error, a schema that does not match the engine, a bug in the engine or in the
 * store. The operation did not take effect. Unlike {@link StoreUnavailableException} this is not an
 * outage: it needs a person, and the message says what the store answered.
 */
public final class StoreFailureException extends JobsException {
    private static final long serialVersionUID = 1L;

    public StoreFailureException(String message, Throwable cause) {
        super(message, cause);
    }
}
