package dev.jobs.core.spi;

import dev.jobs.core.Job;
import dev.jobs.core.JobCheckpoint;
import dev.jobs.core.JobStep;
import dev.jobs.core.QueueLimits;
import dev.jobs.core.WorkerInfo;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * One transaction of a store, as the use cases in {@code dev.jobs.core.spi.support} see it: a few
 * primitives over job rows, which each store implements in how it keeps them, while the rules
 * (which move is legal, what a job's dependents become, what is refused and why) are written once,
 * in core. Everything done through one instance commits or rolls back together; an instance is used
 * by one thread, for one transaction.
 */
public interface JobTransaction {

    /** The store's current time, the same for the whole transaction. */
    Instant now();

    /**
     * An instant as the store keeps it: a store whose columns hold microseconds rounds here, so that
     * what a use case returns equals what a later read gives.
     */
    default Instant stored(Instant instant) {
        return instant;
    }

    /** The job, locked until the transaction ends; empty if there is none. */
    Optional<Job> lock(UUID jobId);

    /** These jobs as they are, without locking them; the ones that do not exist are left out. */
    Map<UUID, Job> read(Collection<UUID> jobIds);

    /** These jobs, locked in id order until the transaction ends; the ones that do not exist are left out. */
    Map<UUID, Job> lockAll(Collection<UUID> jobIds);

    /**
     * Inserts new jobs, each with the edges to the jobs it depends on and, when it waits, how many of
     * them are unfinished. As {@link #write} does for a change, the store counts the new jobs, gives
     * up the unique key of one created in a final state, and wakes idle workers for claimable ones.
     *
     * @param unfinishedDependencies by job id, for the jobs created {@code PENDING}
     */
    void insert(List<Job> jobs, Map<UUID, Integer> unfinishedDependencies);

    /**
     * Records the names a new job (inserted in this transaction) has for some of its dependencies,
     * by their ids: the refs of a graph's nodes, by which its handler reads their results.
     */
    void nameDependencies(UUID jobId, Map<UUID, String> names);

    /** The jobs that depend on {@code parentId}, locked, in a stable order, each with its count. */
    List<Dependent> lockDependents(UUID parentId);

    /** Records how many of a waiting job's dependencies are unfinished. */
    void setUnfinishedDependencies(UUID jobId, int count);

    /**
     * Writes a job's next snapshot over {@code previous} (as locked in this transaction). The store
     * keeps what follows from the change: its counts of jobs entering or leaving a final state, the
     * unique key a finished job gives up, and the wake-up of idle workers for claimable jobs.
     */
    void write(Job previous, Job next);

    /**
     * Writes many jobs' next snapshots over {@code previous} (the same jobs, in the same order), none
     * of them entering or leaving a final state: a claim's leases. One batch where the store can.
     */
    default void writeAll(List<Job> previous, List<Job> next) {
        for (int i = 0; i < next.size(); i++) {
            write(previous.get(i), next.get(i));
        }
    }

    /**
     * Claimable jobs whose {@code runAt} has come, on those of {@code queues} that are neither paused
     * nor limited, locked (skipping any another claim holds), in claim order: lowest priority number,
     * then earliest {@code runAt}, then oldest id. At most {@code max}.
     *
     * @param candidates when present, only these jobs may be returned
     */
    List<Job> lockClaimable(Set<String> queues, int max, Optional<List<UUID>> candidates);

    /** Those of {@code queues} that have limits and are not paused, their limit entries locked in name order. */
    List<LimitedQueue> lockLimitedQueues(Set<String> queues);

    /** How many of a queue's jobs run now, in all and per concurrency key. */
    Running running(String queue);

    /**
     * {@link #lockClaimable} on one limited queue, leaving out jobs whose concurrency key is among
     * {@code saturatedKeys}.
     */
    List<Job> lockClaimableIn(String queue, int max, Set<String> saturatedKeys, Optional<List<UUID>> candidates);

    /** Stores a limited queue's start bucket after a claim took starts from it. */
    void saveStartBucket(String queue, StartBucket bucket);

    /**
     * Takes {@code uniqueKey} for {@code jobId} unless another unfinished job holds it.
     *
     * @return the other holder, in which case nothing changed
     */
    Optional<UUID> takeUniqueKey(String uniqueKey, UUID jobId);

    /** The stored holders of the idempotency keys {@code batch} names, by key. */
    Map<String, IdempotencyKey.Holder> idempotencyKeyHolders(List<NewJob> batch);

    /**
     * Takes {@code key} for {@code jobId} unless a job holds it already; a concurrent creator with
     * the same key waits until the first one's transaction ends.
     *
     * @return the holder, when it is another job
     * @throws dev.jobs.core.IdempotencyKeyReusedException if the holder came from a different request
     */
    Optional<UUID> takeIdempotencyKey(IdempotencyKey key, UUID jobId);

    /** Points a key this transaction just took at the job the request was answered with instead. */
    void answerIdempotencyKeyWith(IdempotencyKey key, UUID jobId);

    /** The worker registered under {@code workerId}, its entry locked; empty if there is none. */
    Optional<WorkerInfo> lockWorker(String workerId);

    /**
     * Registers a worker under an id no entry has yet.
     *
     * @return whether it did; false when another transaction registered the id first (this one then
     *     waited for it to end)
     */
    boolean insertWorkerIfAbsent(WorkerInfo worker);

    /** Overwrites a registered worker's entry (locked by {@link #lockWorker}) with {@code worker}. */
    void updateWorker(WorkerInfo worker);

    /**
     * The live workers whose registration ran out by {@link #now()}, their entries locked in id
     * order, leaving out any another transaction holds (so that each is reaped by one transaction).
     */
    List<WorkerInfo> lockExpiredWorkers();

    /**
     * The jobs a worker is running, locked. A job another transaction moved on while this one waited
     * for its lock (a lease reclaimer that got there first) is left out.
     */
    List<Job> lockRunningJobsOf(String workerId);

    /**
     * Records that a live worker was declared dead now.
     *
     * @return whether this transaction did; false when the worker stopped or was declared dead meanwhile
     */
    boolean declareDead(String workerId);

    /** Removes a worker that is still live and silent from the registry. */
    void forgetSilentWorker(String workerId);

    /**
     * Marks a worker stopped now, if it was not already.
     *
     * @return the worker as stopped; empty if no such worker is registered
     */
    Optional<WorkerInfo> markStopped(String workerId);

    /**
     * A queue with limits, as a claim finds it.
     *
     * @param bucket its start bucket as stored, if it has a start rate (absent: full)
     */
    record LimitedQueue(String name, QueueLimits limits, Optional<StartBucket> bucket) {}

    /** A queue's running jobs: how many in all, and how many per concurrency key. */
    record Running(int total, Map<String, Integer> byKey) {
        public Running {
            byKey = Map.copyOf(byKey);
        }
    }

    /**
     * A job that depends on another, with how many of its dependencies had not finished when it was
     * last counted ({@link #setUnfinishedDependencies}).
     */
    record Dependent(Job job, int unfinishedDependencies) {}

    /** The steps recorded for a job, in order. */
    List<JobStep> steps(UUID jobId);

    /** Records a job's step at {@code index}, the number of steps it had. */
    void insertStep(UUID jobId, int index, JobStep step);

    /** A job's last checkpoint. */
    Optional<JobCheckpoint> checkpoint(UUID jobId);

    /** Saves a job's checkpoint over the one it had, if any. */
    void writeCheckpoint(UUID jobId, JobCheckpoint checkpoint);
}
