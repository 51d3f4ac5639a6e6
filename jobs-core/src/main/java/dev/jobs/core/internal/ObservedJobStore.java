package dev.jobs.core.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jobs.core.FinishedInMinute;
import dev.jobs.core.HeartbeatResult;
import dev.jobs.core.Job;
import dev.jobs.core.JobCheckpoint;
import dev.jobs.core.JobError;
import dev.jobs.core.JobEvent;
import dev.jobs.core.JobEvent.Kind;
import dev.jobs.core.JobListener;
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
import dev.jobs.core.internal.EventOrder.Role;
import dev.jobs.core.spi.AcquireRequest;
import dev.jobs.core.spi.ClaimPlace;
import dev.jobs.core.spi.Completion;
import dev.jobs.core.spi.CompletionResult;
import dev.jobs.core.spi.DeadWorker;
import dev.jobs.core.spi.JobStore;
import dev.jobs.core.spi.LapsedLeasePolicy;
import dev.jobs.core.spi.NewJob;
import dev.jobs.core.spi.RecurringRecord;
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
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wraps any store so that every committed change becomes {@link JobEvent}s for the listeners
 * (metrics, dispatch, the engine's waiters, the host's own), each job's in the order of its
 * lifecycle ({@link EventOrder}). Being the one decorator every call goes through, no store can
 * forget to report a change. Thread-safe if the store is; listeners may be added at any time.
 */
public final class ObservedJobStore implements JobStore {
    private static final Logger log = LoggerFactory.getLogger(ObservedJobStore.class);

    private final JobStore store;
    private final Clock clock;
    private final List<JobListener> listeners = new CopyOnWriteArrayList<>();
    private final EventOrder order = new EventOrder(this::deliver);

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
        return creating(jobs, () -> store.create(jobs));
    }

    /** Creates jobs through {@code create}; a job returned for a held unique key was not created by it. */
    private List<Job> creating(List<NewJob> jobs, Supplier<List<Job>> create) {
        return observed(Role.OTHER, jobs.stream().map(NewJob::id).toList(), create, (stored, events) -> {
            for (int i = 0; i < stored.size(); i++) {
                if (stored.get(i).id().equals(jobs.get(i).id())) {
                    events.add(event(Kind.CREATED, stored.get(i)));
                }
            }
        });
    }

    /**
     * Announces jobs created in a host's transaction once it committed, as {@link #create} announces
     * its own: by then a worker may already have started one, so its {@code CREATED} may follow its
     * {@code STARTED}.
     */
    public void announceCreated(List<Job> jobs) {
        observed(
                Role.OTHER,
                List.of(),
                () -> jobs,
                (created, events) -> created.forEach(job -> events.add(event(Kind.CREATED, job))));
    }

    @Override
    public List<JobStep> steps(UUID jobId) {
        return store.steps(jobId);
    }

    @Override
    public JobStep recordStep(UUID jobId, UUID leaseToken, int index, String name, JsonNode result) {
        return store.recordStep(jobId, leaseToken, index, name, result);
    }

    @Override
    public Optional<JobCheckpoint> checkpoint(UUID jobId) {
        return store.checkpoint(jobId);
    }

    @Override
    public JobCheckpoint saveCheckpoint(UUID jobId, UUID leaseToken, JsonNode state) {
        return store.saveCheckpoint(jobId, leaseToken, state);
    }

    @Override
    public List<ParentResult> parentResults(UUID jobId) {
        return store.parentResults(jobId);
    }

    @Override
    public List<Job> acquire(AcquireRequest request) {
        return started(() -> store.acquire(request));
    }

    @Override
    public List<Job> acquire(AcquireRequest request, Collection<UUID> candidates) {
        return started(() -> store.acquire(request, candidates));
    }

    private List<Job> started(Supplier<List<Job>> acquire) {
        return observed(
                Role.STARTING,
                List.of(),
                acquire,
                (acquired, events) -> acquired.forEach(job -> events.add(event(Kind.STARTED, job))));
    }

    @Override
    public HeartbeatResult heartbeat(UUID jobId, UUID leaseToken, Duration leaseDuration) {
        return store.heartbeat(jobId, leaseToken, leaseDuration);
    }

    @Override
    public Job reportProgress(UUID jobId, UUID leaseToken, int progress, Optional<String> message) {
        return observed(
                Role.OTHER,
                List.of(jobId),
                () -> store.reportProgress(jobId, leaseToken, progress, message),
                (job, events) -> events.add(event(Kind.PROGRESS, job)));
    }

    @Override
    public Transition complete(UUID jobId, UUID leaseToken, Optional<JsonNode> result) {
        return transition(jobId, Kind.SUCCEEDED, () -> store.complete(jobId, leaseToken, result));
    }

    @Override
    public List<CompletionResult> completeAll(List<Completion> completions) {
        return observed(
                Role.READYING,
                completions.stream().map(c -> c.running().id()).toList(),
                () -> store.completeAll(completions),
                (results, events) ->
                        results.forEach(r -> r.transition().ifPresent(t -> collect(t, Kind.SUCCEEDED, events))));
    }

    @Override
    public Transition fail(UUID jobId, UUID leaseToken, JobError error, Optional<Instant> retryAt) {
        return transition(jobId, null, () -> store.fail(jobId, leaseToken, error, retryAt));
    }

    @Override
    public Transition cancelRunning(UUID jobId, UUID leaseToken, JobError reason) {
        return transition(jobId, Kind.CANCELLED, () -> store.cancelRunning(jobId, leaseToken, reason));
    }

    @Override
    public Transition snooze(UUID jobId, UUID leaseToken, Instant runAt) {
        return transition(jobId, Kind.SNOOZED, () -> store.snooze(jobId, leaseToken, runAt));
    }

    @Override
    public Transition release(UUID jobId, UUID leaseToken) {
        return transition(jobId, Kind.LEASE_RELEASED, () -> store.release(jobId, leaseToken));
    }

    @Override
    public Transition cancel(UUID jobId) {
        return observed(
                        Role.READYING,
                        List.of(jobId),
                        () -> {
                            Optional<JobState> before = store.get(jobId).map(Job::state);
                            return new Cancel(before, store.cancel(jobId));
                        },
                        (cancel, events) -> {
                            if (!cancel.before().equals(Optional.of(JobState.CANCELLED))) { // else nothing happened
                                Transition t = cancel.transition();
                                collect(
                                        t,
                                        t.job().state() == JobState.RUNNING ? Kind.CANCEL_REQUESTED : Kind.CANCELLED,
                                        events);
                            }
                        })
                .transition();
    }

    private record Cancel(Optional<JobState> before, Transition transition) {}

    @Override
    public Transition retry(UUID jobId) {
        return transition(jobId, Kind.RETRIED, () -> store.retry(jobId));
    }

    @Override
    public List<ClaimPlace> claimOrder(String queue, Optional<ClaimPlace> after, int limit) {
        return store.claimOrder(queue, after, limit);
    }

    @Override
    public List<Transition> reclaimExpiredLeases(int limit, LapsedLeasePolicy policy) {
        return observed(
                Role.READYING,
                List.of(),
                () -> store.reclaimExpiredLeases(limit, policy),
                (reclaimed, events) -> reclaimed.forEach(t -> collect(t, null, events)));
    }

    @Override
    public List<DeadWorker> reapDeadWorkers(LapsedLeasePolicy policy) {
        return observed(
                Role.READYING,
                List.of(),
                () -> store.reapDeadWorkers(policy),
                (reaped, events) -> reaped.forEach(dead -> dead.reclaimed().forEach(t -> collect(t, null, events))));
    }

    @Override
    public List<Job> promoteDueJobs(int limit) {
        return observed(
                Role.READYING,
                List.of(),
                () -> store.promoteDueJobs(limit),
                (promoted, events) -> promoted.forEach(job -> events.add(event(Kind.PROMOTED, job))));
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
        var advanced = new AtomicReference<Optional<List<Job>>>(Optional.empty());
        creating(jobs, () -> {
            advanced.set(store.advanceRecurring(name, expectedVersion, upTo, jobs));
            return advanced.get().orElse(List.of());
        });
        return advanced.get();
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

    /**
     * Runs a store call and hands its events to the listeners in each job's lifecycle order (see
     * {@link EventOrder}).
     *
     * @param role what the call may do to jobs it does not name
     * @param named the jobs the call changes, as far as known before it runs
     * @param events adds the events of the call's result
     */
    private <T> T observed(Role role, List<UUID> named, Supplier<T> call, BiConsumer<T, List<JobEvent>> events) {
        EventOrder.Call inFlight = order.begin(role, named);
        var happened = new ArrayList<JobEvent>();
        try {
            T result = call.get();
            events.accept(result, happened);
            return result;
        } finally {
            order.end(inFlight, happened);
        }
    }

    /** A call on one job whose outcome is {@code kind} (or read from its state when null), with its dependents'. */
    private Transition transition(UUID jobId, Kind kind, Supplier<Transition> call) {
        return observed(Role.READYING, List.of(jobId), call, (t, events) -> collect(t, kind, events));
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

    private void deliver(List<JobEvent> events) {
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
