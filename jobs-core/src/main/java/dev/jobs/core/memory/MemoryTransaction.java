package dev.jobs.core.memory;

import dev.jobs.core.Job;
import dev.jobs.core.JobCheckpoint;
import dev.jobs.core.JobStep;
import dev.jobs.core.WorkerInfo;
import dev.jobs.core.spi.IdempotencyKey;
import dev.jobs.core.spi.JobTransaction;
import dev.jobs.core.spi.JobTransaction.Dependent;
import dev.jobs.core.spi.JobTransaction.LimitedQueue;
import dev.jobs.core.spi.JobTransaction.Running;
import dev.jobs.core.spi.NewJob;
import dev.jobs.core.spi.StartBucket;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Core's view of one step of the in-memory store, under its lock ({@link JobTransaction}): the rows
 * are {@link MemoryRows}' tables, and every write goes through {@link MemoryRows#replace}. Used for
 * one step only.
 */
final class MemoryTransaction implements JobTransaction {
    private final MemoryRows rows;
    private final Instant now;

    MemoryTransaction(MemoryRows rows, Instant now) {
        this.rows = rows;
        this.now = now;
    }

    @Override
    public Instant now() {
        return now;
    }

    @Override
    public Optional<Job> lock(UUID jobId) {
        return Optional.ofNullable(rows.jobs.get(jobId));
    }

    @Override
    public Map<UUID, Job> read(Collection<UUID> jobIds) {
        var found = new HashMap<UUID, Job>();
        for (UUID id : jobIds) {
            Job job = rows.jobs.get(id);
            if (job != null) {
                found.put(id, job);
            }
        }
        return found;
    }

    @Override
    public Map<UUID, Job> lockAll(Collection<UUID> jobIds) {
        return read(jobIds);
    }

    @Override
    public void insert(List<Job> created, Map<UUID, Integer> unfinished) {
        for (Job job : created) {
            for (UUID dependency : job.dependsOn()) {
                rows.dependents
                        .computeIfAbsent(dependency, id -> new LinkedHashSet<>())
                        .add(job.id());
            }
            if (unfinished.containsKey(job.id())) {
                rows.unfinishedDependencies.put(job.id(), unfinished.get(job.id()));
            }
            rows.replace(null, job);
            if (job.isTerminal()) {
                job.uniqueKey().ifPresent(key -> rows.uniqueKeyHolders.remove(key, job.id()));
            }
        }
    }

    @Override
    public void nameDependencies(UUID jobId, Map<UUID, String> names) {
        rows.dependencyNames.put(jobId, Map.copyOf(names));
    }

    @Override
    public List<Dependent> lockDependents(UUID parentId) {
        return rows.dependents.getOrDefault(parentId, Set.of()).stream()
                .map(id -> new Dependent(rows.jobs.get(id), rows.unfinishedDependencies.getOrDefault(id, 0)))
                .toList();
    }

    @Override
    public void setUnfinishedDependencies(UUID jobId, int count) {
        rows.unfinishedDependencies.put(jobId, count);
    }

    @Override
    public void write(Job previous, Job next) {
        rows.replace(previous, next);
    }

    @Override
    public Optional<UUID> takeUniqueKey(String uniqueKey, UUID jobId) {
        UUID holder = rows.uniqueKeyHolders.get(uniqueKey);
        if (holder != null && !holder.equals(jobId)) {
            return Optional.of(holder);
        }
        rows.uniqueKeyHolders.put(uniqueKey, jobId);
        return Optional.empty();
    }

    @Override
    public Map<String, IdempotencyKey.Holder> idempotencyKeyHolders(List<NewJob> batch) {
        return rows.idempotencyKeys;
    }

    @Override
    public Optional<UUID> takeIdempotencyKey(IdempotencyKey key, UUID jobId) {
        IdempotencyKey.Holder holder =
                rows.idempotencyKeys.putIfAbsent(key.key(), new IdempotencyKey.Holder(jobId, key.fingerprint()));
        if (holder == null) {
            return Optional.empty();
        }
        holder.requireMatches(key);
        return holder.jobId().equals(jobId) ? Optional.empty() : Optional.of(holder.jobId());
    }

    @Override
    public void answerIdempotencyKeyWith(IdempotencyKey key, UUID jobId) {
        rows.idempotencyKeys.put(key.key(), new IdempotencyKey.Holder(jobId, key.fingerprint()));
    }

    @Override
    public Optional<WorkerInfo> lockWorker(String workerId) {
        return Optional.ofNullable(rows.workers.get(workerId));
    }

    @Override
    public boolean insertWorkerIfAbsent(WorkerInfo worker) {
        return rows.workers.putIfAbsent(worker.id(), worker) == null;
    }

    @Override
    public void updateWorker(WorkerInfo worker) {
        rows.workers.put(worker.id(), worker);
    }

    @Override
    public List<WorkerInfo> lockExpiredWorkers() {
        return rows.workers.values().stream()
                .filter(worker -> worker.alive() && !worker.expiresAt().isAfter(now))
                .sorted(Comparator.comparing(WorkerInfo::id))
                .toList();
    }

    @Override
    public List<Job> lockRunningJobsOf(String workerId) {
        return rows.leased.stream()
                .filter(job -> job.leaseOwner().orElseThrow().equals(workerId))
                .toList();
    }

    @Override
    public boolean declareDead(String workerId) {
        WorkerInfo worker = rows.workers.get(workerId);
        if (worker == null || !worker.alive()) {
            return false;
        }
        rows.workers.put(workerId, worker.declaredDeadAt(now));
        return true;
    }

    @Override
    public void forgetSilentWorker(String workerId) {
        rows.workers.remove(workerId);
    }

    @Override
    public Optional<WorkerInfo> markStopped(String workerId) {
        WorkerInfo worker = rows.workers.get(workerId);
        if (worker == null) {
            return Optional.empty();
        }
        WorkerInfo stopped = worker.stoppedAt().isPresent() ? worker : worker.stopped(now);
        rows.workers.put(workerId, stopped);
        return Optional.of(stopped);
    }

    @Override
    public List<Job> lockClaimable(Set<String> requested, int max, Optional<List<UUID>> candidates) {
        Set<String> open = requested.stream()
                .filter(queue -> !rows.paused.contains(queue) && !rows.limits.containsKey(queue))
                .collect(Collectors.toSet());
        Stream<Job> claimable = candidates.isPresent()
                ? dueAmong(candidates.get()).filter(job -> open.contains(job.queue()))
                : open.stream().map(rows.queues::get).filter(Objects::nonNull).flatMap(index -> {
                    index.moveDue(now);
                    return index.due.stream().limit(max);
                });
        return claimable.sorted(MemoryRows.CLAIM_ORDER).limit(max).toList();
    }

    @Override
    public List<LimitedQueue> lockLimitedQueues(Set<String> requested) {
        return requested.stream()
                .filter(queue -> rows.limits.containsKey(queue) && !rows.paused.contains(queue))
                .sorted()
                .map(queue ->
                        new LimitedQueue(queue, rows.limits.get(queue), Optional.ofNullable(rows.buckets.get(queue))))
                .toList();
    }

    @Override
    public Running running(String queue) {
        var byKey = new HashMap<String, Integer>();
        int total = 0;
        for (Job job : rows.leased) {
            if (job.queue().equals(queue)) {
                total++;
                job.concurrencyKey().ifPresent(key -> byKey.merge(key, 1, Integer::sum));
            }
        }
        return new Running(total, byKey);
    }

    @Override
    public List<Job> lockClaimableIn(
            String queue, int max, Set<String> saturatedKeys, Optional<List<UUID>> candidates) {
        MemoryRows.QueueIndex index = rows.queues.get(queue);
        if (index == null) {
            return List.of();
        }
        index.moveDue(now);
        Stream<Job> claimable = candidates.isPresent()
                ? dueAmong(candidates.get())
                        .filter(job -> job.queue().equals(queue))
                        .sorted(MemoryRows.CLAIM_ORDER)
                : index.due.stream();
        return claimable
                .filter(job -> job.concurrencyKey()
                        .map(key -> !saturatedKeys.contains(key))
                        .orElse(true))
                .limit(max)
                .toList();
    }

    @Override
    public void saveStartBucket(String queue, StartBucket bucket) {
        rows.buckets.put(queue, bucket);
    }

    /** Those of the ids that name claimable jobs whose runAt has come. */
    private Stream<Job> dueAmong(List<UUID> ids) {
        return ids.stream()
                .map(rows.jobs::get)
                .filter(job ->
                        job != null && job.state().isClaimable() && !job.runAt().isAfter(now));
    }

    @Override
    public List<JobStep> steps(UUID jobId) {
        return List.copyOf(rows.steps.getOrDefault(jobId, List.of()));
    }

    @Override
    public void insertStep(UUID jobId, int index, JobStep step) {
        List<JobStep> recorded = rows.steps.computeIfAbsent(jobId, id -> new ArrayList<>());
        if (recorded.size() != index) {
            throw new IllegalStateException("step " + index + " of job " + jobId + " inserted after " + recorded.size()
                    + " steps; the use case checks the order first");
        }
        recorded.add(step);
    }

    @Override
    public Optional<JobCheckpoint> checkpoint(UUID jobId) {
        return Optional.ofNullable(rows.checkpoints.get(jobId));
    }

    @Override
    public void writeCheckpoint(UUID jobId, JobCheckpoint checkpoint) {
        rows.checkpoints.put(jobId, checkpoint);
    }
}
