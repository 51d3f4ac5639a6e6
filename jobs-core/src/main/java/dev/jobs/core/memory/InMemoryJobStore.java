package dev.jobs.core.memory;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jobs.core.FinishedInMinute;
import dev.jobs.core.HeartbeatResult;
import dev.jobs.core.Job;
import dev.jobs.core.JobError;
import dev.jobs.core.JobPage;
import dev.jobs.core.JobQuery;
import dev.jobs.core.JobState;
import dev.jobs.core.PurgeRequest;
import dev.jobs.core.QueueCounts;
import dev.jobs.core.QueueLimits;
import dev.jobs.core.QueueStats;
import dev.jobs.core.StoppedWorker;
import dev.jobs.core.WorkerIdTakenException;
import dev.jobs.core.WorkerInfo;
import dev.jobs.core.spi.AcquireRequest;
import dev.jobs.core.spi.ClaimPlace;
import dev.jobs.core.spi.DeadWorker;
import dev.jobs.core.spi.IdempotencyKey;
import dev.jobs.core.spi.JobStore;
import dev.jobs.core.spi.JobTransaction;
import dev.jobs.core.spi.JobTransaction.LimitedQueue;
import dev.jobs.core.spi.LapsedLeasePolicy;
import dev.jobs.core.spi.NewJob;
import dev.jobs.core.spi.RecurringRecord;
import dev.jobs.core.spi.StartBucket;
import dev.jobs.core.spi.Transition;
import dev.jobs.core.spi.support.BatchCreation;
import dev.jobs.core.spi.support.JobClaims;
import dev.jobs.core.spi.support.JobIds;
import dev.jobs.core.spi.support.JobLifecycle;
import dev.jobs.core.spi.support.QueueAllowance;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
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
    /** Claim order: priority, then runAt, then id (creation order). */
    private static final Comparator<Job> CLAIM_ORDER =
            Comparator.comparingInt(Job::priority).thenComparing(Job::runAt).thenComparing(Job::id, JobIds.ORDER);

    private static final Comparator<Job> RUN_AT_ORDER =
            Comparator.comparing(Job::runAt).thenComparing(Job::id, JobIds.ORDER);

    private static final Comparator<Job> LEASE_ORDER = Comparator.comparing(
                    (Job job) -> job.leaseExpiresAt().orElseThrow())
            .thenComparing(Job::id, JobIds.ORDER);

    private final Clock clock;
    private final ReentrantLock lock = new ReentrantLock();

    // Everything below is guarded by lock.
    private final NavigableMap<UUID, Job> jobs = new TreeMap<>(JobIds.ORDER);
    private final Map<UUID, Set<UUID>> dependents = new HashMap<>();
    /** How many of a waiting job's dependencies had not finished when last counted. */
    private final Map<UUID, Integer> unfinishedDependencies = new HashMap<>();

    private final Map<String, UUID> uniqueKeyHolders = new HashMap<>();
    /** Each key's job, kept until that job is purged. */
    private final Map<String, IdempotencyKey.Holder> idempotencyKeys = new HashMap<>();

    private final Map<String, QueueIndex> queues = new HashMap<>();
    private final TreeSet<Job> scheduled = new TreeSet<>(RUN_AT_ORDER);
    private final TreeSet<Job> leased = new TreeSet<>(LEASE_ORDER);
    private final Set<String> paused = new HashSet<>();
    private final Map<String, QueueLimits> limits = new HashMap<>();
    /** Start buckets of limited queues with a start rate; absent means full. */
    private final Map<String, StartBucket> buckets = new HashMap<>();

    private final Map<String, WorkerInfo> workers = new LinkedHashMap<>();
    private final Map<String, RecurringRecord> recurring = new TreeMap<>();

    /** Claimable jobs and counts of one queue. */
    private static final class QueueIndex {
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
                new Tx(now), new LimitedQueue(queue, limits.get(queue), Optional.ofNullable(buckets.get(queue))));
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
            for (Job job : leased) {
                if (lapsed.size() >= limit || job.leaseExpiresAt().orElseThrow().isAfter(now)) {
                    break;
                }
                lapsed.add(job);
            }
            var t = new Tx(now);
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
            for (Job job : scheduled) {
                if (due.size() >= limit || job.runAt().isAfter(now)) {
                    break;
                }
                due.add(job);
            }
            return JobLifecycle.promote(new Tx(now), due);
        });
    }

    @Override
    public Optional<Instant> earliestRunAt(Set<String> queueNames) {
        return locked(() -> {
            Instant now = clock.instant();
            Optional<Instant> earliest = Optional.empty();
            for (String queue : queueNames) {
                QueueIndex index = queues.get(queue);
                if (index == null || paused.contains(queue)) {
                    continue;
                }
                Optional<Instant> next;
                if (limits.containsKey(queue)) {
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
        return locked(() -> Optional.ofNullable(jobs.get(jobId)));
    }

    @Override
    public List<ClaimPlace> claimOrder(String queue, Optional<ClaimPlace> after, int limit) {
        JobClaims.requireClaimOrderLimit(limit);
        return locked(() -> {
            QueueIndex index = queues.get(queue);
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
            NavigableMap<UUID, Job> newestFirst = jobs.descendingMap();
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
            var names = new TreeSet<String>(queues.keySet());
            names.addAll(paused);
            return names.stream()
                    .map(name -> {
                        QueueIndex index = queues.get(name);
                        Map<JobState, Long> byState = index == null ? Map.of() : index.counts;
                        return new QueueCounts(name, byState, paused.contains(name));
                    })
                    .filter(c -> c.paused() || c.byState().values().stream().anyMatch(n -> n > 0))
                    .toList();
        });
    }

    @Override
    public List<QueueStats> queueStats(Instant finishedSince) {
        return locked(() -> {
            var byQueue = new TreeMap<String, StatsSum>();
            for (Job job : jobs.values()) {
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
            for (Job job : jobs.values()) {
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
            for (Job job : jobs.values()) {
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
            doomed.forEach(this::delete);
            return doomed.size();
        });
    }

    private void delete(Job job) {
        replace(job, null);
        idempotencyKeys.values().removeIf(holder -> holder.jobId().equals(job.id()));
        dependents.remove(job.id());
        unfinishedDependencies.remove(job.id());
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

    @Override
    public void setQueuePaused(String queue, boolean pause) {
        locked(() -> pause ? paused.add(queue) : paused.remove(queue));
    }

    @Override
    public Set<String> pausedQueues() {
        return locked(() -> Set.copyOf(paused));
    }

    @Override
    public void setQueueLimits(String queue, QueueLimits queueLimits) {
        locked(() -> {
            QueueLimits old = limits.get(queue);
            if (queueLimits.isNone()) {
                limits.remove(queue);
                buckets.remove(queue);
            } else if (!queueLimits.equals(old)) {
                limits.put(queue, queueLimits);
                if (old == null || !old.maxStarts().equals(queueLimits.maxStarts())) {
                    buckets.remove(queue); // a new rate starts full
                }
            }
            return null;
        });
    }

    @Override
    public Map<String, QueueLimits> queueLimits() {
        return locked(() -> Map.copyOf(limits));
    }

    @Override
    public RecurringRecord saveRecurring(String name, String schedule, JsonNode definition, Instant upToIfNew) {
        return locked(() -> {
            Instant now = clock.instant();
            RecurringRecord stored = recurring.get(name);
            RecurringRecord saved;
            if (stored == null) {
                saved = new RecurringRecord(name, schedule, definition.deepCopy(), upToIfNew, 1, now);
            } else if (stored.schedule().equals(schedule)
                    && stored.definition().toString().equals(definition.toString())) {
                return stored;
            } else {
                Instant upTo = stored.schedule().equals(schedule) ? stored.upTo() : upToIfNew;
                saved = new RecurringRecord(name, schedule, definition.deepCopy(), upTo, stored.version() + 1, now);
            }
            recurring.put(name, saved);
            return saved;
        });
    }

    @Override
    public List<RecurringRecord> recurringJobs() {
        return locked(() -> List.copyOf(recurring.values()));
    }

    @Override
    public Optional<RecurringRecord> recurringJob(String name) {
        return locked(() -> Optional.ofNullable(recurring.get(name)));
    }

    @Override
    public boolean deleteRecurring(String name) {
        return locked(() -> recurring.remove(name) != null);
    }

    @Override
    public Optional<List<Job>> advanceRecurring(String name, long expectedVersion, Instant upTo, List<NewJob> batch) {
        return locked(() -> {
            RecurringRecord stored = recurring.get(name);
            if (stored == null || stored.version() != expectedVersion) {
                return Optional.empty();
            }
            // create checks the whole batch before it writes, so a refused batch leaves the mark too.
            List<Job> created = batch.isEmpty() ? List.of() : create(batch);
            recurring.put(
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
        // Reporting is being alive, whatever the caller's copy says.
        var alive = new WorkerInfo(
                worker.id(),
                worker.owner(),
                worker.host(),
                worker.queues(),
                worker.concurrency(),
                worker.running(),
                worker.startedAt(),
                worker.lastHeartbeatAt(),
                worker.expiresAt());
        locked(() -> {
            WorkerInfo known = workers.get(worker.id());
            if (known != null
                    && known.stoppedAt().isEmpty()
                    && !known.owner().isEmpty()
                    && !known.owner().equals(worker.owner())) {
                throw new WorkerIdTakenException(worker.id());
            }
            return workers.put(worker.id(), alive);
        });
    }

    @Override
    public void removeWorker(String workerId) {
        locked(() -> workers.remove(workerId));
    }

    @Override
    public List<WorkerInfo> workers() {
        return locked(() -> List.copyOf(workers.values()));
    }

    @Override
    public List<WorkerInfo> workers(Optional<String> after, int limit) {
        return locked(() -> workers.values().stream()
                .filter(w -> after.isEmpty() || w.id().compareTo(after.get()) > 0)
                .sorted(Comparator.comparing(WorkerInfo::id))
                .limit(limit)
                .toList());
    }

    @Override
    public Optional<WorkerInfo> worker(String id) {
        return locked(() -> Optional.ofNullable(workers.get(id)));
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
            int before = workers.size();
            workers.values().removeIf(w -> w.lastHeartbeatAt().isBefore(cutoff));
            return before - workers.size();
        });
    }

    // ---- transitions and indexes ----

    /**
     * Core's view of one step under the lock ({@link JobTransaction}): the rows are the maps above,
     * a job's dependents come from {@link #dependents}, and every write goes through {@link #replace}.
     */
    private final class Tx implements JobTransaction {
        private final Instant now;

        Tx(Instant now) {
            this.now = now;
        }

        @Override
        public Instant now() {
            return now;
        }

        @Override
        public Optional<Job> lock(UUID jobId) {
            return Optional.ofNullable(jobs.get(jobId));
        }

        @Override
        public Map<UUID, Job> read(Collection<UUID> jobIds) {
            var found = new HashMap<UUID, Job>();
            for (UUID id : jobIds) {
                Job job = jobs.get(id);
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
                    dependents
                            .computeIfAbsent(dependency, id -> new LinkedHashSet<>())
                            .add(job.id());
                }
                if (unfinished.containsKey(job.id())) {
                    unfinishedDependencies.put(job.id(), unfinished.get(job.id()));
                }
                replace(null, job);
                if (job.isTerminal()) {
                    job.uniqueKey().ifPresent(key -> uniqueKeyHolders.remove(key, job.id()));
                }
            }
        }

        @Override
        public List<Dependent> lockDependents(UUID parentId) {
            return dependents.getOrDefault(parentId, Set.of()).stream()
                    .map(id -> new Dependent(jobs.get(id), unfinishedDependencies.getOrDefault(id, 0)))
                    .toList();
        }

        @Override
        public void setUnfinishedDependencies(UUID jobId, int count) {
            unfinishedDependencies.put(jobId, count);
        }

        @Override
        public void write(Job previous, Job next) {
            replace(previous, next);
        }

        @Override
        public Optional<UUID> takeUniqueKey(String uniqueKey, UUID jobId) {
            UUID holder = uniqueKeyHolders.get(uniqueKey);
            if (holder != null && !holder.equals(jobId)) {
                return Optional.of(holder);
            }
            uniqueKeyHolders.put(uniqueKey, jobId);
            return Optional.empty();
        }

        @Override
        public Map<String, IdempotencyKey.Holder> idempotencyKeyHolders(List<NewJob> batch) {
            return idempotencyKeys;
        }

        @Override
        public Optional<UUID> takeIdempotencyKey(IdempotencyKey key, UUID jobId) {
            IdempotencyKey.Holder holder =
                    idempotencyKeys.putIfAbsent(key.key(), new IdempotencyKey.Holder(jobId, key.fingerprint()));
            if (holder == null) {
                return Optional.empty();
            }
            holder.requireMatches(key);
            return holder.jobId().equals(jobId) ? Optional.empty() : Optional.of(holder.jobId());
        }

        @Override
        public void answerIdempotencyKeyWith(IdempotencyKey key, UUID jobId) {
            idempotencyKeys.put(key.key(), new IdempotencyKey.Holder(jobId, key.fingerprint()));
        }

        @Override
        public List<WorkerInfo> lockExpiredWorkers() {
            return workers.values().stream()
                    .filter(worker -> worker.alive() && !worker.expiresAt().isAfter(now))
                    .sorted(Comparator.comparing(WorkerInfo::id))
                    .toList();
        }

        @Override
        public List<Job> lockRunningJobsOf(String workerId) {
            return leased.stream()
                    .filter(job -> job.leaseOwner().orElseThrow().equals(workerId))
                    .toList();
        }

        @Override
        public boolean declareDead(String workerId) {
            WorkerInfo worker = workers.get(workerId);
            if (worker == null || !worker.alive()) {
                return false;
            }
            workers.put(workerId, worker.declaredDeadAt(now));
            return true;
        }

        @Override
        public void forgetSilentWorker(String workerId) {
            workers.remove(workerId);
        }

        @Override
        public Optional<WorkerInfo> markStopped(String workerId) {
            WorkerInfo worker = workers.get(workerId);
            if (worker == null) {
                return Optional.empty();
            }
            WorkerInfo stopped = worker.stoppedAt().isPresent() ? worker : worker.stopped(now);
            workers.put(workerId, stopped);
            return Optional.of(stopped);
        }

        @Override
        public List<Job> lockClaimable(Set<String> requested, int max, Optional<List<UUID>> candidates) {
            Stream<Job> claimable;
            if (candidates.isPresent()) {
                claimable = dueAmong(candidates.get()).filter(job -> requested.contains(job.queue()));
            } else {
                claimable = requested.stream()
                        .map(queues::get)
                        .filter(Objects::nonNull)
                        .flatMap(index -> {
                            index.moveDue(now);
                            return index.due.stream().limit(max);
                        });
            }
            return claimable
                    .filter(job -> !paused.contains(job.queue()) && !limits.containsKey(job.queue()))
                    .sorted(CLAIM_ORDER)
                    .limit(max)
                    .toList();
        }

        @Override
        public List<LimitedQueue> lockLimitedQueues(Set<String> requested) {
            return requested.stream()
                    .filter(queue -> limits.containsKey(queue) && !paused.contains(queue))
                    .sorted()
                    .map(queue -> new LimitedQueue(queue, limits.get(queue), Optional.ofNullable(buckets.get(queue))))
                    .toList();
        }

        @Override
        public Running running(String queue) {
            var byKey = new HashMap<String, Integer>();
            int total = 0;
            for (Job job : leased) {
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
            QueueIndex index = queues.get(queue);
            if (index == null) {
                return List.of();
            }
            index.moveDue(now);
            Stream<Job> claimable = candidates.isPresent()
                    ? dueAmong(candidates.get())
                            .filter(job -> job.queue().equals(queue))
                            .sorted(CLAIM_ORDER)
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
            buckets.put(queue, bucket);
        }

        /** Those of the ids that name claimable jobs whose runAt has come. */
        private Stream<Job> dueAmong(List<UUID> ids) {
            return ids.stream()
                    .map(jobs::get)
                    .filter(job -> job != null
                            && job.state().isClaimable()
                            && !job.runAt().isAfter(now));
        }
    }

    /** Runs {@code step} under the lock, as one transaction at the clock's current instant. */
    private <T> T inTransaction(Function<JobTransaction, T> step) {
        return locked(() -> step.apply(new Tx(clock.instant())));
    }

    /** The one place the indexes change: swap {@code old} for {@code updated} (either may be null). */
    private void replace(Job old, Job updated) {
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

    private <T> T locked(Supplier<T> action) {
        lock.lock();
        try {
            return action.get();
        } finally {
            lock.unlock();
        }
    }
}
