package dev.jobs.core;

/**
 * The base of every exception the engine throws. Unchecked; a driver's exception (JDBC, Redis)
 * stays the cause and never appears in the API.
 */
public class JobsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public JobsException(String message) {
        super(message);
    }

    public JobsException(String message, Throwable cause) {
        super(message, cause);
    }
}
