package dev.jobs.core.internal.worker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jobs.core.HeartbeatResult;
import dev.jobs.core.Job;
import dev.jobs.core.JobContext;
import dev.jobs.core.JobError;
import dev.jobs.core.LeaseLostException;
import dev.jobs.core.Outcome;
import dev.jobs.core.ParentResult;
import dev.jobs.core.StoreUnavailableException;
import dev.jobs.core.internal.RetryDecider;
import dev.jobs.core.internal.SpecValidator;
import dev.jobs.core.internal.ThrottledWarning;
import dev.jobs.core.spi.JobStore;
import dev.jobs.core.spi.support.Storable;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Runs acquired jobs: each on its own virtual thread, under supervision (lease heartbeats,
 * timeouts, cancellation), and records each attempt's outcome in the store exactly once. The same
 * runner serves the worker pool and {@code JobEngine.drain()}.
 *
 * <p>Thread-safe: active executions live in a concurrent map; each execution's flags are volatile.
 */
public final class JobRunner implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(JobRunner.class);

    private final JobStore store;
    private final Map<String, RegisteredHandler<?>> handlers;
    private final RetryDecider retryDecider;
    private final ObjectMapper mapper;
    private final SpecValidator validator;
    private final Clock clock;
    private final WorkerSettings settings;
    private final Map<UUID, Execution> active = new ConcurrentHashMap<>();
    private final CompletionBatcher completions;

    /** First and longest wait between tries when the store cannot be reached. */
    private static final Duration STORE_RETRY_MIN = Duration.ofMillis(100);

    private static final Duration STORE_RETRY_MAX = Duration.ofSeconds(2);

    /**
     * How often, at most, a failure to record an outcome is logged as a warning, whether one job's
     * or a batch's (see {@link ThrottledWarning}).
     */
    static final Duration RECORDING_FAILURE_WARN_EVERY = Duration.ofSeconds(30);

    private final ThrottledWarning recordingFailed = new ThrottledWarning(RECORDING_FAILURE_WARN_EVERY);

    public JobRunner(
            JobStore store,
            Map<String, RegisteredHandler<?>> handlers,
            RetryDecider retryDecider,
            ObjectMapper mapper,
            SpecValidator validator,
            Clock clock,
            WorkerSettings settings) {
        this.store = store;
        this.handlers = Map.copyOf(handlers);
        this.retryDecider = retryDecider;
        this.mapper = mapper;
        this.validator = validator;
        this.clock = clock;
        this.settings = settings;
        this.completions = new CompletionBatcher(store, recordingFailed);
    }

    /** Stops the completion writer once running jobs have been recorded or released. */
    @Override
    public void close() {
        completions.close();
    }

    /**
     * Starts running an acquired job. {@code onHandlerReturned} runs as soon as its handler returns
     * or throws; {@code onFinish} once its outcome is recorded (or given up on).
     */
    Execution start(Job job, Runnable onHandlerReturned, Runnable onFinish) {
        Instant now = clock.instant();
        Optional<Duration> timeout = job.timeout()
                .or(() -> Optional.ofNullable(handlers.get(job.type())).flatMap(RegisteredHandler::timeout));
        var execution = new Execution(job, timeout.map(now::plus), now.plus(settings.heartbeatInterval()));
        active.put(job.id(), execution);
        Thread thread = Thread.ofVirtual()
                .name("jobs-" + job.type() + "-" + job.id())
                .unstarted(() -> {
                    try {
                        run(execution, onHandlerReturned);
                    } finally {
                        active.remove(job.id());
                        execution.markFinished();
                        onFinish.run();
                    }
                });
        execution.thread = thread;
        thread.start();
        return execution;
    }

    /**
     * Runs one acquired job and returns once its outcome is recorded, supervising it from the
     * calling thread (for {@code JobEngine.drain()}, where no pool runs).
     */
    public void runAndWait(Job job) throws InterruptedException {
        Execution execution = start(job, () -> {}, () -> {});
        long tick = settings.tickInterval().toNanos();
        while (!execution.awaitFinished(tick)) {
            supervise(execution);
        }
    }

    /** The attempts running now. */
    Collection<Execution> active() {
        return List.copyOf(active.values());
    }

    int activeCount() {
        return active.size();
    }

    /** Tells a running handler at once that cancellation was asked (instead of at its heartbeat). */
    public void cancellationRequested(UUID jobId) {
        Execution execution = active.get(jobId);
        if (execution != null) {
            noticeCancellation(execution, clock.instant());
        }
    }

    /**
     * Checks one running attempt against the clock: interrupts it past its timeout or its
     * cancellation grace, and renews its lease when a heartbeat is due.
     */
    void supervise(Execution execution) {
        if (execution.isFinished()) {
            return;
        }
        Instant now = clock.instant();
        if (!execution.timedOut && execution.deadline.map(d -> !now.isBefore(d)).orElse(false)) {
            execution.timedOut = true;
            log.debug("job {} ran past its timeout; interrupting it", execution.job.id());
            execution.interrupt();
        }
        if (execution.cancelSeen && !execution.interruptedForCancel && !now.isBefore(execution.cancelDeadline)) {
            execution.interruptedForCancel = true;
            log.debug("job {} did not stop within the cancellation grace; interrupting it", execution.job.id());
            execution.interrupt();
        }
        if (!now.isBefore(execution.nextHeartbeatAt) && !execution.leaseLost) {
            heartbeat(execution, now);
        }
    }

    private void heartbeat(Execution execution, Instant now) {
        try {
            HeartbeatResult result =
                    store.heartbeat(execution.job.id(), execution.leaseToken, settings.leaseDuration());
            execution.leaseExpiresAt = result.leaseExpiresAt();
            execution.nextHeartbeatAt = now.plus(settings.heartbeatInterval());
            if (result.cancelRequested()) {
                noticeCancellation(execution, now);
            }
        } catch (LeaseLostException e) {
            execution.leaseLost = true;
            if (execution.hasHandlerReturned()) {
                // The outcome was being recorded as the heartbeat went out: the lease ended with it.
                log.debug("job {}: heartbeat after its outcome was recorded: {}", execution.job.id(), e.getMessage());
                return;
            }
            log.warn("job {} ({}): {}; stopping its handler", execution.job.id(), execution.job.type(), e.getMessage());
            execution.interrupt();
        } catch (RuntimeException e) {
            if (!now.isBefore(execution.leaseExpiresAt)) {
                // Cut off from the store past the lease: another worker may own the job by now.
                execution.leaseLost = true;
                log.warn(
                        "job {} ({}): its lease lapsed at {} while heartbeats failed ({}); stopping its handler,"
                                + " the job runs again elsewhere",
                        execution.job.id(),
                        execution.job.type(),
                        execution.leaseExpiresAt,
                        e.toString());
                execution.interrupt();
                return;
            }
            // The lease outlasts a few missed heartbeats; try again soon, not at every tick.
            execution.nextHeartbeatAt = now.plus(
                    STORE_RETRY_MAX.compareTo(settings.heartbeatInterval()) < 0
                            ? STORE_RETRY_MAX
                            : settings.heartbeatInterval());
            log.warn("heartbeat for job {} failed; retrying: {}", execution.job.id(), e.toString());
        }
    }

    private void noticeCancellation(Execution execution, Instant now) {
        if (!execution.cancelSeen) {
            execution.cancelDeadline = now.plus(settings.cancellationGrace());
            execution.cancelSeen = true;
        }
    }

    /**
     * Gives the lease back unfinished (shutdown): the job is ready for another worker at once, and
     * this attempt's late outcome, if any, is not recorded.
     */
    void release(Execution execution) {
        execution.released = true;
        execution.interrupt();
        try {
            store.release(execution.job.id(), execution.leaseToken);
            log.info("gave back the lease on job {} ({}) at shutdown", execution.job.id(), execution.job.type());
        } catch (LeaseLostException e) {
            log.debug("job {} finished while its lease was being given back", execution.job.id());
        } catch (RuntimeException e) {
            log.warn(
                    "could not give back the lease on job {}; it will be reclaimed when the lease lapses",
                    execution.job.id(),
                    e);
        }
    }

    private void run(Execution execution, Runnable onHandlerReturned) {
        Job job = execution.job;
        MDC.put("job.id", job.id().toString());
        MDC.put("job.type", job.type());
        MDC.put("job.queue", job.queue());
        try {
            AttemptResult result;
            try {
                result = invoke(execution);
            } finally {
                onHandlerReturned.run();
            }
            recordUntilStored(execution, result);
        } finally {
            MDC.remove("job.id");
            MDC.remove("job.type");
            MDC.remove("job.queue");
        }
    }

    /** Logs a failed recording as a warning at most every {@link #RECORDING_FAILURE_WARN_EVERY}. */
    private void warnRecordingFailed(Execution execution, Duration backoff, StoreUnavailableException e) {
        recordingFailed.log(
                log,
                "recording the outcome of job {} failed; trying again in {}: {}",
                execution.job.id(),
                backoff,
                e.getMessage());
    }

    /**
     * Records the outcome, trying again while the store is unreachable (a restart, a failover) for
     * as long as this worker still holds the lease: giving up early would make the job run again
     * once the lease lapses, though it already ran.
     */
    private void recordUntilStored(Execution execution, AttemptResult result) {
        Duration backoff = STORE_RETRY_MIN;
        boolean again = false;
        while (!execution.released) {
            try {
                record(execution, result, again);
                return;
            } catch (RuntimeException e) {
                // A failed group completion was logged once for its batch; its jobs log it at DEBUG.
                boolean logged = e instanceof CompletionBatcher.BatchWriteFailed;
                RuntimeException failure = logged ? ((CompletionBatcher.BatchWriteFailed) e).getCause() : e;
                if (!(failure instanceof StoreUnavailableException unavailable)) {
                    logGivingUp(
                            logged,
                            execution,
                            "could not record the outcome of job {} ({}); it will run again when its lease lapses",
                            failure);
                    return;
                }
                if (!clock.instant().plus(backoff).isBefore(execution.leaseExpiresAt)) {
                    logGivingUp(
                            logged,
                            execution,
                            "could not record the outcome of job {} ({}) before its lease lapsed; it will run again",
                            failure);
                    return;
                }
                if (logged) {
                    log.debug(
                            "recording the outcome of job {} failed with its batch; trying again in {}",
                            execution.job.id(),
                            backoff);
                } else {
                    warnRecordingFailed(execution, backoff, unavailable);
                }
                LockSupport.parkNanos(backoff.toNanos());
                again = true;
                backoff = backoff.multipliedBy(2).compareTo(STORE_RETRY_MAX) > 0
                        ? STORE_RETRY_MAX
                        : backoff.multipliedBy(2);
            }
        }
    }

    /**
     * A job whose outcome is given up on, so that it will run again: an ERROR with the failure, or,
     * when its batch's line said what failed, a WARN that names the job only.
     */
    private static void logGivingUp(boolean logged, Execution execution, String message, RuntimeException failure) {
        if (logged) {
            log.warn(message + " (its batch's failure is logged above)", execution.job.id(), execution.job.type());
        } else {
            log.error(message, execution.job.id(), execution.job.type(), failure);
        }
    }

    /** What the handler did: returned a value, or threw. */
    private record AttemptResult(Object value, Throwable failure) {}

    private AttemptResult invoke(Execution execution) {
        RegisteredHandler<?> handler = handlers.get(execution.job.type());
        if (handler == null) {
            return new AttemptResult(
                    null,
                    new IllegalStateException("no handler for job type '"
                            + execution.job.type()
                            + "' is registered on worker "
                            + settings.workerId()
                            + "; register one, or keep this type off the queues it works"));
        }
        try {
            return new AttemptResult(call(handler, execution), null);
        } catch (Throwable failure) {
            return new AttemptResult(null, failure);
        } finally {
            execution.handlerReturned(); // an interrupt aimed at the handler must not disturb recording
        }
    }

    private <T> Object call(RegisteredHandler<T> handler, Execution execution) throws Exception {
        T payload;
        try {
            payload = mapper.treeToValue(execution.job.payload(), handler.payloadType());
        } catch (Exception e) {
            return Outcome.discard("payload does not fit "
                    + handler.payloadType().getName()
                    + ": "
                    + e.getMessage()
                    + " (fix the producer, then retry the job)");
        }
        return handler.handler().handle(new Context<>(payload, execution));
    }

    /**
     * @param again whether an earlier try failed: its write may have landed though its answer was
     *     lost (a connection cut at the commit), so a refusal now most likely means the job already
     *     holds this outcome
     */
    private void record(Execution execution, AttemptResult attempt, boolean again) {
        Job job = execution.job;
        UUID id = job.id();
        UUID token = execution.leaseToken;
        Instant now = clock.instant();
        try {
            if (execution.timedOut) {
                Duration allowed = Duration.between(job.startedAt().orElse(now), execution.deadline.orElse(now));
                var error = JobError.timedOut(allowed);
                store.fail(id, token, error, retryDecider.retryAt(job, now));
            } else if (attempt.failure() != null) {
                recordFailure(execution, attempt.failure(), now);
            } else if (attempt.value() instanceof Outcome outcome) {
                recordOutcome(execution, outcome, now);
            } else {
                completions.complete(execution.latest, toJson(attempt.value()));
            }
        } catch (LeaseLostException e) {
            if (again) {
                // Tried again within the lease after a write whose answer was lost: that write most
                // likely landed, and one line per job of a failed batch would say nothing new.
                log.debug("outcome of job {} ({}) not recorded again: {}", id, job.type(), e.getMessage());
            } else {
                // Fencing at work: another worker owns the job now, and this outcome must not count.
                log.warn("outcome of job {} ({}) not recorded: {}", id, job.type(), e.getMessage());
            }
        } catch (UnstorableResult e) {
            recordFailure(execution, e, now);
        }
    }

    private void recordFailure(Execution execution, Throwable failure, Instant now) {
        Job job = execution.job;
        try {
            if (execution.cancelSeen) {
                store.cancelRunning(
                        job.id(),
                        execution.leaseToken,
                        JobError.of("Cancelled", "cancelled while running: " + failure));
            } else if (execution.leaseLost) {
                log.debug("job {} stopped after losing its lease", job.id());
            } else {
                store.fail(
                        job.id(), execution.leaseToken, JobError.of(failure), retryDecider.retryAt(job, failure, now));
            }
        } catch (LeaseLostException e) {
            log.warn("failure of job {} ({}) not recorded: {}", job.id(), job.type(), e.getMessage());
        }
    }

    private void recordOutcome(Execution execution, Outcome outcome, Instant now) {
        UUID id = execution.job.id();
        UUID token = execution.leaseToken;
        switch (outcome) {
            case Outcome.Snooze snooze -> store.snooze(id, token, now.plus(snooze.delay()));
            case Outcome.Discard discard ->
                store.fail(id, token, JobError.of("Discarded", discard.reason()), Optional.empty());
            case Outcome.Cancel cancel -> store.cancelRunning(id, token, JobError.of("Cancelled", cancel.reason()));
        }
    }

    private Optional<JsonNode> toJson(Object value) {
        if (value == null) {
            return Optional.empty();
        }
        JsonNode json;
        try {
            json = value instanceof JsonNode node ? node : mapper.valueToTree(value);
        } catch (IllegalArgumentException e) {
            throw new UnstorableResult(
                    "the handler's result of type " + value.getClass().getName() + " cannot be written as JSON", e);
        }
        Storable.jsonProblem(json).ifPresent(problem -> {
            throw new UnstorableResult("the handler's result cannot be stored: " + problem, null);
        });
        return Optional.of(json);
    }

    /** The handler returned a value no store can hold; the attempt counts as failed. */
    private static final class UnstorableResult extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UnstorableResult(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The handler's view of its attempt. */
    private final class Context<T> implements JobContext<T> {
        private final T payload;
        private final Execution execution;
        private final DurableWork durable;

        Context(T payload, Execution execution) {
            this.payload = payload;
            this.execution = execution;
            this.durable = new DurableWork(store, execution, mapper, validator);
        }

        @Override
        public <R> R step(String name, Class<R> type, StepWork<R> work) throws Exception {
            return durable.step(name, type, work);
        }

        @Override
        public JsonNode step(String name, StepWork<?> work) throws Exception {
            return durable.step(name, work);
        }

        @Override
        public void checkpoint(Object state) {
            durable.checkpoint(state);
        }

        @Override
        public <S> Optional<S> lastCheckpoint(Class<S> type) {
            return durable.lastCheckpoint(type);
        }

        @Override
        public List<ParentResult> parentResults() {
            return durable.parentResults();
        }

        @Override
        public <R> Optional<R> parentResult(String name, Class<R> type) {
            return durable.parentResult(name, type);
        }

        @Override
        public T payload() {
            return payload;
        }

        @Override
        public Job job() {
            return execution.job;
        }

        @Override
        public void progress(int percent) {
            report(percent, Optional.empty());
        }

        @Override
        public void progress(int percent, String message) {
            report(percent, Optional.of(message));
        }

        private void report(int percent, Optional<String> message) {
            message.ifPresent(text -> Storable.requireText("message", text));
            try {
                execution.latest = store.reportProgress(execution.job.id(), execution.leaseToken, percent, message);
            } catch (LeaseLostException e) {
                execution.leaseLost = true;
                throw e;
            }
        }

        @Override
        public boolean isCancelled() {
            return execution.cancelSeen;
        }
    }
}
