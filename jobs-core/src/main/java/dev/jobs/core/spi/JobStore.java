package dev.jobs.core.spi;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jobs.core.FinishedInMinute;
import dev.jobs.core.Job;
import dev.jobs.core.JobError;
import dev.jobs.core.JobPage;
import dev.jobs.core.JobQuery;
import dev.jobs.core.LeaseLostException;
import dev.jobs.core.PurgeRequest;
import dev.jobs.core.QueueCounts;
import dev.jobs.core.QueueLimits;
import dev.jobs.core.QueueStats;
import dev.jobs.core.WorkerInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * The system of record for jobs. Every implementation enforces {@link dev.jobs.core.JobState}'s
 * transition table, applies {@link DependencyRule}, changes a job's dependents in the same
 * transaction as the job, and passes the conformance suite in {@code jobs-testkit}.
 *
 * <p>Fencing: {@code heartbeat}, {@code reportProgress}, {@code complete}, {@code fail}, {@code
 * cancelRunning}, {@code snooze} and {@code release} carry the lease token the job was acquired
 * with. If the job is no longer {@code RUNNING} under that token they throw {@link
 * dev.jobs.core.LeaseLostException} and change nothing. A lease that has lapsed but not yet been
 * reclaimed is still honoured: no other worker can hold the job until it is reclaimed.
 *
 * <p>Implementations are thread-safe and safe to share between engine instances (each through its
 * own store object over one database). Times come from the store's clock. Failures to reach the
 * backing system throw {@link dev.jobs.core.StoreUnavailableException}.
 *
 * <p>This SPI may change between minor versions.
 */
public interface JobStore extends AutoCloseable {

    /**
     * Creates every job of the batch, or none.
     *
     * <p>A job whose unique key is held by an unfinished job (or by an earlier member of the batch)
     * is not created: the holder is returned in its place, and members that depend on it depend on
     * the holder. A job with dependencies starts as {@link DependencyRule#resolve} says; one without
     * starts {@code READY}, or {@code SCHEDULED} when its {@code runAt} is in the future.
     *
     * @param jobs the batch, free of dependency cycles (the engine checks)
     * @return the stored jobs, in the order given
     * @throws dev.jobs.core.JobValidationException when a dependency names no existing job and no
     *     member of the batch (field {@code [index].dependsOn}); nothing is created
     */
    List<Job> create(List<NewJob> jobs);

    /**
     * Leases up to {@code maxJobs} claimable jobs whose {@code runAt} has come, from the requested
     * queues that are not paused: lowest priority number first, then earliest {@code runAt}, then
     * oldest id. Each acquired job is {@code RUNNING}, its attempt counted, with a new lease token;
     * no job is leased to two workers at once.
     *
     * <p>A queue with {@linkplain #setQueueLimits limits} gives only what they allow, counted over
     * every engine sharing the store: claims on it are serialised, its running jobs counted, and its
     * start bucket spent, in the claim's own transaction. A job whose concurrency key is at its limit
     * is passed over for the next one in claim order. Jobs of limited queues fill what the queues
     * without limits leave of {@code maxJobs}.
     */
    List<Job> acquire(AcquireRequest request);

    /**
     * Leases those of {@code candidates} that {@link #acquire(AcquireRequest)} could take now:
     * claimable, due, on one of the request's queues, that queue not paused, at most {@code maxJobs}
     * of them in claim order, within the queues' limits. The others (cancelled, running, finished, not due, unknown) are skipped
     * and left exactly as they are. This is how a dispatch queue in front of the store (Redis) turns
     * the ids it handed out into leases: the store confirms, so a job is never run because the queue
     * alone said so.
     */
    List<Job> acquire(AcquireRequest request, Collection<UUID> candidates);

    /** Extends a lease to {@code leaseDuration} from now and reports whether cancellation was asked. */
    HeartbeatResult heartbeat(UUID jobId, UUID leaseToken, Duration leaseDuration);

    /**
     * Records a running job's progress.
     *
     * @param progress 0 to 100
     * @param message what the handler is doing, if it says
     */
    Job reportProgress(UUID jobId, UUID leaseToken, int progress, Optional<String> message);

    /** {@code RUNNING → SUCCEEDED}, with the handler's result; releases its dependents. */
    Transition complete(UUID jobId, UUID leaseToken, Optional<JsonNode> result);

    /**
     * Completes many running jobs at once, as the worker pool does under load so that many outcomes
     * cost one transaction. Each completion is fenced on its own: a stale token refuses only its
     * item, which changes nothing. The default completes them one by one; stores override it to
     * write the batch together.
     *
     * @return one result per completion, in the same order
     */
    default List<CompletionResult> completeAll(List<Completion> completions) {
        var results = new ArrayList<CompletionResult>(completions.size());
        for (Completion completion : completions) {
            try {
                results.add(CompletionResult.recorded(
                        complete(completion.jobId(), completion.leaseToken(), completion.result())));
            } catch (LeaseLostException e) {
                results.add(CompletionResult.refused(e));
            }
        }
        return results;
    }

    /**
     * A failed attempt: {@code RUNNING → RETRYING} at {@code retryAt}, or {@code FAILED} when empty
     * (which cancels or releases its dependents per their policy).
     */
    Transition fail(UUID jobId, UUID leaseToken, JobError error, Optional<Instant> retryAt);

    /**
     * The running job stopped because it was cancelled (by an operator, seen by the handler, or by
     * the handler's own choice): {@code RUNNING → CANCELLED}, with the reason as its last error.
     */
    Transition cancelRunning(UUID jobId, UUID leaseToken, JobError reason);

    /**
     * The handler asked to run again later: {@code RUNNING → SCHEDULED} (or {@code READY} if {@code
     * runAt} has passed); the attempt does not count.
     */
    Transition snooze(UUID jobId, UUID leaseToken, Instant runAt);

    /**
     * The worker gives the job back unfinished (shutdown): {@code RUNNING → READY} at once; the
     * attempt does not count.
     */
    Transition release(UUID jobId, UUID leaseToken);

    /**
     * Cancels a job. A waiting job becomes {@code CANCELLED} (and its {@code CANCEL} dependents with
     * it); a running job is flagged {@code cancelRequested} and its worker told at its next heartbeat;
     * a cancelled job is returned unchanged.
     *
     * @throws dev.jobs.core.JobNotFoundException if there is no such job
     * @throws dev.jobs.core.InvalidTransitionException if it already succeeded or failed
     */
    Transition cancel(UUID jobId);

    /**
     * An operator's retry of a {@code FAILED} or {@code CANCELLED} job: it becomes {@code READY} (or
     * {@code PENDING} while a dependency is unfinished) with at least one attempt left; dependents
     * that were cancelled because it failed wait for it again.
     *
     * @throws dev.jobs.core.JobNotFoundException if there is no such job
     * @throws dev.jobs.core.InvalidTransitionException if it is not failed or cancelled, if a
     *     dependency it needs has failed, or if an unfinished job now holds its unique key
     */
    Transition retry(UUID jobId);

    /**
     * Ends the attempts whose lease lapsed (their worker crashed or lost the store): each becomes
     * {@code CANCELLED} if cancellation was asked, otherwise {@code RETRYING} at the instant {@code
     * policy} gives or {@code FAILED} when it gives none; the error is {@link JobError#LEASE_EXPIRED}.
     * Safe to run on every instance at once.
     *
     * @param limit at most this many leases per call
     */
    List<Transition> reclaimExpiredLeases(int limit, LapsedLeasePolicy policy);

    /**
     * Shows due scheduled jobs as {@code READY} ({@code SCHEDULED → READY}).
     *
     * @param limit at most this many per call
     * @return the promoted jobs
     */
    List<Job> promoteDueJobs(int limit);

    /**
     * When the next job on these queues becomes claimable: now (or earlier) if one already is; empty
     * when none is waiting. Paused queues are ignored. On a limited queue only a job its limits would
     * let start counts, and not before its start bucket holds a token; a queue running all it may
     * counts as having none (a job ending frees a slot, and wakes this engine's workers).
     */
    Optional<Instant> earliestRunAt(Set<String> queues);

    Optional<Job> get(UUID jobId);

    /**
     * The places of {@code queue}'s claimable jobs (ready, scheduled or retrying, due or not, the
     * queue paused or not) in claim order ({@link ClaimPlace#ORDER}): the first {@code limit} after
     * {@code after}, or from the head when it is empty. A dispatch queue in front of the store
     * re-publishes from this what it lost, oldest first, so that the order jobs are handed out in
     * survives the loss; it reads no payloads, so a pass over a large backlog stays cheap.
     *
     * @param limit at most this many, at least 1
     */
    List<ClaimPlace> claimOrder(String queue, Optional<ClaimPlace> after, int limit);

    /** A page of jobs matching the query, newest first. */
    JobPage list(JobQuery query);

    /** Counts per queue and state, for every queue that holds a job or is paused. */
    List<QueueCounts> counts();

    /**
     * For each queue with jobs that succeeded or failed at or after {@code finishedSince}: how many
     * of each, and the mean time their last attempts ran ({@code finishedAt - startedAt}).
     */
    List<QueueStats> queueStats(Instant finishedSince);

    /**
     * Jobs that succeeded or failed at or after {@code since}, counted per minute (UTC), oldest
     * first; minutes without any are left out.
     */
    List<FinishedInMinute> finishedPerMinute(Instant since);

    /** Deletes finished jobs per the request; returns how many. */
    int purge(PurgeRequest request);

    /** Pauses or resumes acquisition from a queue, for every engine sharing this store. */
    void setQueuePaused(String queue, boolean paused);

    Set<String> pausedQueues();

    /**
     * Sets a queue's limits for every engine sharing this store; {@link QueueLimits#none()} removes
     * them. Setting the limits a queue has already changes nothing, so every instance may set its
     * code's limits at start; a changed start rate starts with a full bucket.
     */
    void setQueueLimits(String queue, QueueLimits limits);

    /** Every queue that has limits, with them. */
    Map<String, QueueLimits> queueLimits();

    /**
     * Adds or refreshes a worker in the registry. A worker declared dead or stopped that reports
     * again is alive again; the jobs taken back from it stay taken (its old leases fail with {@link
     * dev.jobs.core.LeaseLostException}). An id registered to another {@link WorkerInfo#owner()} is
     * refused unless that worker stopped, atomically with the check: two owners racing for a free id
     * end with one of them holding it. A stored worker without an owner (registered before owners
     * were kept) is taken by the first to report.
     *
     * @throws dev.jobs.core.WorkerIdTakenException if another owner holds the id; nothing changes
     */
    void registerWorker(WorkerInfo worker);

    void removeWorker(String workerId);

    /**
     * A worker says it is stopping: it is marked stopped (listed as such, never declared dead, its id
     * free for anyone) and the jobs it is running are handed back at once ({@link
     * JobTransitions#released}), in one transaction.
     *
     * @return the worker as stopped, with the jobs handed back; empty if no such worker is registered
     */
    Optional<StoppedWorker> stopWorker(String workerId);

    List<WorkerInfo> workers();

    /**
     * A page of the registry in id order: up to {@code limit} workers whose ids sort after {@code
     * after} (from the first when empty), so a registry of any size is read in bounded pieces.
     */
    List<WorkerInfo> workers(Optional<String> after, int limit);

    /** The worker registered under this id, if any. */
    Optional<WorkerInfo> worker(String id);

    /**
     * Declares dead every live worker past its {@link WorkerInfo#expiresAt()}, and takes back the
     * jobs it is running, in the same transaction: each ends as {@link JobTransitions#abandoned}
     * (retrying at the instant {@code policy} gives, failed when it gives none, cancelled if
     * cancellation was asked), whether or not its lease has run out. Each worker is declared dead by
     * exactly one call, so its jobs are taken back once, even when every instance runs this at once.
     * A {@linkplain WorkerInfo#remote() remote} worker running nothing is removed from the registry
     * instead: there is nothing to take back, and ids made up by clients must not pile up.
     *
     * @return the workers this call declared dead, with the jobs it took back
     */
    List<DeadWorker> reapDeadWorkers(LapsedLeasePolicy policy);

    /** Removes workers, dead or alive, whose last heartbeat is older than {@code cutoff}; returns how many. */
    int removeWorkersSilentSince(Instant cutoff);

    /**
     * Saves a recurring job's definition, for every engine sharing the store. A new name is stored
     * with its mark at {@code upToIfNew}. For a name already stored, an identical definition changes
     * nothing (so every instance may save its code-registered schedules at start); another definition
     * replaces the stored one and keeps the mark, unless the schedule changed, in which case the mark
     * moves to {@code upToIfNew}, so that the new schedule misses nothing and makes up nothing.
     *
     * @return the record as stored now
     */
    RecurringRecord saveRecurring(String name, String schedule, JsonNode definition, Instant upToIfNew);

    /** Every recurring job, by name. */
    List<RecurringRecord> recurringJobs();

    Optional<RecurringRecord> recurringJob(String name);

    /**
     * Deletes a recurring job's definition; jobs it already created stay.
     *
     * @return whether there was one
     */
    boolean deleteRecurring(String name);

    /**
     * Moves a recurring job's mark to {@code upTo} and creates its occurrences' jobs, in one
     * transaction, if the record is still at {@code expectedVersion}; otherwise changes nothing.
     * Every instance may try the same occurrences at once: one wins, the others find the version
     * moved, so each occurrence is created once.
     *
     * @param jobs the occurrences' jobs, created as {@link #create} would
     * @return the created jobs, or empty when the record was changed (or deleted) since it was read
     */
    Optional<List<Job>> advanceRecurring(String name, long expectedVersion, Instant upTo, List<NewJob> jobs);

    /**
     * Asks to be told when any process commits claimable jobs, so idle workers wake at once instead
     * of at their next poll (PostgreSQL's LISTEN/NOTIFY, for example).
     *
     * @param onQueueChanged called with a queue's name, on a thread of the store's; must be fast
     * @return false for stores that cannot tell, whose workers only poll
     */
    default boolean subscribe(Consumer<String> onQueueChanged) {
        return false;
    }

    /**
     * The database's view of the store's upkeep (table sizes, dead rows, what holds vacuum back),
     * read afresh; sampled by the engine every half minute or so, never on a hot path.
     *
     * @return empty for stores that have nothing to say (in memory, or a database without such statistics)
     */
    default Optional<StoreHealth> health() {
        return Optional.empty();
    }

    /** Releases connections and threads the store owns. */
    @Override
    default void close() {}

    /** Decides what a job whose lease lapsed, or whose worker died, does next. */
    @FunctionalInterface
    interface LapsedLeasePolicy {
        /** The instant to retry at, or empty to fail the job for good. */
        Optional<Instant> retryAt(Job lapsed);
    }
}
