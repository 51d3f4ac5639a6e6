package dev.jobs.core.memory;

import dev.jobs.core.Job;
import dev.jobs.core.JobCheckpoint;
import dev.jobs.core.JobState;
import dev.jobs.core.JobStep;
import dev.jobs.core.QueueLimits;
import dev.jobs.core.WorkerInfo;
import dev.jobs.core.spi.IdempotencyKey;
import dev.jobs.core.spi.RecurringRecord;
import dev.jobs.core.spi.StartBucket;
import dev.jobs.core.spi.support.JobIds;
import java.time.Instant;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;

/**
 * The in-memory store's tables: jobs by id, the dependency edges and counts, keys, per-queue
 * indexes ordered as claims take jobs, the scheduled and leased jobs, queue settings, the worker
 * registry and the recurring definitions. Every change of a job goes through {@link #replace},
 * which keeps the indexes in step. Not thread-safe: its owner holds one lock around every use.
 */
final class MemoryRows {
    /** Claim order: priority, then runAt, then id (creation order). */
    static final Comparator<Job> CLAIM_ORDER =
            Comparator.comparingInt(Job::priority).thenComparing(Job::runAt).thenComparing(Job::id, JobIds.ORDER);

    static final Comparator<Job> RUN_AT_ORDER = Comparator.comparing(Job::runAt).thenComparing(Job::id, JobIds.ORDER);

    static final Comparator<Job> LEASE_ORDER = Comparator.comparing(
                    (Job job) -> job.leaseExpiresAt().orElseThrow())
            .thenComparing(Job::id, JobIds.ORDER);

    final NavigableMap<UUID, Job> jobs = new TreeMap<>(JobIds.ORDER);
    final Map<UUID, Set<UUID>> dependents = new HashMap<>();
    /** How many of a waiting job's dependencies had not finished when last counted. */
    final Map<UUID, Integer> unfinishedDependencies = new HashMap<>();

    final Map<String, UUID> uniqueKeyHolders = new HashMap<>();
    /** Each key's job, kept until that job is purged. */
    final Map<String, IdempotencyKey.Holder> idempotencyKeys = new HashMap<>();

    final Map<String, QueueIndex> queues = new HashMap<>();
    final TreeSet<Job> scheduled = new TreeSet<>(RUN_AT_ORDER);
    final TreeSet<Job> leased = new TreeSet<>(LEASE_ORDER);
    final Set<String> paused = new HashSet<>();
    final Map<String, QueueLimits> limits = new HashMap<>();
    /** Start buckets of limited queues with a start rate; absent means full. */
    final Map<String, StartBucket> buckets = new HashMap<>();

    final Map<String, WorkerInfo> workers = new LinkedHashMap<>();
    final Map<String, RecurringRecord> recurring = new TreeMap<>();
    /** Each job's durable steps, in order; absent for a job with none. */
    final Map<UUID, List<JobStep>> steps = new HashMap<>();
    /** The names each job has for its dependencies, by their ids; absent for a job with none. */
    final Map<UUID, Map<UUID, String>> dependencyNames = new HashMap<>();
    /** Each job's last checkpoint; absent for a job with none. */
    final Map<UUID, JobCheckpoint> checkpoints = new HashMap<>();

    /** Claimable jobs and counts of one queue. */
    static final class QueueIndex {
        /** Claimable jobs whose runAt had come when last looked at, in claim order. */
        final TreeSet<Job> due = new TreeSet<>(CLAIM_ORDER);

        /** Claimable jobs not yet known to be due, by runAt. */
        final TreeSet<Job> waiting = new TreeSet<>(RUN_AT_ORDER);

        final EnumMap<JobState, Long> counts = new EnumMap<>(JobState.class);

        void moveDue(Instant now) {
            while (!waiting.isEmpty() && !waiting.first().runAt().isAfter(now)) {
                due.add(waiting.pollFirst());
            }
        }
    }

    /** The one place the indexes change: swap {@code old} for {@code updated} (either may be null). */
    void replace(Job old, Job updated) {
        if (old != null) {
            QueueIndex index = queues.get(old.queue());
            index.due.remove(old);
            index.waiting.remove(old);
            index.counts.merge(old.state(), -1L, Long::sum);
            scheduled.remove(old);
            if (old.state() == JobState.RUNNING) {
                leased.remove(old);
            }
            if (old.uniqueKey().isPresent()
                    && old.id().equals(uniqueKeyHolders.get(old.uniqueKey().get()))) {
                uniqueKeyHolders.remove(old.uniqueKey().get());
            }
            jobs.remove(old.id());
        }
        if (updated != null) {
            jobs.put(updated.id(), updated);
            QueueIndex index = queues.computeIfAbsent(updated.queue(), q -> new QueueIndex());
            index.counts.merge(updated.state(), 1L, Long::sum);
            if (updated.state().isClaimable()) {
                index.waiting.add(updated);
            }
            if (updated.state() == JobState.SCHEDULED) {
                scheduled.add(updated);
            }
            if (updated.state() == JobState.RUNNING) {
                leased.add(updated);
            }
            if (!updated.isTerminal() && updated.uniqueKey().isPresent()) {
                uniqueKeyHolders.put(updated.uniqueKey().get(), updated.id());
            }
        }
    }

    /** Removes a finished job and everything kept for it. */
    void delete(Job job) {
        replace(job, null);
        idempotencyKeys.values().removeIf(holder -> holder.jobId().equals(job.id()));
        dependents.remove(job.id());
        unfinishedDependencies.remove(job.id());
        steps.remove(job.id());
        checkpoints.remove(job.id());
        dependencyNames.remove(job.id());
        for (UUID dependency : job.dependsOn()) {
            Set<UUID> siblings = dependents.get(dependency);
            if (siblings != null) {
                siblings.remove(job.id());
                if (siblings.isEmpty()) {
                    dependents.remove(dependency);
                }
            }
        }
    }
}
