package dev.jobs.core;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * What a handler sees of its job while it runs. Confined to the attempt it was given for; {@link
 * #progress} and {@link #isCancelled} may be called from any thread the handler starts.
 *
 * @param <T> the payload type
 */
public interface JobContext<T> {
    /** The payload, converted to the type the handler was registered with. */
    T payload();

    /** The job as it was when this attempt started. */
    Job job();

    default UUID jobId() {
        return job().id();
    }

    /** This attempt's number, 1 for the first. */
    default int attempt() {
        return job().attempt();
    }

    /** Records progress (0–100), shown to operators. */
    void progress(int percent);

    /** Records progress (0–100) with a message saying what the handler is doing. */
    void progress(int percent, String message);

    /**
     * Whether cancellation was asked for. A long handler checks this and stops early; one that does
     * not is interrupted after the engine's cancellation grace period.
     */
    boolean isCancelled();

    /**
     * Runs a durable step: the first attempt of the job that reaches it runs {@code work} and records
     * its result with the job, under this attempt's lease, before going on; a later attempt (a
     * retry, or another worker taking over the job of one that crashed) gets the recorded result
     * back and {@code work} does not run again. A step is known by its place among the job's steps,
     * and its name must match what was recorded there: an attempt that asks for its steps in another
     * order fails with {@link StepOrderException}, and is not retried.
     *
     * <p>If {@code work} throws, nothing is recorded and the exception goes on: the attempt fails as
     * any other, and a retry runs the step again. A step that ran but whose result was not yet
     * recorded (the worker died in between) runs again too; past the record, never.
     *
     * @param name the step's name: 1 to {@link JobLimits#MAX_STEP_NAME_LENGTH} printable characters
     * @param type what the result is read back as on a later attempt, through the engine's object
     *     mapper, as payloads are
     * @return {@code work}'s result; on a later attempt, the recorded one
     * @throws LeaseLostException if this attempt no longer holds the job: stop working on it
     * @throws JobValidationException if the result cannot be stored (the rules for payloads), or the
     *     job would have more than {@link JobLimits#MAX_STEPS} steps
     */
    <R> R step(String name, Class<R> type, StepWork<R> work) throws Exception;

    /**
     * A durable step, as {@link #step(String, Class, StepWork)}, whose result is given as JSON on
     * every attempt, the first too (converted with the engine's object mapper).
     */
    JsonNode step(String name, StepWork<?> work) throws Exception;

    /**
     * Saves {@code state} with the job, under this attempt's lease, in place of the last checkpoint:
     * a later attempt (a retry, or another worker taking over) reads it with {@link
     * #lastCheckpoint} and resumes from there, as an import of a million rows resumes from the last
     * row it saved. Saved at once, in a write of its own, so it is there whatever happens next.
     *
     * @param state converted with the engine's object mapper, held to the rules and the size limit
     *     of payloads
     * @throws LeaseLostException if this attempt no longer holds the job: stop working on it
     * @throws JobValidationException if the state cannot be stored
     */
    void checkpoint(Object state);

    /**
     * The state the job's last checkpoint saved, by this attempt or an earlier one, converted to
     * {@code type} with the engine's object mapper; empty when none was saved.
     */
    <S> Optional<S> lastCheckpoint(Class<S> type);

    /**
     * What each of this job's dependencies (its parents) came to, in the order it lists them, each
     * with its name where the job has one (the parent's ref in the {@link JobGraph} that created
     * them): for a fan-in job that combines its parents' results. Read from the store.
     */
    List<ParentResult> parentResults();

    /**
     * The result of the parent this job knows as {@code name} (its ref in the graph), converted to
     * {@code type} with the engine's object mapper; empty when that parent returned nothing.
     *
     * @throws JobsException if no parent has that name, or it has not succeeded
     */
    <R> Optional<R> parentResult(String name, Class<R> type);

    /** The work of a durable step. */
    @FunctionalInterface
    interface StepWork<R> {
        R run() throws Exception;
    }
}
