package dev.jobs.store.jdbc;

import dev.jobs.core.Job;
import dev.jobs.core.JobCheckpoint;
import dev.jobs.core.JobStep;
import dev.jobs.core.WorkerInfo;
import dev.jobs.core.spi.IdempotencyKey;
import dev.jobs.core.spi.JobTransaction;
import dev.jobs.core.spi.NewJob;
import dev.jobs.core.spi.StartBucket;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.jdbi.v3.core.Handle;

/**
 * One database transaction as core's use cases see it ({@link JobTransaction}): rows locked, read
 * and written through {@link JobTable}, unique keys through {@link JobKeys}, claims' rows through
 * {@link ClaimRows}, workers' through {@link WorkerRegistry}'s statements, instants kept to the
 * microsecond as the columns hold them. Used by the thread that opened the transaction, for it only.
 */
final class JdbcTransaction implements JobTransaction {
    private final Handle h;
    private final Instant now;
    private final JobTable table;
    private final JobKeys keys;

    private final ClaimRows claims;
    private final DurableWorkRows steps;

    JdbcTransaction(Handle h, Instant now, JobTable table, JobKeys keys, ClaimRows claims, DurableWorkRows steps) {
        this.h = h;
        this.now = now;
        this.table = table;
        this.keys = keys;
        this.claims = claims;
        this.steps = steps;
    }

    @Override
    public Instant now() {
        return now;
    }

    @Override
    public Instant stored(Instant instant) {
        return JobRows.micros(instant);
    }

    @Override
    public Optional<Job> lock(UUID jobId) {
        return table.lock(h, jobId);
    }

    @Override
    public Map<UUID, Job> read(Collection<UUID> jobIds) {
        return table.read(h, jobIds);
    }

    @Override
    public Map<UUID, Job> lockAll(Collection<UUID> jobIds) {
        return table.lockAll(h, jobIds);
    }

    @Override
    public void insert(List<Job> jobs, Map<UUID, Integer> unfinishedDependencies) {
        table.insert(h, jobs, unfinishedDependencies);
    }

    @Override
    public List<Dependent> lockDependents(UUID parentId) {
        return table.lockDependents(h, parentId);
    }

    @Override
    public void setUnfinishedDependencies(UUID jobId, int count) {
        table.setPendingDependencies(h, jobId, count);
    }

    @Override
    public void write(Job previous, Job next) {
        table.write(h, previous, next);
    }

    @Override
    public Optional<UUID> takeUniqueKey(String uniqueKey, UUID jobId) {
        return keys.claimUniqueKey(h, uniqueKey, jobId);
    }

    @Override
    public Map<String, IdempotencyKey.Holder> idempotencyKeyHolders(List<NewJob> batch) {
        return keys.heldIdempotencyKeys(h, batch);
    }

    @Override
    public Optional<UUID> takeIdempotencyKey(IdempotencyKey key, UUID jobId) {
        return keys.claimIdempotencyKey(h, key, jobId);
    }

    @Override
    public void answerIdempotencyKeyWith(IdempotencyKey key, UUID jobId) {
        keys.answerIdempotencyKeyWith(h, key, jobId);
    }

    @Override
    public Optional<WorkerInfo> lockWorker(String workerId) {
        return WorkerRegistry.lock(h, workerId);
    }

    @Override
    public boolean insertWorkerIfAbsent(WorkerInfo worker) {
        return WorkerRegistry.insertIfAbsent(h, keys.inserts(), worker);
    }

    @Override
    public void updateWorker(WorkerInfo worker) {
        WorkerRegistry.update(h, worker);
    }

    @Override
    public List<WorkerInfo> lockExpiredWorkers() {
        return WorkerRegistry.lockExpired(h, now);
    }

    @Override
    public List<Job> lockRunningJobsOf(String workerId) {
        return table.lockRunningJobsOf(h, workerId);
    }

    @Override
    public boolean declareDead(String workerId) {
        return WorkerRegistry.declareDead(h, workerId, now);
    }

    @Override
    public void forgetSilentWorker(String workerId) {
        WorkerRegistry.forgetSilent(h, workerId, now);
    }

    @Override
    public Optional<WorkerInfo> markStopped(String workerId) {
        return WorkerRegistry.markStopped(h, workerId, now);
    }

    @Override
    public void writeAll(List<Job> previous, List<Job> next) {
        table.writeAll(h, next);
    }

    @Override
    public List<Job> lockClaimable(Set<String> queues, int max, Optional<List<UUID>> candidates) {
        return claims.lockClaimable(h, now, queues, max, candidates);
    }

    @Override
    public List<LimitedQueue> lockLimitedQueues(Set<String> queues) {
        return claims.lockLimitedQueues(h, queues);
    }

    @Override
    public Running running(String queue) {
        return claims.running(h, queue);
    }

    @Override
    public List<Job> lockClaimableIn(
            String queue, int max, Set<String> saturatedKeys, Optional<List<UUID>> candidates) {
        return claims.lockClaimableIn(h, now, queue, max, saturatedKeys, candidates);
    }

    @Override
    public void saveStartBucket(String queue, StartBucket bucket) {
        claims.saveStartBucket(h, queue, bucket);
    }

    @Override
    public List<JobStep> steps(UUID jobId) {
        return steps.read(h, jobId);
    }

    @Override
    public void insertStep(UUID jobId, int index, JobStep step) {
        steps.insert(h, jobId, index, step);
    }

    @Override
    public Optional<JobCheckpoint> checkpoint(UUID jobId) {
        return steps.checkpoint(h, jobId);
    }

    @Override
    public void writeCheckpoint(UUID jobId, JobCheckpoint checkpoint) {
        steps.writeCheckpoint(h, jobId, checkpoint);
    }

    @Override
    public void nameDependencies(UUID jobId, Map<UUID, String> names) {
        steps.nameDependencies(h, jobId, names);
    }
}
