package dev.jobs.core;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Operating the engine and the store it shares with other engines: counts and statistics, health,
 * the worker registry, cancelling and retrying jobs, pausing and limiting queues, purging, and
 * recurring jobs. {@link JobEngine} is one; the HTTP adapter's admin routes and the dashboard are
 * built on these calls.
 */
public interface JobAdmin {
    /**
     * Saves a recurring job for every engine sharing the store, replacing one of the same name. Its
     * first occurrence is the schedule's next after now; when only the template or policy changes,
     * the occurrences already created stay the only ones.
     *
     * @return the recurring job as stored, with its next runs
     * @throws JobValidationException naming every rejected field ({@code template.} for the job's)
     */
    RecurringStatus putRecurring(RecurringJob recurring);

    List<RecurringStatus> recurring();

    /**
     * The recurring job of this name, with its next runs.
     *
     * @throws IllegalStateException if its stored definition cannot be read (written by a newer engine)
     */
    Optional<RecurringStatus> recurring(String name);

    /**
     * Stops a recurring job on every engine sharing the store; the jobs it already created stay. A
     * job registered on the builder is saved again when an engine with it starts.
     *
     * @return whether there was one of this name
     */
    boolean deleteRecurring(String name);

    List<QueueCounts> counts();

    /**
     * How each queue's jobs that finished since {@code since} went: successes, failures, mean run
     * time. Read from the store, so it covers every engine sharing it.
     */
    List<QueueStats> queueStats(Instant since);

    /**
     * Checks that the store and the dispatch queue answer, for a health endpoint: a cheap read of
     * each.
     *
     * @throws StoreUnavailableException if either cannot be reached
     */
    void checkHealth();

    /**
     * Jobs that succeeded or failed per minute (UTC) since {@code since}, from the store, so it
     * covers every engine sharing it. Minutes without any are left out.
     */
    List<FinishedInMinute> finishedPerMinute(Instant since);

    /**
     * The workers in the registry (this engine's and every other sharing the store), including those
     * declared dead within the last hour.
     */
    List<WorkerInfo> workers();

    /**
     * A page of the worker registry in id order, for registries too large to read at once.
     *
     * @param after the {@link WorkerPage#nextCursor()} of the previous page; empty for the first
     * @param limit 1 to {@link JobLimits#MAX_PAGE_SIZE}
     * @throws JobValidationException if {@code limit} is out of range
     */
    WorkerPage workers(Optional<String> after, int limit);

    /**
     * Cancels a job: at once if it waits, or by telling its handler if it runs (see {@link
     * JobContext#isCancelled()}).
     *
     * @return the job after the request
     * @throws JobNotFoundException if there is no such job
     * @throws InvalidTransitionException if it already succeeded or failed
     */
    Job cancel(UUID jobId);

    /**
     * Runs a failed or cancelled job again, with at least one more attempt.
     *
     * @throws JobNotFoundException if there is no such job
     * @throws InvalidTransitionException if it is not failed or cancelled
     */
    Job retry(UUID jobId);

    /**
     * What the dispatch queue holds for a queue (ready, delayed, in flight), when it keeps state of
     * its own, as Redis does; empty when dispatch reads the store, whose {@link #counts()} say it.
     *
     * @throws StoreUnavailableException if the dispatch queue cannot be reached
     */
    Optional<DispatchDepth> dispatchDepth(String queueName);

    void pauseQueue(String queueName);

    void resumeQueue(String queueName);

    /**
     * Sets how much of a queue may run, for every engine sharing the store; {@link
     * QueueLimits#none()} lifts every limit. Jobs already running are not stopped: a lowered limit
     * holds back new starts until the queue is under it.
     *
     * @throws JobValidationException if the queue name is not valid
     */
    void setQueueLimits(String queueName, QueueLimits limits);

    Map<String, QueueLimits> queueLimits();

    int purge(PurgeRequest request);

    /** The durable steps a job recorded ({@link JobContext#step}), in order; empty for none. */
    List<JobStep> steps(UUID jobId);

    /** The last checkpoint a job saved ({@link JobContext#checkpoint}); empty for none. */
    Optional<JobCheckpoint> checkpoint(UUID jobId);
}
