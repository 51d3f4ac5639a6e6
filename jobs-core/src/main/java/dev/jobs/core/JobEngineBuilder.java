package dev.jobs.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jobs.core.internal.Json;
import dev.jobs.core.internal.StoreJobQueue;
import dev.jobs.core.internal.worker.RegisteredHandler;
import dev.jobs.core.memory.InMemoryJobStore;
import dev.jobs.core.spi.JobQueue;
import dev.jobs.core.spi.JobStore;
import dev.jobs.core.spi.support.Storable;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.random.RandomGenerator;
import java.util.regex.Pattern;

/**
 * Configures an engine. Every setting has a documented default; {@link #build()} checks them all
 * and names the first one that is wrong. Not thread-safe.
 */
public final class JobEngineBuilder {
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

    JobStore store;
    boolean storeCreatedByEngine;
    Function<JobStore, JobQueue> queueFactory;
    Clock clock = Clock.systemUTC();
    ObjectMapper mapper = Json.newMapper();
    MeterRegistry meterRegistry;
    final List<JobListener> listeners = new ArrayList<>();
    final Map<String, RegisteredHandler<?>> handlers = new LinkedHashMap<>();
    RetryPolicy defaultRetryPolicy = RetryPolicy.DEFAULT;
    final Map<String, RetryPolicy> retryPolicyByType = new HashMap<>();
    final Map<String, Integer> concurrencyByQueue = new LinkedHashMap<>();
    final Map<String, RecurringJob> recurringJobs = new LinkedHashMap<>();
    final Map<String, QueueLimits> queueLimits = new LinkedHashMap<>();
    String workerId = defaultWorkerId();
    Duration leaseDuration = DEFAULT_LEASE;
    Duration pollInterval = DEFAULT_POLL_INTERVAL;
    Duration maxPollInterval = DEFAULT_MAX_POLL_INTERVAL;
    Duration cancellationGrace = DEFAULT_CANCELLATION_GRACE;
    Duration shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT;
    Duration tickInterval = Duration.ofMillis(50);
    Duration reclaimInterval = Duration.ofSeconds(5);
    Duration promoteInterval = Duration.ofSeconds(1);
    Duration retentionInterval = Duration.ofMinutes(1);
    Duration workerRetention = DEFAULT_WORKER_RETENTION;
    Duration keepFinishedFor = DEFAULT_KEEP_FINISHED_FOR;
    OptionalInt keepLatestPerQueue = OptionalInt.empty();
    int maxPayloadBytes = JobLimits.DEFAULT_MAX_PAYLOAD_BYTES;
    RandomGenerator random = ThreadLocalRandom.current();
    boolean built;

    JobEngineBuilder() {}

    /**
     * Where jobs are kept. Default: an {@link InMemoryJobStore} on the engine's clock. A store
     * passed in here stays open when the engine closes: closing it is the host's call.
     */
    public JobEngineBuilder store(JobStore value) {
        store = Objects.requireNonNull(value, "store");
        return this;
    }

    /**
     * How jobs are dispatched, made from the (observed) store. Default: acquiring straight from
     * the store.
     */
    public JobEngineBuilder queue(Function<JobStore, JobQueue> factory) {
        queueFactory = Objects.requireNonNull(factory, "factory");
        return this;
    }

    /** The clock everything reads; a virtual clock in tests. Default: the system's UTC clock. */
    public JobEngineBuilder clock(Clock value) {
        clock = Objects.requireNonNull(value, "clock");
        return this;
    }

    /** Converts payloads and results. Default: Jackson with java.time, unknown fields ignored. */
    public JobEngineBuilder objectMapper(ObjectMapper value) {
        mapper = Objects.requireNonNull(value, "objectMapper");
        return this;
    }

    /** Where the engine's meters go. Default: none. */
    public JobEngineBuilder meterRegistry(MeterRegistry value) {
        meterRegistry = Objects.requireNonNull(value, "meterRegistry");
        return this;
    }

    /** Receives every job event. */
    public JobEngineBuilder listener(JobListener value) {
        listeners.add(Objects.requireNonNull(value, "listener"));
        return this;
    }

    /** Runs jobs of {@code type}, their payload converted to {@code payloadType}. */
    public <T> JobEngineBuilder register(String type, Class<T> payloadType, JobHandler<T> handler) {
        return register(type, payloadType, handler, Optional.empty());
    }

    /**
     * Runs jobs of {@code type}, each attempt limited to {@code timeout} unless the job sets its
     * own.
     */
    public <T> JobEngineBuilder register(String type, Class<T> payloadType, Duration timeout, JobHandler<T> handler) {
        return register(type, payloadType, handler, Optional.of(timeout));
    }

    /** Runs jobs of {@code type} with the payload as a JSON tree. */
    public JobEngineBuilder register(String type, JobHandler<JsonNode> handler) {
        return register(type, JsonNode.class, handler, Optional.empty());
    }

    private <T> JobEngineBuilder register(
            String type, Class<T> payloadType, JobHandler<T> handler, Optional<Duration> timeout) {
        if (handlers.containsKey(type)) {
            throw new IllegalArgumentException("a handler for job type '" + type + "' is already registered");
        }
        handlers.put(type, new RegisteredHandler<>(type, payloadType, handler, timeout));
        return this;
    }

    /** The retry policy of jobs whose type and spec set none. Default: {@link RetryPolicy#DEFAULT}. */
    public JobEngineBuilder retryPolicy(RetryPolicy value) {
        defaultRetryPolicy = Objects.requireNonNull(value, "retryPolicy");
        return this;
    }

    /** The retry policy of one job type (a job's own policy still wins). */
    public JobEngineBuilder retryPolicy(String type, RetryPolicy value) {
        retryPolicyByType.put(Objects.requireNonNull(type, "type"), Objects.requireNonNull(value, "retryPolicy"));
        return this;
    }

    /**
     * Works this queue, running up to {@code concurrency} of its jobs at once. Without any call,
     * an engine with handlers works {@code default} with {@link #DEFAULT_CONCURRENCY}.
     */
    public JobEngineBuilder queue(String name, int concurrency) {
        concurrencyByQueue.put(Objects.requireNonNull(name, "name"), concurrency);
        return this;
    }

    /**
     * Creates jobs on a schedule. The engine saves it to the store when it starts, for every
     * engine sharing the store; engines that start with the same definition change nothing.
     */
    public JobEngineBuilder recurring(RecurringJob value) {
        Objects.requireNonNull(value, "recurring");
        if (recurringJobs.putIfAbsent(value.name(), value) != null) {
            throw new IllegalArgumentException("a recurring job named '" + value.name() + "' is already registered");
        }
        return this;
    }

    /**
     * Limits how much of a queue runs, for every engine sharing the store (see {@link
     * QueueLimits}). The engine sets them in the store when it starts; engines starting with the
     * same limits change nothing, and {@link JobEngine#setQueueLimits} changes them at run time.
     */
    public JobEngineBuilder queueLimits(String queueName, QueueLimits limits) {
        queueLimits.put(Objects.requireNonNull(queueName, "queueName"), Objects.requireNonNull(limits, "limits"));
        return this;
    }

    /** The id leases are held under. Default: host name, process id and a random suffix. */
    public JobEngineBuilder workerId(String value) {
        workerId = Objects.requireNonNull(value, "workerId");
        return this;
    }

    /** See {@link #DEFAULT_LEASE}; heartbeats renew it every third of it. */
    public JobEngineBuilder leaseDuration(Duration value) {
        leaseDuration = Objects.requireNonNull(value, "leaseDuration");
        return this;
    }

    /** See {@link #DEFAULT_POLL_INTERVAL}. */
    public JobEngineBuilder pollInterval(Duration value) {
        pollInterval = Objects.requireNonNull(value, "pollInterval");
        return this;
    }

    /** See {@link #DEFAULT_MAX_POLL_INTERVAL}. */
    public JobEngineBuilder maxPollInterval(Duration value) {
        maxPollInterval = Objects.requireNonNull(value, "maxPollInterval");
        return this;
    }

    /** See {@link #DEFAULT_CANCELLATION_GRACE}. */
    public JobEngineBuilder cancellationGrace(Duration value) {
        cancellationGrace = Objects.requireNonNull(value, "cancellationGrace");
        return this;
    }

    /** See {@link #DEFAULT_SHUTDOWN_TIMEOUT}. */
    public JobEngineBuilder shutdownTimeout(Duration value) {
        shutdownTimeout = Objects.requireNonNull(value, "shutdownTimeout");
        return this;
    }

    /** How often lapsed leases are looked for. Default: 5 seconds. */
    public JobEngineBuilder reclaimInterval(Duration value) {
        reclaimInterval = Objects.requireNonNull(value, "reclaimInterval");
        return this;
    }

    /**
     * Retention: finished jobs older than {@code keepFinishedFor} are deleted. Default: {@link
     * #DEFAULT_KEEP_FINISHED_FOR}.
     */
    public JobEngineBuilder retention(Duration keepFinishedFor) {
        this.keepFinishedFor = Objects.requireNonNull(keepFinishedFor, "keepFinishedFor");
        return this;
    }

    /**
     * How long a worker stays in the registry after its last report. Default: {@link
     * #DEFAULT_WORKER_RETENTION}. Keep it longer than any worker's lease, or a live worker that
     * reports late is dropped and registers again.
     */
    public JobEngineBuilder workerRetention(Duration value) {
        workerRetention = Objects.requireNonNull(value, "workerRetention");
        return this;
    }

    /** Retention by count: keep at most this many finished jobs per queue. Default: no limit. */
    public JobEngineBuilder retentionKeepLatestPerQueue(int count) {
        keepLatestPerQueue = OptionalInt.of(count);
        return this;
    }

    /** Largest payload accepted, in bytes of JSON. Default: {@link JobLimits#DEFAULT_MAX_PAYLOAD_BYTES}. */
    public JobEngineBuilder maxPayloadBytes(int value) {
        maxPayloadBytes = value;
        return this;
    }

    /** The random source for retry jitter; seed it in tests. Default: {@link ThreadLocalRandom}. */
    public JobEngineBuilder random(RandomGenerator value) {
        random = Objects.requireNonNull(value, "random");
        return this;
    }

    /** A queue named in a builder setting: its name must be one a job could carry. */
    private static void requireQueueSetting(String name, String setting) {
        if (!JobEngine.isQueueName(name)) {
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
            throw new IllegalArgumentException("maxPayloadBytes must be at least 2 (\"{}\"), was " + maxPayloadBytes);
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
