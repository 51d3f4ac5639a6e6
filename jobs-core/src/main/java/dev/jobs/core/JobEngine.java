package dev.jobs.core;

import dev.jobs.core.JobValidationException.FieldError;
import dev.jobs.core.hooks.EngineHooks;
import dev.jobs.core.internal.JobMetrics;
import dev.jobs.core.internal.ObservedJobStore;
import dev.jobs.core.internal.RetryDecider;
import dev.jobs.core.internal.SpecValidator;
import dev.jobs.core.internal.maintenance.DeadWorkerReaper;
import dev.jobs.core.internal.maintenance.DueJobPromoter;
import dev.jobs.core.internal.maintenance.HostCommitAnnouncer;
import dev.jobs.core.internal.maintenance.LeaseReclaimer;
import dev.jobs.core.internal.maintenance.Maintenance;
import dev.jobs.core.internal.maintenance.MaintenanceTask;
import dev.jobs.core.internal.maintenance.QueueDepthSampler;
import dev.jobs.core.internal.maintenance.RecurringJobCreator;
import dev.jobs.core.internal.maintenance.RetentionPruner;
import dev.jobs.core.internal.maintenance.StaleWorkerPruner;
import dev.jobs.core.internal.maintenance.StoreHealthMonitor;
import dev.jobs.core.internal.worker.JobRunner;
import dev.jobs.core.internal.worker.WorkerPool;
import dev.jobs.core.internal.worker.WorkerSettings;
import dev.jobs.core.spi.AcquireRequest;
import dev.jobs.core.spi.HostTransactionStore;
import dev.jobs.core.spi.JobQueue;
import dev.jobs.core.spi.support.JobIds;
import dev.jobs.core.spi.support.Storable;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job engine: creates jobs, runs them with registered handlers, and answers questions about
 * them. Build one with {@link #builder()} ({@link JobEngineBuilder}), {@link #start()} it to run
 * workers, {@link #close()} it to stop gracefully.
 *
 * <p>It shows two faces, so that code can be handed only the one it needs: {@link JobClient},
 * creating and watching jobs, and {@link JobAdmin}, operating queues, workers, recurring jobs and
 * the store. {@link #remoteWorkers()} is the third, for workers outside this engine. What remains
 * here is the engine's own lifecycle: its workers, its maintenance, starting and stopping.
 *
 * <pre>{@code
 * try (JobEngine engine = JobEngine.builder()
 *     .register("email.send", Email.class, ctx -> mailer.send(ctx.payload()))
 *     .build()
 *     .start()) {
 *   Job job = engine.enqueue(JobSpec.of("email.send", new Email("a@example.com")));
 *   engine.await(job.id(), Duration.ofSeconds(10));
 * }
 * }</pre>
 *
 * <p>Thread-safe. Its configuration is fixed when built and logged once at start.
 */
public final class JobEngine implements JobClient, JobAdmin, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(JobEngine.class);

    /** How often {@link #await} re-reads a job changed by another process. */
    private static final Duration AWAIT_POLL = Duration.ofMillis(100);

    /** Jobs fetched per acquisition in {@link #drain()}. */
    private static final int DRAIN_BATCH = 100;

    /** How often the store's health (table sizes, dead rows, what holds vacuum back) is sampled. */
    private static final Duration HEALTH_SAMPLE_INTERVAL = Duration.ofSeconds(30);

    /** How often due occurrences of recurring jobs are looked for: a job runs at most this late. */
    private static final Duration RECURRING_INTERVAL = Duration.ofSeconds(1);

    /**
     * How often the store is asked for jobs created in hosts' transactions that committed since: a
     * committed job is announced, and published to a dispatch queue, at most this late.
     */
    private static final Duration HOST_COMMIT_INTERVAL = Duration.ofMillis(200);

    private static final Pattern QUEUE_NAME = Pattern.compile(JobLimits.QUEUE_PATTERN);
    private static final Pattern TYPE_NAME = Pattern.compile(JobLimits.TYPE_PATTERN);

    static {
        EngineHooks.grant(new EngineHooks.Steps() {
            @Override
            public int drain(JobEngine engine) {
                return engine.drain();
            }

            @Override
            public int runMaintenance(JobEngine engine) {
                return engine.runMaintenance();
            }

            @Override
            public Optional<Instant> nextRunAt(JobEngine engine) {
                return engine.nextRunAt();
            }
        });
    }

    private final JobEngineBuilder config;
    private final Clock clock;
    private final ObservedJobStore store;
    private final JobQueue queue;
    private final JobIds ids;
    private final JobSubmission submission;
    private final RecurringJobs recurringJobs;
    private final SpecValidator validator;
    private final JobRunner runner;
    private final WorkerPool pool;
    private final Maintenance maintenance;
    private final Maintenance announcing;
    private final RemoteWorkers remoteWorkers;
    private final Map<UUID, CompletableFuture<Job>> waiters = new ConcurrentHashMap<>();
    private volatile boolean started;
    private volatile boolean closed;

    JobEngine(JobEngineBuilder config) {
        this.config = config;
        this.clock = config.clock;
        this.store = new ObservedJobStore(config.store, clock);
        this.validator = new SpecValidator(config.mapper, config.maxPayloadBytes);
        this.ids = new JobIds(clock);
        this.submission = new JobSubmission(validator, ids, clock, store, config.mapper);
        this.recurringJobs = new RecurringJobs(validator, store, clock, submission);
        // Checked before anything that holds a connection or a thread is made.
        for (RecurringJob recurring : config.recurringJobs.values()) {
            List<FieldError> errors = recurringJobs.problemsOf(recurring);
            if (!errors.isEmpty()) {
                validator.close();
                throw new IllegalArgumentException("recurring job '" + recurring.name() + "' is not valid: "
                        + new JobValidationException(errors).getMessage());
            }
        }
        this.queue = config.queueFactory.apply(store);
        var retryDecider = new RetryDecider(config.defaultRetryPolicy, config.retryPolicyByType, config.random);
        var settings = new WorkerSettings(
                config.workerId,
                config.concurrencyByQueue,
                config.leaseDuration,
                WorkerSettings.heartbeatIntervalFor(config.leaseDuration),
                config.cancellationGrace,
                config.pollInterval,
                config.maxPollInterval,
                config.shutdownTimeout,
                config.tickInterval);
        this.runner = new JobRunner(store, config.handlers, retryDecider, config.mapper, validator, clock, settings);
        this.pool = new WorkerPool(queue, store, runner, settings, clock);

        var tasks = new ArrayList<MaintenanceTask>();
        tasks.add(new LeaseReclaimer(store, retryDecider, clock, config.reclaimInterval));
        tasks.add(new DueJobPromoter(store, config.promoteInterval));
        tasks.add(new RetentionPruner(
                store, clock, config.keepFinishedFor, config.keepLatestPerQueue, config.retentionInterval));
        tasks.add(new DeadWorkerReaper(store, retryDecider, clock, config.reclaimInterval));
        tasks.add(new StaleWorkerPruner(store, clock, config.workerRetention, config.retentionInterval));
        Optional<JobMetrics> metrics = Optional.ofNullable(config.meterRegistry).map(JobMetrics::new);
        metrics.ifPresent(m -> {
            store.addListener(m);
            tasks.add(new QueueDepthSampler(store, m, config.promoteInterval.multipliedBy(5)));
        });
        tasks.add(new StoreHealthMonitor(store, metrics, clock, HEALTH_SAMPLE_INTERVAL));
        tasks.add(new RecurringJobCreator(store, recurringJobs::occurrenceJobs, clock, RECURRING_INTERVAL));
        this.maintenance = new Maintenance(tasks);
        // On a thread of its own, so that a long retention pass never holds back an announcement.
        this.announcing = new Maintenance(
                "jobs-host-commits",
                config.store instanceof HostTransactionStore host
                        ? List.of(new HostCommitAnnouncer(host, store, HOST_COMMIT_INTERVAL))
                        : List.of());
        this.remoteWorkers = new RemoteWorkers(store, queue, retryDecider, validator, clock, config.cancellationGrace);

        // Dispatch learns of every job that became claimable, whoever changed it.
        store.addListener(new JobListener() {
            @Override
            public void onEvent(JobEvent event) {
                queue.publish(List.of(event.job()));
            }

            @Override
            public void onEvents(List<JobEvent> events) {
                queue.publish(events.stream().map(JobEvent::job).toList());
            }
        });
        store.addListener(this::onEvent);
        config.listeners.forEach(store::addListener);
    }

    private void onEvent(JobEvent event) {
        if (event.kind() == JobEvent.Kind.CANCEL_REQUESTED) {
            runner.cancellationRequested(event.job().id());
        }
        if (event.job().isTerminal()) {
            CompletableFuture<Job> waiter = waiters.remove(event.job().id());
            if (waiter != null) {
                waiter.complete(event.job());
            }
        }
    }

    public static JobEngineBuilder builder() {
        return new JobEngineBuilder();
    }

    /**
     * Starts the workers (when handlers are registered) and the maintenance tasks. Returns this
     * engine, so building and starting read as one expression.
     */
    public synchronized JobEngine start() {
        requireOpen();
        if (started) {
            return this;
        }
        started = true;
        log.info(
                "jobs engine starting: store {}, queue {}, worker {}, queues {}, handlers {}, lease {}, wake-ups: {}, retention {}",
                config.store.getClass().getSimpleName(),
                queue.getClass().getSimpleName(),
                config.workerId,
                config.concurrencyByQueue,
                config.handlers.keySet(),
                config.leaseDuration,
                queue.hearsOtherProcesses()
                        ? "idle workers hear of other processes' jobs at once"
                        : "other processes' jobs are found by polling every " + config.pollInterval
                                + ", backing off to " + config.maxPollInterval + " when idle",
                config.keepFinishedFor);
        config.queueLimits.forEach(this::setQueueLimits);
        config.recurringJobs.values().forEach(recurringJobs::save);
        maintenance.start();
        announcing.start();
        if (!config.handlers.isEmpty()) {
            pool.start();
        }
        return this;
    }

    @Override
    public Job enqueue(JobSpec spec) {
        return submit(spec).job();
    }

    @Override
    public Enqueued submit(JobSpec spec) {
        requireOpen();
        return submission.submit(spec);
    }

    @Override
    public Job enqueue(String type, Object payload) {
        return enqueue(submission.spec(type, payload));
    }

    @Override
    public List<Job> enqueueAll(List<JobSpec> specs) {
        requireOpen();
        return submission.enqueueAll(specs);
    }

    @Override
    public List<Job> enqueueIn(Connection connection, List<JobSpec> specs) {
        requireOpen();
        return submission.enqueueIn(connection, specs);
    }

    @Override
    public Map<String, Job> graph(JobGraph graph) {
        requireOpen();
        return submission.graph(graph);
    }

    @Override
    public RecurringStatus putRecurring(RecurringJob recurring) {
        requireOpen();
        return recurringJobs.put(recurring);
    }

    @Override
    public List<RecurringStatus> recurring() {
        return recurringJobs.all();
    }

    @Override
    public Optional<RecurringStatus> recurring(String name) {
        return recurringJobs.get(name);
    }

    @Override
    public boolean deleteRecurring(String name) {
        return recurringJobs.delete(name);
    }

    /**
     * The worker steps (acquire, heartbeat, complete, fail) for workers outside this engine, such as
     * the HTTP adapter's remote workers. Works whether or not this engine was started.
     */
    public RemoteWorkers remoteWorkers() {
        return remoteWorkers;
    }

    /** The job as the store holds it now. */
    @Override
    public Optional<Job> get(UUID jobId) {
        return store.get(jobId);
    }

    @Override
    public JobPage list(JobQuery query) {
        var errors = new ArrayList<FieldError>();
        query.queues().stream()
                .filter(name -> !isQueueName(name))
                .findFirst()
                .ifPresent(name -> errors.add(new FieldError(
                        "queue", "must match " + JobLimits.QUEUE_PATTERN + " (was " + Storable.shown(name, 77) + ")")));
        query.types().stream()
                .filter(type -> !TYPE_NAME.matcher(type).matches())
                .findFirst()
                .ifPresent(type -> errors.add(new FieldError(
                        "type", "must match " + JobLimits.TYPE_PATTERN + " (was " + Storable.shown(type, 77) + ")")));
        if (!errors.isEmpty()) {
            throw new JobValidationException(errors);
        }
        return store.list(query);
    }

    /** Jobs per queue and state. */
    @Override
    public List<QueueCounts> counts() {
        return store.counts();
    }

    @Override
    public List<QueueStats> queueStats(Instant since) {
        return store.queueStats(since);
    }

    @Override
    public void checkHealth() {
        store.get(new UUID(0, 0));
        queue.ping();
    }

    @Override
    public List<FinishedInMinute> finishedPerMinute(Instant since) {
        return store.finishedPerMinute(since);
    }

    @Override
    public Subscription subscribe(JobListener listener) {
        Objects.requireNonNull(listener, "listener");
        store.addListener(listener);
        return () -> store.removeListener(listener);
    }

    @Override
    public List<WorkerInfo> workers() {
        return store.workers();
    }

    @Override
    public WorkerPage workers(Optional<String> after, int limit) {
        if (limit < 1 || limit > JobLimits.MAX_PAGE_SIZE) {
            throw JobValidationException.of("limit", "must be 1 to " + JobLimits.MAX_PAGE_SIZE);
        }
        // One more than asked says whether another page follows.
        List<WorkerInfo> found = store.workers(after, limit + 1);
        List<WorkerInfo> page = found.subList(0, Math.min(limit, found.size()));
        return new WorkerPage(
                page,
                found.size() > limit ? Optional.of(page.get(page.size() - 1).id()) : Optional.empty());
    }

    @Override
    public List<JobStep> steps(UUID jobId) {
        return store.steps(jobId);
    }

    @Override
    public Optional<JobCheckpoint> checkpoint(UUID jobId) {
        return store.checkpoint(jobId);
    }

    @Override
    public Job cancel(UUID jobId) {
        return store.cancel(jobId).job();
    }

    @Override
    public Job retry(UUID jobId) {
        return store.retry(jobId).job();
    }

    @Override
    public Optional<DispatchDepth> dispatchDepth(String queueName) {
        return queue.depth(requireQueueName(queueName));
    }

    /** Stops every engine sharing the store from starting jobs of this queue. */
    @Override
    public void pauseQueue(String queueName) {
        store.setQueuePaused(requireQueueName(queueName), true);
        queue.queuePaused(queueName, true);
    }

    @Override
    public void resumeQueue(String queueName) {
        store.setQueuePaused(requireQueueName(queueName), false);
        queue.queuePaused(queueName, false);
        // Wake this engine's idle workers on the queue now rather than at their next poll.
        queue.publish(store.list(JobQuery.all()
                        .withQueue(queueName)
                        .withStates(JobState.READY)
                        .withLimit(1))
                .jobs());
    }

    @Override
    public void setQueueLimits(String queueName, QueueLimits limits) {
        Objects.requireNonNull(limits, "limits");
        store.setQueueLimits(requireQueueName(queueName), limits);
        queue.queueLimited(queueName, limits);
        log.info("queue {}: {}", queueName, limits);
    }

    /** Every queue that has limits, with them, as the store holds them. */
    @Override
    public Map<String, QueueLimits> queueLimits() {
        return store.queueLimits();
    }

    /** Whether this is a valid queue name ({@link JobLimits#QUEUE_PATTERN}). */
    static boolean isQueueName(String name) {
        return name != null && QUEUE_NAME.matcher(name).matches();
    }

    private static String requireQueueName(String name) {
        if (!isQueueName(name)) {
            throw new JobValidationException(
                    List.of(new FieldError("queue", "must match " + JobLimits.QUEUE_PATTERN + " (was " + name + ")")));
        }
        return name;
    }

    /** Deletes finished jobs now, beyond what the retention settings do on their own. */
    @Override
    public int purge(PurgeRequest request) {
        return store.purge(request);
    }

    @Override
    public Job await(UUID jobId, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        CompletableFuture<Job> finished = waiters.computeIfAbsent(jobId, id -> new CompletableFuture<>());
        try {
            while (true) {
                Job job = store.get(jobId).orElseThrow(() -> new JobNotFoundException(jobId));
                if (job.isTerminal()) {
                    return job;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new JobsException("job " + jobId + " is still " + job.state() + " after " + timeout
                            + "; await it longer or check its workers");
                }
                try {
                    // Woken at once by a change made in this JVM; the poll catches changes made elsewhere.
                    return finished.get(Math.min(left, AWAIT_POLL.toNanos()), TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    // poll the store again
                } catch (ExecutionException e) {
                    throw new JobsException("waiting for job " + jobId + " failed", e.getCause());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JobsException("interrupted while waiting for job " + jobId, e);
        } finally {
            waiters.remove(jobId, finished);
        }
    }

    /**
     * Runs every job that is due now on this engine's queues, one after another, until none is left;
     * jobs that become due meanwhile (released dependents) run too. For tests, through {@link
     * EngineHooks}: the testkit builds its run-until-idle on it.
     *
     * @return how many attempts ran
     */
    int drain() {
        requireOpen();
        int ran = 0;
        try {
            while (true) {
                List<Job> jobs = queue.acquire(new AcquireRequest(
                        config.workerId, config.concurrencyByQueue.keySet(), DRAIN_BATCH, config.leaseDuration));
                if (jobs.isEmpty()) {
                    return ran;
                }
                for (Job job : jobs) {
                    runner.runAndWait(job);
                    ran++;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JobsException("interrupted while draining after " + ran + " jobs", e);
        }
    }

    /**
     * When the next job on this engine's queues can run: now if one can already, empty if none is
     * waiting for its time.
     */
    Optional<Instant> nextRunAt() {
        return store.earliestRunAt(config.concurrencyByQueue.keySet());
    }

    /**
     * Runs the maintenance tasks once, now: reclaim lapsed leases, declare silent workers dead and
     * take their jobs back, promote due jobs, create due occurrences of recurring jobs, prune history.
     * They also run on their own intervals once the engine is started.
     *
     * @return how many items they handled
     */
    int runMaintenance() {
        return maintenance.runAll() + announcing.runAll();
    }

    /** The clock the engine and its store read. */
    public Clock clock() {
        return clock;
    }

    /** The id this engine's workers hold leases under. */
    public String workerId() {
        return config.workerId;
    }

    /**
     * Stops gracefully: no new jobs are acquired, running jobs get until the shutdown timeout to
     * finish, then their leases are given back so other workers take them at once.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        pool.close();
        runner.close();
        maintenance.close();
        announcing.close();
        queue.close();
        if (config.storeCreatedByEngine) {
            store.close(); // a store the host passed in is the host's to close
        }
        validator.close();
        waiters.values().forEach(w -> w.cancel(false));
        log.info("jobs engine stopped");
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("the jobs engine is closed");
        }
    }
}
