package dev.jobs.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jobs.core.JobValidationException.FieldError;
import dev.jobs.core.internal.JobMetrics;
import dev.jobs.core.internal.Json;
import dev.jobs.core.internal.ObservedJobStore;
import dev.jobs.core.internal.RecurringCodec;
import dev.jobs.core.internal.RetryDecider;
import dev.jobs.core.internal.SpecFingerprint;
import dev.jobs.core.internal.SpecValidator;
import dev.jobs.core.internal.StoreJobQueue;
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
import dev.jobs.core.internal.worker.RegisteredHandler;
import dev.jobs.core.internal.worker.WorkerPool;
import dev.jobs.core.internal.worker.WorkerSettings;
import dev.jobs.core.memory.InMemoryJobStore;
import dev.jobs.core.spi.AcquireRequest;
import dev.jobs.core.spi.HostTransactionStore;
import dev.jobs.core.spi.IdempotencyKey;
import dev.jobs.core.spi.JobQueue;
import dev.jobs.core.spi.JobStore;
import dev.jobs.core.spi.NewJob;
import dev.jobs.core.spi.RecurringRecord;
import dev.jobs.core.spi.support.JobIds;
import dev.jobs.core.spi.support.Storable;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.random.RandomGenerator;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job engine: creates jobs, runs them with registered handlers, and answers questions about
 * them. Build one with {@link #builder()}, {@link #start()} it to run workers, {@link #close()} it
 * to stop gracefully.
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
public final class JobEngine implements AutoCloseable {
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

    private final Builder config;
    private final Clock clock;
    private final ObservedJobStore store;
    private final JobQueue queue;
    private final JobIds ids;
    private final SpecValidator validator;
    private final JobRunner runner;
    private final WorkerPool pool;
    private final Maintenance maintenance;
    private final Maintenance announcing;
    private final RemoteWorkers remoteWorkers;
    private final Map<UUID, CompletableFuture<Job>> waiters = new ConcurrentHashMap<>();
    private volatile boolean started;
    private volatile boolean closed;

    private JobEngine(Builder config) {
        this.config = config;
        this.clock = config.clock;
        this.store = new ObservedJobStore(config.store, clock);
        this.validator = new SpecValidator(config.mapper, config.maxPayloadBytes);
        // Checked before anything that holds a connection or a thread is made.
        for (RecurringJob recurring : config.recurringJobs.values()) {
            List<FieldError> errors = problemsOf(recurring);
            if (!errors.isEmpty()) {
                validator.close();
                throw new IllegalArgumentException("recurring job '" + recurring.name() + "' is not valid: "
                        + new JobValidationException(errors).getMessage());
            }
        }
        this.queue = config.queueFactory.apply(store);
        this.ids = new JobIds(clock);
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
        this.runner = new JobRunner(store, config.handlers, retryDecider, config.mapper, clock, settings);
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
        tasks.add(new RecurringJobCreator(store, this::occurrenceJobs, clock, RECURRING_INTERVAL));
        this.maintenance = new Maintenance(tasks);
        // On a thread of its own, so that a long retention pass never holds back an announcement.
        this.announcing = new Maintenance(
                "jobs-host-commits",
                config.store instanceof HostTransactionStore host
                        ? List.of(new HostCommitAnnouncer(host, store, HOST_COMMIT_INTERVAL))
                        : List.of());
        this.remoteWorkers = new RemoteWorkers(store, queue, retryDecider, clock, config.cancellationGrace);

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

    public static Builder builder() {
        return new Builder();
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
        config.recurringJobs.values().forEach(this::save);
        maintenance.start();
        announcing.start();
        if (!config.handlers.isEmpty()) {
            pool.start();
        }
        return this;
    }

    /**
     * Creates one job.
     *
     * @return the job, or the unfinished job already holding its unique key
     * @throws JobValidationException naming every rejected field; nothing is stored
     */
    public Job enqueue(JobSpec spec) {
        return submit(spec).job();
    }

    /**
     * Creates one job, as {@link #enqueue(JobSpec)}, and says whether this call created it or an
     * existing job was returned for its unique or idempotency key.
     *
     * @throws JobValidationException naming every rejected field; nothing is stored
     * @throws IdempotencyKeyReusedException if its idempotency key created a different job
     */
    public Enqueued submit(JobSpec spec) {
        NewJob prepared = prepare(List.of(spec)).get(0);
        Job job = create(List.of(prepared), "").get(0);
        return new Enqueued(job, job.id().equals(prepared.id()));
    }

    /**
     * Creates a job of this type with this payload and every default: the one-line enqueue. The
     * payload is converted with the engine's object mapper.
     */
    public Job enqueue(String type, Object payload) {
        JsonNode json = payload instanceof JsonNode node ? node : config.mapper.valueToTree(payload);
        return enqueue(JobSpec.of(type, json));
    }

    /**
     * Creates many jobs at once: all of them, or none if any is rejected.
     *
     * @throws JobValidationException naming every rejected field as {@code [index].field}
     */
    public List<Job> enqueueAll(List<JobSpec> specs) {
        return create(prepare(specs), specs.size() == 1 ? "" : null);
    }

    /**
     * Creates jobs inside the host's own transaction on {@code connection} (transactional enqueue):
     * they exist only if the host commits it, and vanish with a rollback. Their creation is
     * announced once the host has committed, within a fifth of a second, by whichever engine on the
     * store sees it first: their {@code CREATED} events, their metrics, their publication to a
     * dispatch queue (Redis); a rolled-back job is never announced. Idle workers reading the store
     * hear of them on commit (on PostgreSQL through NOTIFY), elsewhere at their next poll. The
     * connection is left open and its transaction untouched.
     *
     * @throws JobValidationException naming every rejected field; nothing is written
     * @throws UnsupportedOperationException if the engine's store cannot write in a host's
     *     transaction (only the JDBC store can)
     */
    public List<Job> enqueueIn(Connection connection, List<JobSpec> specs) {
        if (!(config.store instanceof HostTransactionStore host)) {
            throw new UnsupportedOperationException(
                    "the engine's store, " + config.store.getClass().getSimpleName()
                            + ", cannot create jobs in the host's transaction; run the engine on a JdbcJobStore");
        }
        return host.createIn(connection, prepare(specs));
    }

    /** Validates jobs and gives them ids without storing them; nothing is stored when one is refused. */
    private List<NewJob> prepare(List<JobSpec> specs) {
        requireOpen();
        var errors = new ArrayList<FieldError>();
        if (specs.isEmpty()) {
            errors.add(new FieldError("jobs", "at least one job is needed"));
        } else if (specs.size() > JobLimits.MAX_BATCH_SIZE) {
            errors.add(new FieldError("jobs", "at most " + JobLimits.MAX_BATCH_SIZE + " jobs per call"));
        }
        boolean single = specs.size() == 1;
        // Past a hundred errors a batch is plainly wrong; more lines would bury the first ones.
        for (int i = 0; i < specs.size() && errors.size() < 100; i++) {
            errors.addAll(validator.validate(specs.get(i), single ? "" : "[" + i + "]."));
        }
        if (!errors.isEmpty()) {
            throw new JobValidationException(errors);
        }
        Instant now = clock.instant();
        return specs.stream()
                .map(spec -> newJob(spec, ids.next(), List.copyOf(spec.dependsOn()), now))
                .toList();
    }

    /**
     * Creates every node of a graph, or none.
     *
     * @return each node's job by its ref, in dependency order
     * @throws JobValidationException naming every rejected field as {@code nodes[ref].field}
     */
    public Map<String, Job> graph(JobGraph graph) {
        requireOpen();
        var errors = new ArrayList<FieldError>();
        for (JobGraph.Node node : graph.nodes()) {
            errors.addAll(validator.validate(node.spec(), "nodes[" + node.ref() + "]."));
        }
        if (!errors.isEmpty()) {
            throw new JobValidationException(errors);
        }
        Instant now = clock.instant();
        var idByRef = new HashMap<String, UUID>();
        var newJobs = new ArrayList<NewJob>();
        for (JobGraph.Node node : graph.nodes()) {
            UUID id = ids.next();
            idByRef.put(node.ref(), id);
            var dependsOn = new ArrayList<>(node.spec().dependsOn());
            node.dependsOnRefs().stream().map(idByRef::get).distinct().forEach(dependsOn::add);
            newJobs.add(newJob(node.spec(), id, dependsOn, now));
        }
        List<Job> created;
        try {
            created = store.create(newJobs);
        } catch (JobValidationException e) {
            throw new JobValidationException(
                    e.errors().stream().map(error -> renameByRef(error, graph)).toList());
        }
        var byRef = new LinkedHashMap<String, Job>();
        for (int i = 0; i < created.size(); i++) {
            byRef.put(graph.nodes().get(i).ref(), created.get(i));
        }
        return byRef;
    }

    /** A store error about {@code [i].field} becomes {@code nodes[ref].field}. */
    private static FieldError renameByRef(FieldError error, JobGraph graph) {
        var matcher = Pattern.compile("^\\[(\\d+)]\\.(.*)$").matcher(error.field());
        if (!matcher.matches()) {
            return error;
        }
        String ref = graph.nodes().get(Integer.parseInt(matcher.group(1))).ref();
        return new FieldError("nodes[" + ref + "]." + matcher.group(2), error.message());
    }

    private List<Job> create(List<NewJob> newJobs, String singlePrefix) {
        try {
            return store.create(newJobs);
        } catch (JobValidationException e) {
            if (singlePrefix == null) {
                throw e;
            }
            // One job: report its fields without the batch index the store uses.
            throw new JobValidationException(e.errors().stream()
                    .map(err -> new FieldError(err.field().replaceFirst("^\\[0]\\.", singlePrefix), err.message()))
                    .toList());
        }
    }

    private NewJob newJob(JobSpec spec, UUID id, List<UUID> dependsOn, Instant now) {
        Instant runAt = spec.runAt().orElseGet(() -> spec.delay().map(now::plus).orElse(now));
        return new NewJob(
                id,
                spec.queue(),
                spec.type(),
                spec.payload(),
                spec.priority(),
                runAt,
                spec.maxAttempts(),
                spec.timeout(),
                dependsOn,
                spec.onDependencyFailure(),
                spec.uniqueKey(),
                spec.concurrencyKey(),
                spec.idempotencyKey().map(key -> new IdempotencyKey(key, SpecFingerprint.of(spec))),
                spec.metadata(),
                spec.retryPolicy());
    }

    /**
     * Saves a recurring job for every engine sharing the store, replacing one of the same name. Its
     * first occurrence is the schedule's next after now; when only the template or policy changes,
     * the occurrences already created stay the only ones.
     *
     * @return the recurring job as stored, with its next runs
     * @throws JobValidationException naming every rejected field ({@code template.} for the job's)
     */
    public RecurringStatus putRecurring(RecurringJob recurring) {
        requireOpen();
        List<FieldError> errors = problemsOf(recurring);
        if (!errors.isEmpty()) {
            throw new JobValidationException(errors);
        }
        return save(recurring);
    }

    /** Every recurring job in the store, by name, with its next runs. */
    public List<RecurringStatus> recurring() {
        var statuses = new ArrayList<RecurringStatus>();
        for (RecurringRecord record : store.recurringJobs()) {
            try {
                statuses.add(status(record));
            } catch (IllegalStateException e) {
                log.debug("recurring job '{}' not listed: {}", record.name(), e.getMessage());
            }
        }
        return statuses;
    }

    /**
     * The recurring job of this name, with its next runs.
     *
     * @throws IllegalStateException if its stored definition cannot be read (written by a newer engine)
     */
    public Optional<RecurringStatus> recurring(String name) {
        return store.recurringJob(name).map(this::status);
    }

    /**
     * Stops a recurring job on every engine sharing the store; the jobs it already created stay. A
     * job registered on the builder is saved again when an engine with it starts.
     *
     * @return whether there was one of this name
     */
    public boolean deleteRecurring(String name) {
        return store.deleteRecurring(name);
    }

    private List<FieldError> problemsOf(RecurringJob recurring) {
        var errors = new ArrayList<>(recurring.problems());
        errors.addAll(validator.validate(recurring.template(), "template."));
        return errors;
    }

    private RecurringStatus save(RecurringJob recurring) {
        return status(store.saveRecurring(
                recurring.name(), recurring.schedule().describe(), RecurringCodec.encode(recurring), clock.instant()));
    }

    private RecurringStatus status(RecurringRecord record) {
        RecurringJob recurring = RecurringCodec.decode(record.name(), record.definition());
        var nextRuns = new ArrayList<Instant>();
        Instant from = clock.instant();
        if (record.upTo().isAfter(from)) {
            from = record.upTo();
        }
        Optional<Instant> next = recurring.schedule().nextAfter(from);
        while (next.isPresent() && nextRuns.size() < RecurringStatus.NEXT_RUNS_SHOWN) {
            nextRuns.add(next.get());
            next = recurring.schedule().nextAfter(next.get());
        }
        return new RecurringStatus(recurring, record.upTo(), record.updatedAt(), nextRuns);
    }

    /** The jobs of a recurring job's occurrences (see {@link RecurringJob#occurrence}), validated and with ids. */
    private List<NewJob> occurrenceJobs(RecurringJob recurring, List<Instant> occurrences) {
        if (occurrences.isEmpty()) {
            return List.of();
        }
        return prepare(occurrences.stream().map(recurring::occurrence).toList());
    }

    /**
     * The worker steps (acquire, heartbeat, complete, fail) for workers outside this engine, such as
     * the HTTP adapter's remote workers. Works whether or not this engine was started.
     */
    public RemoteWorkers remoteWorkers() {
        return remoteWorkers;
    }

    /** The job as the store holds it now. */
    public Optional<Job> get(UUID jobId) {
        return store.get(jobId);
    }

    /**
     * A page of jobs, newest first.
     *
     * @throws JobValidationException if a queue or type filter could name no job (a malformed name
     *     says the caller has a bug; an empty page would hide it)
     */
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
    public List<QueueCounts> counts() {
        return store.counts();
    }

    /**
     * How each queue's jobs that finished since {@code since} went: successes, failures, mean run
     * time. Read from the store, so it covers every engine sharing it.
     */
    public List<QueueStats> queueStats(Instant since) {
        return store.queueStats(since);
    }

    /**
     * Checks that the store and the dispatch queue answer, for a health endpoint: a cheap read of
     * each.
     *
     * @throws StoreUnavailableException if either cannot be reached
     */
    public void checkHealth() {
        store.get(new UUID(0, 0));
        queue.ping();
    }

    /**
     * Jobs that succeeded or failed per minute (UTC) since {@code since}, from the store, so it
     * covers every engine sharing it. Minutes without any are left out.
     */
    public List<FinishedInMinute> finishedPerMinute(Instant since) {
        return store.finishedPerMinute(since);
    }

    /**
     * Adds a listener while the engine runs, such as a client watching a stream of events, and
     * returns the handle that removes it. The listener hears the changes this engine makes (its own
     * workers, its remote workers, its callers), not those other engines sharing the store make.
     */
    public Subscription subscribe(JobListener listener) {
        Objects.requireNonNull(listener, "listener");
        store.addListener(listener);
        return () -> store.removeListener(listener);
    }

    /** Ends a {@link #subscribe} listener's subscription; closing it twice does nothing more. */
    @FunctionalInterface
    public interface Subscription extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * The workers in the registry (this engine's and every other sharing the store), including those
     * declared dead within the last hour.
     */
    public List<WorkerInfo> workers() {
        return store.workers();
    }

    /**
     * A page of the worker registry in id order, for registries too large to read at once.
     *
     * @param after the {@link WorkerPage#nextCursor()} of the previous page; empty for the first
     * @param limit 1 to {@link JobLimits#MAX_PAGE_SIZE}
     * @throws JobValidationException if {@code limit} is out of range
     */
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

    /**
     * Cancels a job: at once if it waits, or by telling its handler if it runs (see {@link
     * JobContext#isCancelled()}).
     *
     * @return the job after the request
     * @throws JobNotFoundException if there is no such job
     * @throws InvalidTransitionException if it already succeeded or failed
     */
    public Job cancel(UUID jobId) {
        return store.cancel(jobId).job();
    }

    /**
     * Runs a failed or cancelled job again, with at least one more attempt.
     *
     * @throws JobNotFoundException if there is no such job
     * @throws InvalidTransitionException if it is not failed or cancelled
     */
    public Job retry(UUID jobId) {
        return store.retry(jobId).job();
    }

    /**
     * What the dispatch queue holds for a queue (ready, delayed, in flight), when it keeps state of
     * its own, as Redis does; empty when dispatch reads the store, whose {@link #counts()} say it.
     *
     * @throws StoreUnavailableException if the dispatch queue cannot be reached
     */
    public Optional<DispatchDepth> dispatchDepth(String queueName) {
        return queue.depth(requireQueueName(queueName));
    }

    /** Stops every engine sharing the store from starting jobs of this queue. */
    public void pauseQueue(String queueName) {
        store.setQueuePaused(requireQueueName(queueName), true);
        queue.queuePaused(queueName, true);
    }

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

    /**
     * Sets how much of a queue may run, for every engine sharing the store; {@link
     * QueueLimits#none()} lifts every limit. Jobs already running are not stopped: a lowered limit
     * holds back new starts until the queue is under it.
     *
     * @throws JobValidationException if the queue name is not valid
     */
    public void setQueueLimits(String queueName, QueueLimits limits) {
        Objects.requireNonNull(limits, "limits");
        store.setQueueLimits(requireQueueName(queueName), limits);
        queue.queueLimited(queueName, limits);
        log.info("queue {}: {}", queueName, limits);
    }

    /** Every queue that has limits, with them, as the store holds them. */
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
    public int purge(PurgeRequest request) {
        return store.purge(request);
    }

    /**
     * Waits until the job finishes (succeeds, fails for good, or is cancelled).
     *
     * @return the finished job
     * @throws JobNotFoundException if there is no such job
     * @throws JobsException if it has not finished within {@code timeout}
     */
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
     * jobs that become due meanwhile (released dependents) run too. For tests and hosts that drive the
     * engine themselves; the testkit builds its run-until-idle on it.
     *
     * @return how many attempts ran
     */
    public int drain() {
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
    public Optional<Instant> nextRunAt() {
        return store.earliestRunAt(config.concurrencyByQueue.keySet());
    }

    /**
     * Runs the maintenance tasks once, now: reclaim lapsed leases, declare silent workers dead and
     * take their jobs back, promote due jobs, create due occurrences of recurring jobs, prune history.
     * They also run on their own intervals once the engine is started.
     *
     * @return how many items they handled
     */
    public int runMaintenance() {
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

    /**
     * Configures an engine. Every setting has a documented default; {@link #build()} checks them all
     * and names the first one that is wrong. Not thread-safe.
     */
    public static final class Builder {
        /** Jobs run at once per queue when a queue is not configured explicitly. */
        public static final int DEFAULT_CONCURRENCY = 10;

        /**
         * Lease length: long enough that a heartbeat (every third of it) survives a slow store or a GC
         * pause, short enough that a crashed worker's jobs move on within half a minute.
         */
        public static final Duration DEFAULT_LEASE = Duration.ofSeconds(30);

        /** Longest idle wait before asking the store for work from other processes. */
        public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(1);

        /**
         * Longest idle wait between polls: an idle worker doubles its wait from {@link
         * #DEFAULT_POLL_INTERVAL} up to this, so idle engines do not hammer the database. Jobs made in
         * this process, or announced by the store ({@link JobStore#subscribe}), wake it at once.
         */
        public static final Duration DEFAULT_MAX_POLL_INTERVAL = Duration.ofSeconds(5);

        /** How long a cancelled handler may go on before it is interrupted. */
        public static final Duration DEFAULT_CANCELLATION_GRACE = Duration.ofSeconds(10);

        /** How long shutdown waits for running jobs before giving their leases back. */
        public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(30);

        /** Finished jobs are kept this long for people to look at, then pruned. */
        public static final Duration DEFAULT_KEEP_FINISHED_FOR = Duration.ofDays(7);

        /**
         * A worker that stopped reporting (dead, or gone without a word) stays in the registry this
         * long after its last report, so an operator can still see which one it was; then it leaves,
         * and its id is free for anyone.
         */
        public static final Duration DEFAULT_WORKER_RETENTION = Duration.ofHours(1);

        private JobStore store;
        private boolean storeCreatedByEngine;
        private Function<JobStore, JobQueue> queueFactory;
        private Clock clock = Clock.systemUTC();
        private ObjectMapper mapper = Json.newMapper();
        private MeterRegistry meterRegistry;
        private final List<JobListener> listeners = new ArrayList<>();
        private final Map<String, RegisteredHandler<?>> handlers = new LinkedHashMap<>();
        private RetryPolicy defaultRetryPolicy = RetryPolicy.DEFAULT;
        private final Map<String, RetryPolicy> retryPolicyByType = new HashMap<>();
        private final Map<String, Integer> concurrencyByQueue = new LinkedHashMap<>();
        private final Map<String, RecurringJob> recurringJobs = new LinkedHashMap<>();
        private final Map<String, QueueLimits> queueLimits = new LinkedHashMap<>();
        private String workerId = defaultWorkerId();
        private Duration leaseDuration = DEFAULT_LEASE;
        private Duration pollInterval = DEFAULT_POLL_INTERVAL;
        private Duration maxPollInterval = DEFAULT_MAX_POLL_INTERVAL;
        private Duration cancellationGrace = DEFAULT_CANCELLATION_GRACE;
        private Duration shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT;
        private Duration tickInterval = Duration.ofMillis(50);
        private Duration reclaimInterval = Duration.ofSeconds(5);
        private Duration promoteInterval = Duration.ofSeconds(1);
        private Duration retentionInterval = Duration.ofMinutes(1);
        private Duration workerRetention = DEFAULT_WORKER_RETENTION;
        private Duration keepFinishedFor = DEFAULT_KEEP_FINISHED_FOR;
        private OptionalInt keepLatestPerQueue = OptionalInt.empty();
        private int maxPayloadBytes = JobLimits.DEFAULT_MAX_PAYLOAD_BYTES;
        private RandomGenerator random = ThreadLocalRandom.current();
        private boolean built;

        private Builder() {}

        /**
         * Where jobs are kept. Default: an {@link InMemoryJobStore} on the engine's clock. A store
         * passed in here stays open when the engine closes: closing it is the host's call.
         */
        public Builder store(JobStore value) {
            store = Objects.requireNonNull(value, "store");
            return this;
        }

        /**
         * How jobs are dispatched, made from the (observed) store. Default: acquiring straight from
         * the store.
         */
        public Builder queue(Function<JobStore, JobQueue> factory) {
            queueFactory = Objects.requireNonNull(factory, "factory");
            return this;
        }

        /** The clock everything reads; a virtual clock in tests. Default: the system's UTC clock. */
        public Builder clock(Clock value) {
            clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /** Converts payloads and results. Default: Jackson with java.time, unknown fields ignored. */
        public Builder objectMapper(ObjectMapper value) {
            mapper = Objects.requireNonNull(value, "objectMapper");
            return this;
        }

        /** Where the engine's meters go. Default: none. */
        public Builder meterRegistry(MeterRegistry value) {
            meterRegistry = Objects.requireNonNull(value, "meterRegistry");
            return this;
        }

        /** Receives every job event. */
        public Builder listener(JobListener value) {
            listeners.add(Objects.requireNonNull(value, "listener"));
            return this;
        }

        /** Runs jobs of {@code type}, their payload converted to {@code payloadType}. */
        public <T> Builder register(String type, Class<T> payloadType, JobHandler<T> handler) {
            return register(type, payloadType, handler, Optional.empty());
        }

        /**
         * Runs jobs of {@code type}, each attempt limited to {@code timeout} unless the job sets its
         * own.
         */
        public <T> Builder register(String type, Class<T> payloadType, Duration timeout, JobHandler<T> handler) {
            return register(type, payloadType, handler, Optional.of(timeout));
        }

        /** Runs jobs of {@code type} with the payload as a JSON tree. */
        public Builder register(String type, JobHandler<JsonNode> handler) {
            return register(type, JsonNode.class, handler, Optional.empty());
        }

        private <T> Builder register(
                String type, Class<T> payloadType, JobHandler<T> handler, Optional<Duration> timeout) {
            if (handlers.containsKey(type)) {
                throw new IllegalArgumentException("a handler for job type '" + type + "' is already registered");
            }
            handlers.put(type, new RegisteredHandler<>(type, payloadType, handler, timeout));
            return this;
        }

        /** The retry policy of jobs whose type and spec set none. Default: {@link RetryPolicy#DEFAULT}. */
        public Builder retryPolicy(RetryPolicy value) {
            defaultRetryPolicy = Objects.requireNonNull(value, "retryPolicy");
            return this;
        }

        /** The retry policy of one job type (a job's own policy still wins). */
        public Builder retryPolicy(String type, RetryPolicy value) {
            retryPolicyByType.put(Objects.requireNonNull(type, "type"), Objects.requireNonNull(value, "retryPolicy"));
            return this;
        }

        /**
         * Works this queue, running up to {@code concurrency} of its jobs at once. Without any call,
         * an engine with handlers works {@code default} with {@link #DEFAULT_CONCURRENCY}.
         */
        public Builder queue(String name, int concurrency) {
            concurrencyByQueue.put(Objects.requireNonNull(name, "name"), concurrency);
            return this;
        }

        /**
         * Creates jobs on a schedule. The engine saves it to the store when it starts, for every
         * engine sharing the store; engines that start with the same definition change nothing.
         */
        public Builder recurring(RecurringJob value) {
            Objects.requireNonNull(value, "recurring");
            if (recurringJobs.putIfAbsent(value.name(), value) != null) {
                throw new IllegalArgumentException(
                        "a recurring job named '" + value.name() + "' is already registered");
            }
            return this;
        }

        /**
         * Limits how much of a queue runs, for every engine sharing the store (see {@link
         * QueueLimits}). The engine sets them in the store when it starts; engines starting with the
         * same limits change nothing, and {@link JobEngine#setQueueLimits} changes them at run time.
         */
        public Builder queueLimits(String queueName, QueueLimits limits) {
            queueLimits.put(Objects.requireNonNull(queueName, "queueName"), Objects.requireNonNull(limits, "limits"));
            return this;
        }

        /** The id leases are held under. Default: host name, process id and a random suffix. */
        public Builder workerId(String value) {
            workerId = Objects.requireNonNull(value, "workerId");
            return this;
        }

        /** See {@link #DEFAULT_LEASE}; heartbeats renew it every third of it. */
        public Builder leaseDuration(Duration value) {
            leaseDuration = Objects.requireNonNull(value, "leaseDuration");
            return this;
        }

        /** See {@link #DEFAULT_POLL_INTERVAL}. */
        public Builder pollInterval(Duration value) {
            pollInterval = Objects.requireNonNull(value, "pollInterval");
            return this;
        }

        /** See {@link #DEFAULT_MAX_POLL_INTERVAL}. */
        public Builder maxPollInterval(Duration value) {
            maxPollInterval = Objects.requireNonNull(value, "maxPollInterval");
            return this;
        }

        /** See {@link #DEFAULT_CANCELLATION_GRACE}. */
        public Builder cancellationGrace(Duration value) {
            cancellationGrace = Objects.requireNonNull(value, "cancellationGrace");
            return this;
        }

        /** See {@link #DEFAULT_SHUTDOWN_TIMEOUT}. */
        public Builder shutdownTimeout(Duration value) {
            shutdownTimeout = Objects.requireNonNull(value, "shutdownTimeout");
            return this;
        }

        /** How often lapsed leases are looked for. Default: 5 seconds. */
        public Builder reclaimInterval(Duration value) {
            reclaimInterval = Objects.requireNonNull(value, "reclaimInterval");
            return this;
        }

        /**
         * Retention: finished jobs older than {@code keepFinishedFor} are deleted. Default: {@link
         * #DEFAULT_KEEP_FINISHED_FOR}.
         */
        public Builder retention(Duration keepFinishedFor) {
            this.keepFinishedFor = Objects.requireNonNull(keepFinishedFor, "keepFinishedFor");
            return this;
        }

        /**
         * How long a worker stays in the registry after its last report. Default: {@link
         * #DEFAULT_WORKER_RETENTION}. Keep it longer than any worker's lease, or a live worker that
         * reports late is dropped and registers again.
         */
        public Builder workerRetention(Duration value) {
            workerRetention = Objects.requireNonNull(value, "workerRetention");
            return this;
        }

        /** Retention by count: keep at most this many finished jobs per queue. Default: no limit. */
        public Builder retentionKeepLatestPerQueue(int count) {
            keepLatestPerQueue = OptionalInt.of(count);
            return this;
        }

        /** Largest payload accepted, in bytes of JSON. Default: {@link JobLimits#DEFAULT_MAX_PAYLOAD_BYTES}. */
        public Builder maxPayloadBytes(int value) {
            maxPayloadBytes = value;
            return this;
        }

        /** The random source for retry jitter; seed it in tests. Default: {@link ThreadLocalRandom}. */
        public Builder random(RandomGenerator value) {
            random = Objects.requireNonNull(value, "random");
            return this;
        }

        /** A queue named in a builder setting: its name must be one a job could carry. */
        private static void requireQueueSetting(String name, String setting) {
            if (!isQueueName(name)) {
                throw new IllegalArgumentException(
                        "queue name '" + name + "' of " + setting + " must match " + JobLimits.QUEUE_PATTERN);
            }
        }

        /**
         * Checks the settings and builds the engine (not started).
         *
         * @throws IllegalArgumentException naming the setting that is wrong and why
         */
        public JobEngine build() {
            if (built) {
                throw new IllegalStateException("this builder already built an engine; use a new builder");
            }
            check(leaseDuration, "leaseDuration", Duration.ofMillis(30));
            check(pollInterval, "pollInterval", Duration.ofMillis(1));
            check(maxPollInterval, "maxPollInterval (at least pollInterval)", pollInterval);
            check(cancellationGrace, "cancellationGrace", Duration.ZERO);
            check(shutdownTimeout, "shutdownTimeout", Duration.ZERO);
            check(reclaimInterval, "reclaimInterval", Duration.ofMillis(1));
            check(keepFinishedFor, "retention", Duration.ZERO);
            check(workerRetention, "workerRetention", Duration.ofSeconds(1));
            if (keepLatestPerQueue.isPresent() && keepLatestPerQueue.getAsInt() < 0) {
                throw new IllegalArgumentException("retentionKeepLatestPerQueue must not be negative");
            }
            if (maxPayloadBytes < 2) {
                throw new IllegalArgumentException(
                        "maxPayloadBytes must be at least 2 (\"{}\"), was " + maxPayloadBytes);
            }
            if (workerId.isBlank()) {
                throw new IllegalArgumentException("workerId must not be blank");
            }
            Storable.labelProblem(workerId).ifPresent(problem -> {
                throw new IllegalArgumentException("workerId " + problem);
            });
            concurrencyByQueue.forEach((name, concurrency) -> {
                requireQueueSetting(name, "queue");
                if (concurrency < 1) {
                    throw new IllegalArgumentException(
                            "concurrency of queue '" + name + "' must be at least 1, was " + concurrency);
                }
            });
            queueLimits.keySet().forEach(name -> requireQueueSetting(name, "queueLimits"));
            handlers.keySet().forEach(type -> {
                if (!Pattern.matches(JobLimits.TYPE_PATTERN, type)) {
                    throw new IllegalArgumentException("job type '" + type + "' must match " + JobLimits.TYPE_PATTERN);
                }
            });
            if (concurrencyByQueue.isEmpty()) {
                concurrencyByQueue.put(JobLimits.DEFAULT_QUEUE, DEFAULT_CONCURRENCY);
            }
            if (store == null) {
                store = new InMemoryJobStore(clock);
                storeCreatedByEngine = true;
            }
            if (queueFactory == null) {
                Clock storeClock = clock;
                queueFactory = observed -> new StoreJobQueue(observed, storeClock);
            }
            built = true;
            return new JobEngine(this);
        }

        private static void check(Duration value, String name, Duration min) {
            if (value.compareTo(min) < 0) {
                throw new IllegalArgumentException(name + " must be at least " + min + ", was " + value);
            }
        }

        private static String defaultWorkerId() {
            String host;
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException e) {
                host = "host";
            }
            long pid = ProcessHandle.current().pid();
            return host + "-" + pid + "-"
                    + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xFFFFFF);
        }
    }
}
