package dev.jobs.core;

import dev.jobs.core.spi.support.Storable;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.Objects;

/**
 * The failure of one attempt, as stored with the job: the exception type, its message and its
 * stack trace (cut at {@link JobLimits#MAX_STACK_TRACE_CHARS}).
 *
 * @param type the exception's class name, or a name the engine gives (such as {@code
 *     LeaseExpired})
 * @param message what went wrong; may be empty
 * @param stackTrace the stack trace; empty when the failure did not come from an exception
 */
public record JobError(String type, String message, String stackTrace) {
    /** Type of the error recorded when a worker's lease lapsed before it reported an outcome. */
    public static final String LEASE_EXPIRED = "LeaseExpired";

    /**
     * Type of the error recorded when the worker running the attempt stopped reporting to the
     * registry and was declared dead.
     */
    public static final String WORKER_DIED = "WorkerDied";

    /** Type of the error recorded when an attempt ran past its timeout. */
    public static final String TIMEOUT = "Timeout";

    /** Type of the error recorded on a job cancelled because a dependency failed. */
    public static final String DEPENDENCY_FAILED = "DependencyFailed";

    public JobError {
        Objects.requireNonNull(type, "type");
        message = Storable.cut(Objects.requireNonNullElse(message, ""), JobLimits.MAX_ERROR_MESSAGE_CHARS);
        stackTrace = Storable.cut(Objects.requireNonNullElse(stackTrace, ""), JobLimits.MAX_STACK_TRACE_CHARS);
    }

    /** The error for a thrown exception. */
    public static JobError of(Throwable failure) {
        var trace = new StringWriter();
        failure.printStackTrace(new PrintWriter(trace));
        return new JobError(
                failure.getClass().getName(),
                Storable.repaired(Objects.requireNonNullElse(failure.getMessage(), "")),
                Storable.repaired(trace.toString()));
    }

    /** The error of an attempt that ran past its timeout: it names the timeout that was set. */
    public static JobError timedOut(Duration timeout) {
        return of(
                TIMEOUT, "the attempt ran longer than its timeout of " + timeout + " (" + timeout.toMillis() + " ms)");
    }

    /**
     * An error the engine records itself, without an exception (a handler's reason to discard or
     * cancel among them): characters no store keeps become U+FFFD, since nobody could correct them.
     */
    public static JobError of(String type, String message) {
        return new JobError(type, Storable.repaired(Objects.requireNonNullElse(message, "")), "");
    }
}
