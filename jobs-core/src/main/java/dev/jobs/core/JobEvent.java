package dev.jobs.core;

import java.time.Instant;
import java.util.Objects;

/**
 * Something that happened to a job, after the store committed it.
 *
 * @param kind what happened
 * @param job the job just after it happened
 * @param at when, by the engine's clock
 */
public record JobEvent(Kind kind, Job job, Instant at) {
    public JobEvent {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(job, "job");
        Objects.requireNonNull(at, "at");
    }

    /** The kinds of event. */
    public enum Kind {
        /** Created (state {@code PENDING}, {@code SCHEDULED} or {@code READY}). */
        CREATED,
        /** A worker acquired it and an attempt started. */
        STARTED,
        /** Its handler reported progress. */
        PROGRESS,
        /** Its handler succeeded. */
        SUCCEEDED,
        /** An attempt failed; another follows at {@code runAt}. */
        RETRYING,
        /** It failed for good. */
        FAILED,
        /** It was cancelled (by an operator, its handler, or a failed dependency). */
        CANCELLED,
        /** Cancellation was asked while it ran; its handler is told. */
        CANCEL_REQUESTED,
        /** Its handler asked to run again later. */
        SNOOZED,
        /** Its worker gave it back unfinished (shutdown). */
        LEASE_RELEASED,
        /** An operator retried it, or it waits again for a retried dependency. */
        RETRIED,
        /** Its dependencies finished; it can run. */
        DEPENDENCIES_MET,
        /** Its {@code runAt} came; it is ready. */
        PROMOTED
    }
}
