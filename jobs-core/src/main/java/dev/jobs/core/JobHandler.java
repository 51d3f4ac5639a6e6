package dev.jobs.core;

/**
 * Runs one job type. Register it on the engine's builder with the payload class it expects.
 *
 * <p>Return the result (any value Jackson can write as JSON; {@code null} for none), or an {@link
 * Outcome} to end the attempt another way (snooze, discard, cancel). Throwing means "this attempt
 * failed": the retry policy decides what happens next. Handlers run concurrently, on virtual
 * threads by default, and must be thread-safe. Side effects should be idempotent: execution is
 * at-least-once, and {@link JobContext#attempt()} and the job id help.
 *
 * @param <T> the payload type
 */
@FunctionalInterface
public interface JobHandler<T> {
    Object handle(JobContext<T> context) throws Exception;
}
