package dev.jobs.core;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One finished run of a job: who ran it, when, and how it ended. A job keeps its most recent
 * {@link JobLimits#MAX_ATTEMPT_HISTORY} of them; the run in progress is the job's own {@code
 * attempt}, {@code startedAt} and {@code leaseOwner}.
 *
 * @param number the attempt's number; a snoozed or released run does not count, so the next run
 *     has the same number
 * @param worker the worker that ran it
 * @param startedAt when it started
 * @param endedAt when it ended
 * @param outcome how it ended
 * @param error why it failed or was cancelled; its message shortened to {@link
 *     JobLimits#MAX_ATTEMPT_ERROR_CHARS}, and without the stack trace, which the job's {@code
 *     lastError} keeps
 */
public record Attempt(
        int number, String worker, Instant startedAt, Instant endedAt, Outcome outcome, Optional<JobError> error) {
    public Attempt {
        Objects.requireNonNull(worker, "worker");
        Objects.requireNonNull(startedAt, "startedAt");
        Objects.requireNonNull(endedAt, "endedAt");
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(error, "error");
    }

    /** How long it ran. */
    public Duration duration() {
        return Duration.between(startedAt, endedAt);
    }

    /** How a run ended. */
    public enum Outcome {
        SUCCEEDED,
        /** Failed; the job retried or failed for good, as its state says. */
        FAILED,
        CANCELLED,
        /** The handler asked to run later; not counted. */
        SNOOZED,
        /** Its worker gave it back at shutdown; not counted. */
        RELEASED
    }
}
