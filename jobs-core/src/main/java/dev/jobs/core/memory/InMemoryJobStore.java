package dev.jobs.core.memory;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jobs.core.FinishedInMinute;
import dev.jobs.core.HeartbeatResult;
import dev.jobs.core.Job;
import dev.jobs.core.JobCheckpoint;
import dev.jobs.core.JobError;
import dev.jobs.core.JobPage;
import dev.jobs.core.JobQuery;
import dev.jobs.core.JobState;
import dev.jobs.core.JobStep;
import dev.jobs.core.ParentResult;
import dev.jobs.core.PurgeRequest;
import dev.jobs.core.QueueCounts;
import dev.jobs.core.QueueLimits;
import dev.jobs.core.QueueStats;
import dev.jobs.core.StoppedWorker;
import dev.jobs.core.WorkerInfo;
import dev.jobs.core.spi.AcquireRequest;
import dev.jobs.core.spi.ClaimPlace;
import dev.jobs.core.spi.DeadWorker;
import dev.jobs.core.spi.JobStore;
import dev.jobs.core.spi.JobTransaction;
import dev.jobs.core.spi.JobTransaction.LimitedQueue;
import dev.jobs.core.spi.LapsedLeasePolicy;
import dev.jobs.core.spi.NewJob;
import dev.jobs.core.spi.RecurringRecord;
import dev.jobs.core.spi.Transition;
import dev.jobs.core.spi.support.BatchCreation;
import dev.jobs.core.spi.support.JobClaims;
import dev.jobs.core.spi.support.JobIds;
import dev.jobs.core.spi.support.JobLifecycle;
import dev.jobs.core.spi.support.QueueAllowance;
import dev.jobs.core.spi.support.QueueLimitChange;
import dev.jobs.core.spi.support.RecurringSave;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * A complete {@link JobStore} in memory: for tests, demos and hosts that need no durability. It is
 * the reference the conformance suite is checked against.
 *
 * <p>Thread-safe: every operation runs under one lock, so each is atomic, as a transaction is in a
 * database. Claims cost O(log n) through per-queue indexes ordered the way {@link #acquire} takes
 * jobs; listings walk jobs by id.
 */
public final class InMemoryJobStore implements JobStore {
    private final Clock clock;
    private final ReentrantLock lock = new ReentrantLock();

    /** The jobs, keys, queues and registry; every access holds {@link #lock}. */
    private final MemoryRows rows = new MemoryRows();

    public InMemoryJobStore(Clock clock) {
        this.clock = clock;
    }

    /** A store on the system clock. */
    public InMemoryJobStore() {
        this(Clock.systemUTC());
    }

    @Override
    public List<Job> create(List<NewJob> batch) {
        return inTransaction(t -> BatchCreation.create(t, batch));
    }

    @Override
    public List<Job> acquire(AcquireRequest request) {
        return inTransaction(t -> JobClaims.acquire(t, request, Optional.empty()));
    }

    @Override
    public List<Job> acquire(AcquireRequest request, Collection<UUID> candidates) {
        List<UUID> ids = List.copyOf(new LinkedHashSet<>(candidates));
        return inTransaction(t -> JobClaims.acquire(t, request, Optional.of(ids)));
    }

    /** What a limited queue lets a claim start now, from its limits, its bucket and its running jobs. */
    private QueueAllowance allowance(String queue, Instant now) {
        return JobClaims.allowance(
                new MemoryTransaction(rows, now),
                new LimitedQueue(queue, rows.limits.get(queue), Optional.ofNullable(rows.buckets.get(queue))));
    }

    @Override
    public HeartbeatResult heartbeat(UUID jobId, UUID leaseToken, Duration leaseDuration) {
        return inTransaction(t -> JobLifecycle.heartbeat(t, jobId, leaseToken, leaseDuration));
    }

    @Override
    public Job reportProgress(UUID jobId, UUID leaseToken, int progress, Optional<String> message) {
        return inTransaction(t -> JobLifecycle.reportProgress(t, jobId, leaseToken, progress, message));
    }

    @Override
    public Transition complete(UUID jobId, UUID leaseToken, Optional<JsonNode> result) {
        return inTransaction(t -> JobLifecycle.complete(t, jobId, leaseToken, result));
    }

    @Override
    public Transition fail(UUID jobId, UUID leaseToken, JobError error, Optional<Instant> retryAt) {
        return inTransaction(t -> JobLifecycle.fail(t, jobId, leaseToken, error, retryAt));
    }

    @Override
    public Transition cancelRunning(UUID jobId, UUID leaseToken, JobError reason) {
        return inTransaction(t -> JobLifecycle.cancelRunning(t, jobId, leaseToken, reason));
    }

    @Override
    public Transition snooze(UUID jobId, UUID leaseToken, Instant runAt) {
        return inTransaction(t -> JobLifecycle.snooze(t, jobId, leaseToken, runAt));
    }

    @Override
    public Transition release(UUID jobId, UUID leaseToken) {
        return inTransaction(t -> JobLifecycle.release(t, jobId, leaseToken));
    }

    @Override
    public Transition cancel(UUID jobId) {
        return inTransaction(t -> JobLifecycle.cancel(t, jobId));
    }

    @Override
    public Transition retry(UUID jobId) {
        return inTransaction(t -> JobLifecycle.retry(t, jobId));
    }

    @Override
    public List<Transition> reclaimExpiredLeases(int limit, LapsedLeasePolicy policy) {
        return locked(() -> {
            Instant now = clock.instant();
            var lapsed = new ArrayList<Job>();
            for (Job job : rows.leased) {
                if (lapsed.size() >= limit || job.leaseExpiresAt().orElseThrow().isAfter(now)) {
                    break;
                }
                lapsed.add(job);
            }
            var t = new MemoryTransaction(rows, now);
            var transitions = new ArrayList<Transition>();
            for (Job job : lapsed) {
                transitions.add(JobLifecycle.lapsed(t, job, policy));
            }
            return transitions;
        });
    }

    @Override
    public List<Job> promoteDueJobs(int limit) {
        return locked(() -> {
            Instant now = clock.instant();
            var due = new ArrayList<Job>();
            for (Job job : rows.scheduled) {
                if (due.size() >= limit || job.runAt().isAfter(now)) {
                    break;
                }
                due.add(job);
            }
            return JobLifecycle.promote(new MemoryTransaction(rows, now), due);
        });
    }

    @Override
    public Optional<Instant> earliestRunAt(Set<String> queueNames) {
        return locked(() -> {
            Instant now = clock.instant();
            Optional<Instant> earliest = Optional.empty();
            for (String queue : queueNames) {
                MemoryRows.QueueIndex index = rows.queues.get(queue);
                if (index == null || rows.paused.contains(queue)) {
                    continue;
                }
                Optional<Instant> next;
                if (rows.limits.containsKey(queue)) {
                    QueueAllowance allowance = allowance(queue, now);
                    next = allowance
                            .earliestStart(now)
                            .flatMap(start -> Stream.concat(
                                            index.due.stream()
                                                    .filter(allowance::keyAllows)
                                                    .limit(1),
                                            index.waiting.stream()
                                                    .filter(allowance::keyAllows)
                                                    .limit(1))
                                    .map(Job::runAt)
                                    .min(Comparator.naturalOrder())
                                    .map(runAt -> runAt.isAfter(start) ? runAt : start));
                } else {
                    next = Stream.concat(
                                    index.due.stream().limit(1),
                                    index.waiting.stream().limit(1))
                            .map(Job::runAt)
                            .min(Comparator.naturalOrder());
                }
                if (next.isPresent() && (earliest.isEmpty() || next.get().isBefore(earliest.get()))) {
                    earliest = next;
                }
            }
            return earliest;
        });
    }

    @Override
    public Optional<Job> get(UUID jobId) {
        return locked(() -> Optional.ofNullable(rows.jobs.get(jobId)));
    }

    @Override
    public List<ClaimPlace> claimOrder(String queue, Optional<ClaimPlace> after, int limit) {
        JobClaims.requireClaimOrderLimit(limit);
        return locked(() -> {
            MemoryRows.QueueIndex index = rows.queues.get(queue);
            if (index == null) {
                return List.of();
            }
            return Stream.concat(index.due.stream(), index.waiting.stream())
                    .map(ClaimPlace::of)
                    .filter(place -> after.map(a -> ClaimPlace.ORDER.compare(place, a) > 0)
                            .orElse(true))
                    .sorted(ClaimPlace.ORDER)
                    .limit(limit)
                    .toList();
        });
    }

    @Override
    public JobPage list(JobQuery query) {
        return locked(() -> {
            NavigableMap<UUID, Job> newestFirst = rows.jobs.descendingMap();
            if (query.cursor().isPresent()) {
                newestFirst = newestFirst.tailMap(JobIds.cursorId(query.cursor().get()), false);
            }
            var page = new ArrayList<Job>(query.limit());
            boolean more = false;
            for (Job job : newestFirst.values()) {
                if (!query.matches(job)) {
                    continue;
                }
                if (page.size() == query.limit()) {
                    more = true;
                    break;
                }
                page.add(job);
            }
            return JobIds.page(page, more);
        });
    }

    @Override
    public List<QueueCounts> counts() {
        return locked(() -> {
            var names = new TreeSet<String>(rows.queues.keySet());
            names.addAll(rows.paused);
            return names.stream()
                    .map(name -> {
                        MemoryRows.QueueIndex index = rows.queues.get(name);
                        Map<JobState, Long> byState = index == null ? Map.of() : index.counts;
                        return new QueueCounts(name, byState, rows.paused.contains(name));
                    })
                    .filter(c -> c.paused() || c.byState().values().stream().anyMatch(n -> n > 0))
                    .toList();
        });
    }

    @Override
    public List<QueueStats> queueStats(Instant finishedSince) {
        return locked(() -> {
            var byQueue = new TreeMap<String, StatsSum>();
            for (Job job : rows.jobs.values()) {
                boolean counted = job.state() == JobState.SUCCEEDED || job.state() == JobState.FAILED;
                if (counted && !job.finishedAt().orElseThrow().isBefore(finishedSince)) {
                    byQueue.computeIfAbsent(job.queue(), q -> new StatsSum()).add(job);
                }
            }
            return byQueue.entrySet().stream()
                    .map(e -> e.getValue().stats(e.getKey()))
                    .toList();
        });
    }

    @Override
    public List<FinishedInMinute> finishedPerMinute(Instant since) {
        return locked(() -> {
            var byMinute = new TreeMap<Instant, long[]>();
            for (Job job : rows.jobs.values()) {
                boolean counted = job.state() == JobState.SUCCEEDED || job.state() == JobState.FAILED;
                if (counted && !job.finishedAt().orElseThrow().isBefore(since)) {
                    Instant minute = job.finishedAt().orElseThrow().truncatedTo(ChronoUnit.MINUTES);
                    byMinute.computeIfAbsent(minute, m -> new long[2])[job.state() == JobState.SUCCEEDED ? 0 : 1]++;
                }
            }
            return byMinute.entrySet().stream()
                    .map(e -> new FinishedInMinute(e.getKey(), e.getValue()[0], e.getValue()[1]))
                    .toList();
        });
    }

    /** Running totals of one queue's finished jobs. */
    private static final class StatsSum {
        long succeeded;
        long failed;
        long timed;
        Duration runTime = Duration.ZERO;

        void add(Job job) {
            if (job.state() == JobState.SUCCEEDED) {
                succeeded++;
            } else {
                failed++;
            }
            if (job.startedAt().isPresent()) {
                timed++;
                runTime = runTime.plus(
                        Duration.between(job.startedAt().get(), job.finishedAt().orElseThrow()));
            }
        }

        QueueStats stats(String queue) {
            return new QueueStats(
                    queue, succeeded, failed, timed == 0 ? Optional.empty() : Optional.of(runTime.dividedBy(timed)));
        }
    }

    @Override
    public int purge(PurgeRequest request) {
        return locked(() -> {
            var finishedByQueue = new HashMap<String, List<Job>>();
            for (Job job : rows.jobs.values()) {
                if (job.isTerminal()) {
                    finishedByQueue
                            .computeIfAbsent(job.queue(), q -> new ArrayList<>())
                            .add(job);
                }
            }
            var doomed = new ArrayList<Job>();
            for (List<Job> finished : finishedByQueue.values()) {
                finished.sort(Comparator.comparing((Job job) -> job.finishedAt().orElseThrow())
                        .thenComparing(Job::id, JobIds.ORDER)
                        .reversed());
                for (int i = 0; i < finished.size(); i++) {
                    Job job = finished.get(i);
                    boolean beyondCount = request.keepLatestPerQueue().isPresent()
                            && i >= request.keepLatestPerQueue().getAsInt();
                    boolean tooOld = request.finishedBefore()
                            .map(cutoff -> job.finishedAt().orElseThrow().isBefore(cutoff))
                            .orElse(false);
                    if (beyondCount || tooOld) {
                        doomed.add(job);
                    }
                }
            }
            doomed.forEach(rows::delete);
            return doomed.size();
        });
    }

    @Override
    public void setQueuePaused(String queue, boolean pause) {
        locked(() -> pause ? rows.paused.add(queue) : rows.paused.remove(queue));
    }

    @Override
    public Set<String> pausedQueues() {
        return locked(() -> Set.copyOf(rows.paused));
    }

    @Override
    public void setQueueLimits(String queue, QueueLimits queueLimits) {
        locked(() -> {
            Optional<LimitedQueue> stored = Optional.ofNullable(rows.limits.get(queue))
                    .map(old -> new LimitedQueue(queue, old, Optional.ofNullable(rows.buckets.get(queue))));
            QueueLimitChange.over(stored, queueLimits, clock.instant()).ifPresent(change -> {
                if (change.removes()) {
                    rows.limits.remove(queue);
                } else {
                    rows.limits.put(queue, change.limits());
                }
                change.bucket()
                        .ifPresentOrElse(bucket -> rows.buckets.put(queue, bucket), () -> rows.buckets.remove(queue));
            });
            return null;
        });
    }

    @Override
    public Map<String, QueueLimits> queueLimits() {
        return locked(() -> Map.copyOf(rows.limits));
    }

    @Override
    public RecurringRecord saveRecurring(String name, String schedule, JsonNode definition, Instant upToIfNew) {
        return locked(() -> {
            Optional<RecurringRecord> stored = Optional.ofNullable(rows.recurring.get(name));
            Optional<RecurringRecord> saved = RecurringSave.over(
                    stored,
                    name,
                    schedule,
                    definition,
                    upToIfNew,
                    clock.instant(),
                    record -> record.definition().equals(definition));
            saved.ifPresent(record -> rows.recurring.put(name, record));
            return saved.or(() -> stored).orElseThrow();
        });
    }

    @Override
    public List<RecurringRecord> recurringJobs() {
        return locked(() -> List.copyOf(rows.recurring.values()));
    }

    @Override
    public Optional<RecurringRecord> recurringJob(String name) {
        return locked(() -> Optional.ofNullable(rows.recurring.get(name)));
    }

    @Override
    public boolean deleteRecurring(String name) {
        return locked(() -> rows.recurring.remove(name) != null);
    }

    @Override
    public Optional<List<Job>> advanceRecurring(String name, long expectedVersion, Instant upTo, List<NewJob> batch) {
        return locked(() -> {
            RecurringRecord stored = rows.recurring.get(name);
            if (stored == null || stored.version() != expectedVersion) {
                return Optional.empty();
            }
            // create checks the whole batch before it writes, so a refused batch leaves the mark too.
            List<Job> created = batch.isEmpty() ? List.of() : create(batch);
            rows.recurring.put(
                    name,
                    new RecurringRecord(
                            name,
                            stored.schedule(),
                            stored.definition(),
                            upTo,
                            stored.version() + 1,
                            stored.updatedAt()));
            return Optional.of(created);
        });
    }

    @Override
    public void registerWorker(WorkerInfo worker) {
        inTransaction(t -> {
            JobLifecycle.registerWorker(t, worker);
            return null;
        });
    }

    @Override
    public void removeWorker(String workerId) {
        locked(() -> rows.workers.remove(workerId));
    }

    @Override
    public List<WorkerInfo> workers() {
        return locked(() -> List.copyOf(rows.workers.values()));
    }

    @Override
    public List<WorkerInfo> workers(Optional<String> after, int limit) {
        return locked(() -> rows.workers.values().stream()
                .filter(w -> after.isEmpty() || w.id().compareTo(after.get()) > 0)
                .sorted(Comparator.comparing(WorkerInfo::id))
                .limit(limit)
                .toList());
    }

    @Override
    public Optional<WorkerInfo> worker(String id) {
        return locked(() -> Optional.ofNullable(rows.workers.get(id)));
    }

    @Override
    public Optional<StoppedWorker> stopWorker(String workerId) {
        return inTransaction(t -> JobLifecycle.stopWorker(t, workerId));
    }

    @Override
    public List<DeadWorker> reapDeadWorkers(LapsedLeasePolicy policy) {
        return inTransaction(t -> JobLifecycle.reapDeadWorkers(t, policy));
    }

    @Override
    public int removeWorkersSilentSince(Instant cutoff) {
        return locked(() -> {
            int before = rows.workers.size();
            rows.workers.values().removeIf(w -> w.lastHeartbeatAt().isBefore(cutoff));
            return before - rows.workers.size();
        });
    }

    @Override
    public List<JobStep> steps(UUID jobId) {
        return inTransaction(t -> t.steps(jobId));
    }

    @Override
    public JobStep recordStep(UUID jobId, UUID leaseToken, int index, String name, JsonNode result) {
        return inTransaction(t -> JobLifecycle.recordStep(t, jobId, leaseToken, index, name, result));
    }

    @Override
    public Optional<JobCheckpoint> checkpoint(UUID jobId) {
        return inTransaction(t -> t.checkpoint(jobId));
    }

    @Override
    public JobCheckpoint saveCheckpoint(UUID jobId, UUID leaseToken, JsonNode state) {
        return inTransaction(t -> JobLifecycle.saveCheckpoint(t, jobId, leaseToken, state));
    }

    @Override
    public List<ParentResult> parentResults(UUID jobId) {
        return locked(() -> {
            Job job = rows.jobs.get(jobId);
            if (job == null) {
                return List.of();
            }
            var parents = new HashMap<UUID, Job>();
            job.dependsOn().forEach(id -> Optional.ofNullable(rows.jobs.get(id)).ifPresent(p -> parents.put(id, p)));
            return JobLifecycle.parentResults(job, parents, rows.dependencyNames.getOrDefault(jobId, Map.of()));
        });
    }

    /** Runs {@code step} under the lock, as one transaction at the clock's current instant. */
    private <T> T inTransaction(Function<JobTransaction, T> step) {
        return locked(() -> step.apply(new MemoryTransaction(rows, clock.instant())));
    }

    private <T> T locked(Supplier<T> action) {
        lock.lock();
        try {
            return action.get();
        } finally {
            lock.unlock();
        }
    }
}
