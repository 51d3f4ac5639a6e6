package dev.jobs.core.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jobs.core.FinishedInMinute;
import dev.jobs.core.Job;
import dev.jobs.core.JobError;
import dev.jobs.core.JobEvent;
import dev.jobs.core.JobEvent.Kind;
import dev.jobs.core.JobListener;
import dev.jobs.core.JobPage;
import dev.jobs.core.JobQuery;
import dev.jobs.core.JobState;
import dev.jobs.core.PurgeRequest;
import dev.jobs.core.QueueCounts;
import dev.jobs.core.QueueLimits;
import dev.jobs.core.QueueStats;
import dev.jobs.core.WorkerInfo;
import dev.jobs.core.spi.AcquireRequest;
import dev.jobs.core.spi.ClaimPlace;
import dev.jobs.core.spi.Completion;
import dev.jobs.core.spi.CompletionResult;
import dev.jobs.core.spi.DeadWorker;
import dev.jobs.core.spi.HeartbeatResult;
import dev.jobs.core.spi.JobStore;
import dev.jobs.core.spi.NewJob;
import dev.jobs.core.spi.RecurringRecord;
import dev.jobs.core.spi.StoppedWorker;
import dev.jobs.core.spi.StoreHealth;
import dev.jobs.core.spi.Transition;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wraps any store so that every committed change becomes {@link JobEvent}s for the listeners
 * (metrics, dispatch, the engine's waiters, the host's own). Being the one decorator every call
 * goes through, no store can forget to report a change. Thread-safe if the store is; listeners
 * may be added at any time.
 */
public final class ObservedJobStore implements JobStore {
    private static final Logger log = LoggerFactory.getLogger(ObservedJobStore.class);

    private final JobStore store;
    private final Clock clock;
    private final List<JobListener> listeners = new CopyOnWriteArrayList<>();

    public ObservedJobStore(JobStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    public void addListener(JobListener listener) {
        listeners.add(listener);
    }

    public void removeListener(JobListener listener) {
        listeners.remove(listener);
    }

    /** The store this decorates. */
    public JobStore delegate() {
        return store;
    }

    @Override
    public List<Job> create(List<NewJob> jobs) {
        List<Job> stored = store.create(jobs);
        emitCreated(jobs, stored);
        return stored;
    }

    private void emitCreated(List<NewJob> jobs, List<Job> stored) {
        var events = new ArrayList<JobEvent>();
        for (int i = 0; i < stored.size(); i++) {
            // A job returned for a held unique key was not created by this call.
            if (stored.get(i).id().equals(jobs.get(i).id())) {
                events.add(event(Kind.CREATED, stored.get(i)));
            }
        }
        emit(events);
    }

    @Override
    public List<Job> acquire(AcquireRequest request) {
        return started(store.acquire(request));
    }

    @Override
    public List<Job> acquire(AcquireRequest request, Collection<UUID> candidates) {
        return started(store.acquire(request, candidates));
    }

    private List<Job> started(List<Job> acquired) {
        emit(acquired.stream().map(job -> event(Kind.STARTED, job)).toList());
        return acquired;
    }

    @Override
    public HeartbeatResult heartbeat(UUID jobId, UUID leaseToken, Duration leaseDuration) {
        return store.heartbeat(jobId, leaseToken, leaseDuration);
    }

    @Override
    public Job reportProgress(UUID jobId, UUID leaseToken, int progress, Optional<String> message) {
        Job job = store.reportProgress(jobId, leaseToken, progress, message);
        emit(List.of(event(Kind.PROGRESS, job)));
        return job;
    }

    @Override
    public Transition complete(UUID jobId, UUID leaseToken, Optional<JsonNode> result) {
        return emitted(store.complete(jobId, leaseToken, result), Kind.SUCCEEDED);
    }

    @Override
    public List<CompletionResult> completeAll(List<Completion> completions) {
        List<CompletionResult> results = store.completeAll(completions);
        var events = new ArrayList<JobEvent>();
        results.forEach(r -> r.transition().ifPresent(t -> collect(t, Kind.SUCCEEDED, events)));
        emit(events);
        return results;
    }

    @Override
    public Transition fail(UUID jobId, UUID leaseToken, JobError error, Optional<Instant> retryAt) {
        return emitted(store.fail(jobId, leaseToken, error, retryAt), null);
    }

    @Override
    public Transition cancelRunning(UUID jobId, UUID leaseToken, JobError reason) {
        return emitted(store.cancelRunning(jobId, leaseToken, reason), Kind.CANCELLED);
    }

    @Override
    public Transition snooze(UUID jobId, UUID leaseToken, Instant runAt) {
        return emitted(store.snooze(jobId, leaseToken, runAt), Kind.SNOOZED);
    }

    @Override
    public Transition release(UUID jobId, UUID leaseToken) {
        return emitted(store.release(jobId, leaseToken), Kind.LEASE_RELEASED);
    }

    @Override
    public Transition cancel(UUID jobId) {
        Optional<JobState> before = store.get(jobId).map(Job::state);
        Transition transition = store.cancel(jobId);
        if (before.equals(Optional.of(JobState.CANCELLED))) {
            return transition; // already cancelled: nothing happened
        }
        return emitted(
                transition, transition.job().state() == JobState.RUNNING ? Kind.CANCEL_REQUESTED : Kind.CANCELLED);
    }

    @Override
    public Transition retry(UUID jobId) {
        return emitted(store.retry(jobId), Kind.RETRIED);
    }

    @Override
    public List<ClaimPlace> claimOrder(String queue, Optional<ClaimPlace> after, int limit) {
        return store.claimOrder(queue, after, limit);
    }

    @Override
    public List<Transition> reclaimExpiredLeases(int limit, LapsedLeasePolicy policy) {
        List<Transition> reclaimed = store.reclaimExpiredLeases(limit, policy);
        var events = new ArrayList<JobEvent>();
        reclaimed.forEach(t -> collect(t, null, events));
        emit(events);
        return reclaimed;
    }

    @Override
    public List<DeadWorker> reapDeadWorkers(LapsedLeasePolicy policy) {
        List<DeadWorker> reaped = store.reapDeadWorkers(policy);
        var events = new ArrayList<JobEvent>();
        reaped.forEach(dead -> dead.reclaimed().forEach(t -> collect(t, null, events)));
        emit(events);
        return reaped;
    }

    @Override
    public List<Job> promoteDueJobs(int limit) {
        List<Job> promoted = store.promoteDueJobs(limit);
        emit(promoted.stream().map(job -> event(Kind.PROMOTED, job)).toList());
        return promoted;
    }

    @Override
    public Optional<Instant> earliestRunAt(Set<String> queues) {
        return store.earliestRunAt(queues);
    }

    @Override
    public Optional<Job> get(UUID jobId) {
        return store.get(jobId);
    }

    @Override
    public JobPage list(JobQuery query) {
        return store.list(query);
    }

    @Override
    public List<QueueCounts> counts() {
        return store.counts();
    }

    @Override
    public List<QueueStats> queueStats(Instant finishedSince) {
        return store.queueStats(finishedSince);
    }

    @Override
    public List<FinishedInMinute> finishedPerMinute(Instant since) {
        return store.finishedPerMinute(since);
    }

    @Override
    public int purge(PurgeRequest request) {
        return store.purge(request);
    }

    @Override
    public void setQueuePaused(String queue, boolean paused) {
        store.setQueuePaused(queue, paused);
    }

    @Override
    public Set<String> pausedQueues() {
        return store.pausedQueues();
    }

    @Override
    public void setQueueLimits(String queue, QueueLimits limits) {
        store.setQueueLimits(queue, limits);
    }

    @Override
    public Map<String, QueueLimits> queueLimits() {
        return store.queueLimits();
    }

    @Override
    public RecurringRecord saveRecurring(String name, String schedule, JsonNode definition, Instant upToIfNew) {
        return store.saveRecurring(name, schedule, definition, upToIfNew);
    }

    @Override
    public List<RecurringRecord> recurringJobs() {
        return store.recurringJobs();
    }

    @Override
    public Optional<RecurringRecord> recurringJob(String name) {
        return store.recurringJob(name);
    }

    @Override
    public boolean deleteRecurring(String name) {
        return store.deleteRecurring(name);
    }

    @Override
    public Optional<List<Job>> advanceRecurring(String name, long expectedVersion, Instant upTo, List<NewJob> jobs) {
        Optional<List<Job>> created = store.advanceRecurring(name, expectedVersion, upTo, jobs);
        created.ifPresent(stored -> emitCreated(jobs, stored));
        return created;
    }

    @Override
    public void registerWorker(WorkerInfo worker) {
        store.registerWorker(worker);
    }

    @Override
    public void removeWorker(String workerId) {
        store.removeWorker(workerId);
    }

    @Override
    public List<WorkerInfo> workers() {
        return store.workers();
    }

    @Override
    public Optional<StoppedWorker> stopWorker(String workerId) {
        return store.stopWorker(workerId);
    }

    @Override
    public List<WorkerInfo> workers(Optional<String> after, int limit) {
        return store.workers(after, limit);
    }

    @Override
    public Optional<WorkerInfo> worker(String id) {
        return store.worker(id);
    }

    @Override
    public int removeWorkersSilentSince(Instant cutoff) {
        return store.removeWorkersSilentSince(cutoff);
    }

    @Override
    public boolean subscribe(Consumer<String> onQueueChanged) {
        return store.subscribe(onQueueChanged);
    }

    @Override
    public Optional<StoreHealth> health() {
        return store.health();
    }

    @Override
    public void close() {
        store.close();
    }

    private Transition emitted(Transition transition, Kind kind) {
        var events = new ArrayList<JobEvent>();
        collect(transition, kind, events);
        emit(events);
        return transition;
    }

    /** The job's own event ({@code kind}, or derived from its state when null), then its dependents'. */
    private void collect(Transition transition, Kind kind, List<JobEvent> events) {
        Job job = transition.job();
        events.add(event(kind != null ? kind : kindOfOutcome(job), job));
        for (Job dependent : transition.dependents()) {
            Kind dependentKind = switch (dependent.state()) {
                case CANCELLED -> Kind.CANCELLED;
                case PENDING -> Kind.RETRIED;
                default -> Kind.DEPENDENCIES_MET;
            };
            events.add(event(dependentKind, dependent));
        }
    }

    private static Kind kindOfOutcome(Job job) {
        return switch (job.state()) {
            case RETRYING -> Kind.RETRYING;
            case FAILED -> Kind.FAILED;
            case CANCELLED -> Kind.CANCELLED;
            case SUCCEEDED -> Kind.SUCCEEDED;
            default -> throw new IllegalStateException("not an outcome: " + job.state());
        };
    }

    private JobEvent event(Kind kind, Job job) {
        return new JobEvent(kind, job, clock.instant());
    }

    private void emit(List<JobEvent> events) {
        if (events.isEmpty()) {
            return;
        }
        for (JobListener listener : listeners) {
            try {
                listener.onEvents(events);
            } catch (RuntimeException e) {
                log.warn("job listener {} failed on {} events; the jobs are unaffected", listener, events.size(), e);
            }
        }
    }
}
