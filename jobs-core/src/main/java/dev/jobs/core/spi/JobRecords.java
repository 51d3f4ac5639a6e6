package dev.jobs.core.spi;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jobs.core.HeartbeatResult;
import dev.jobs.core.Job;
import dev.jobs.core.JobError;
import dev.jobs.core.JobPage;
import dev.jobs.core.JobQuery;
import dev.jobs.core.LeaseLostException;
import dev.jobs.core.PurgeRequest;
import dev.jobs.core.spi.support.DependencyRule;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * The jobs of a {@link JobStore}: created, claimed, heartbeated, finished, cancelled and retried,
 * read, listed and purged. Fencing, dependents and the transition table are as {@link JobStore}
 * says; the use cases in {@code dev.jobs.core.spi.support} implement them over a {@link
 * JobTransaction}.
 *
 * <p>This SPI may change between minor versions.
 */
public interface JobRecords {
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

    /** Deletes finished jobs per the request; returns how many. */
    int purge(PurgeRequest request);

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
}
