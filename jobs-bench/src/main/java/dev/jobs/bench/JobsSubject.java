package dev.jobs.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobEvent;
import dev.jobs.core.JobSpec;
import dev.jobs.core.JobState;
import dev.jobs.core.QueueCounts;
import dev.jobs.core.memory.InMemoryJobStore;
import dev.jobs.core.spi.JobStore;
import dev.jobs.queue.redis.RedisJobQueue;
import dev.jobs.store.jdbc.JdbcJobStore;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Our engine on one store, optionally with Redis in front. Every engine instance a scenario uses
 * has a store (and pool) of its own, as separate processes would, except in memory, where they
 * share the one store object.
 */
final class JobsSubject implements Subject {
    /** The stores the benchmarks run ours on. */
    enum Backend {
        MEMORY("memory"),
        H2("H2"),
        POSTGRESQL("PostgreSQL"),
        MARIADB("MariaDB");

        final String label;

        Backend(String label) {
            this.label = label;
        }
    }

    static final String QUEUE = "bench";
    static final String TABLE_PREFIX = "jobsbench_";
    private static final String REDIS_PREFIX = "jobsbench";

    private final Backend backend;
    private final boolean redis;
    private final Servers servers;
    private final Path h2Folder;
    private InMemoryJobStore memory;

    JobsSubject(Backend backend, boolean redis, Servers servers) {
        this.backend = backend;
        this.redis = redis;
        this.servers = servers;
        this.h2Folder = Path.of("target", "bench-h2").toAbsolutePath();
    }

    @Override
    public String name() {
        return "jobs · " + backend.label + (redis ? " + Redis" : "");
    }

    /** Ours on PostgreSQL with nothing in front: the one the history and memory scenarios weigh. */
    boolean isPlainPostgres() {
        return backend == Backend.POSTGRESQL && !redis;
    }

    @Override
    public Duration enqueueBatched(int jobs, int batchSize) {
        reset();
        try (Instance producer = instance(0, false)) {
            long start = System.nanoTime();
            enqueueBatches(producer.engine, jobs, batchSize);
            return Duration.ofNanos(System.nanoTime() - start);
        }
    }

    @Override
    public Duration enqueueSingly(int jobs, int threads) throws Exception {
        reset();
        try (Instance producer = instance(0, false)) {
            return Load.concurrently(jobs, threads, i -> producer.engine.enqueue(noop()));
        }
    }

    @Override
    public Duration drain(int jobs, int workers) throws Exception {
        reset();
        return drainOnto(jobs, workers, 0);
    }

    /**
     * As {@link #drain} on a table that first gets {@code history} finished jobs; the store is made
     * (and its schema migrated) before the history is written.
     */
    Duration drainWithHistory(int jobs, int workers, long history) throws Exception {
        reset();
        return drainOnto(jobs, workers, history);
    }

    private Duration drainOnto(int jobs, int workers, long history) throws Exception {
        try (Instance producer = instance(0, false)) {
            if (history > 0) {
                addHistory(history);
            }
            enqueueBatches(producer.engine, jobs, 1000, noop());
        }
        return timeDrain(jobs, workers, history);
    }

    /** What a drain took, and how many transactions PostgreSQL committed for it. */
    record CountedDrain(Duration took, long commits) {}

    /**
     * Drains {@code jobs} jobs of {@link #STEPS} durable steps each, or plain ones, counting the
     * database's commits from the start of the drain to its end. PostgreSQL only.
     */
    CountedDrain drainCounted(int jobs, int workers, boolean steps) throws Exception {
        reset();
        try (Instance producer = instance(0, false)) {
            enqueueBatches(
                    producer.engine,
                    jobs,
                    1000,
                    steps ? JobSpec.of("bench.steps").withQueue(QUEUE) : noop());
        }
        long before = commits();
        Duration took = timeDrain(jobs, workers, 0);
        return new CountedDrain(took, commits() - before);
    }

    /** The steps of a {@code bench.steps} job, each returning a small result. */
    static final int STEPS = 3;

    /**
     * Transactions committed in the database so far, once the count has settled: a backend publishes
     * its counts when it ends and, while it lives, at most once a second, so the count is read until
     * two reads half a second apart agree (the drain's pool has closed by then), for ten seconds at
     * most.
     */
    private long commits() throws Exception {
        Servers.Database db = servers.postgres();
        try (Connection connection = DriverManager.getConnection(db.url(), db.user(), db.password());
                Statement statement = connection.createStatement()) {
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            long last = -1;
            while (true) {
                statement.execute("SELECT pg_stat_clear_snapshot()");
                long now;
                try (var rows = statement.executeQuery(
                        "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")) {
                    rows.next();
                    now = rows.getLong(1);
                }
                if (now == last || System.nanoTime() > deadline) {
                    return now;
                }
                last = now;
                Thread.sleep(500);
            }
        }
    }

    /** Starts a worker instance on the jobs already stored and times it until all have succeeded. */
    Duration timeDrain(int jobs, int workers, long history) throws InterruptedException {
        var succeeded = new CountDownLatch(jobs);
        try (Instance worker = instance(workers, true, event -> {
            if (event.kind() == JobEvent.Kind.SUCCEEDED) {
                succeeded.countDown();
            }
        })) {
            CpuMeter.Reading before = CpuMeter.read();
            long start = System.nanoTime();
            worker.engine.start();
            Load.await(succeeded, "jobs had not succeeded");
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            System.out.println("      " + before.perJob(CpuMeter.read(), jobs));
            requireAllSucceeded(worker.engine, jobs + history);
            return took;
        }
    }

    @Override
    public Latencies latency(int jobs, int perSecond) throws Exception {
        reset();
        var recorder = new Load.LatencyRecorder(jobs);
        try (Instance worker = instance(16, true, event -> {});
                Instance producer = backend == Backend.MEMORY ? worker : instance(0, false)) {
            worker.latencyHandler = payload -> recorder.started(payload.get("t").asLong());
            worker.engine.start();
            Load.paced(jobs, perSecond, i -> {
                JsonNode payload = JsonNodeFactory.instance.objectNode().put("t", System.nanoTime());
                producer.engine.enqueue(JobSpec.of("bench.latency", payload).withQueue(QUEUE));
            });
            return recorder.await();
        }
    }

    /** What the memory scenario found: heap the idle engine added, and heap the queued jobs added. */
    record MemoryUse(double idleEngineMiB, double queuedJobsMiB) {}

    /**
     * Heap an idle engine with {@code workers} workers adds to this JVM, and what {@code queued} jobs
     * waiting in the store add on top (the queue is paused, so they stay queued).
     */
    MemoryUse memory(int workers, long queued) throws Exception {
        reset();
        long before = Heap.usedAfterGc();
        try (Instance worker = instance(workers, true)) {
            worker.engine.pauseQueue(QUEUE);
            worker.engine.start();
            Heap.settle(); // workers poll, listen and report while idle
            long idle = Heap.usedAfterGc();
            try (Instance producer = instance(0, false)) {
                for (long done = 0; done < queued; done += 100_000) {
                    int now = (int) Math.min(100_000, queued - done);
                    enqueueBatches(producer.engine, now, 1000);
                    System.out.printf("      memory: %,d of %,d jobs queued%n", done + now, queued);
                }
            }
            long afterQueued = Heap.usedAfterGc();
            return new MemoryUse(Heap.mib(idle - before), Heap.mib(afterQueued - idle));
        }
    }

    /**
     * Fills the job table with {@code finished} succeeded jobs (one statement per million, as a
     * history of the last hours), then vacuums and analyzes it, as a long-running system's table
     * would be. PostgreSQL only.
     */
    void addHistory(long finished) throws SQLException {
        if (backend != Backend.POSTGRESQL) {
            throw new IllegalStateException("the history scenario runs on PostgreSQL");
        }
        Servers.Database db = servers.postgres();
        try (Connection connection = DriverManager.getConnection(db.url(), db.user(), db.password());
                Statement statement = connection.createStatement()) {
            long step = 1_000_000;
            for (long from = 0; from < finished; from += step) {
                long to = Math.min(finished, from + step);
                // Ids are made time-ordered from the row number, as the engine's UUID v7 ids are.
                statement.execute("INSERT INTO " + TABLE_PREFIX + "job (id, queue, type, payload, priority, state,"
                        + " run_at, attempt, max_attempts, depends_on, on_dependency_failure, progress, result,"
                        + " lease_owner, cancel_requested, created_at, started_at, finished_at, updated_at, metadata,"
                        + " attempts, pending_dependencies)"
                        + " SELECT lpad(to_hex(g), 32, '0')::uuid, '" + QUEUE
                        + "', 'bench.noop', '{}', 50, 'SUCCEEDED',"
                        + " t, 1, 20, '', 'CANCEL', 100, NULL, NULL, false, t, t, t, t, '{}',"
                        + " '[{\"number\":1,\"worker\":\"bench\",\"startedAt\":\"2026-01-01T00:00:00Z\","
                        + "\"endedAt\":\"2026-01-01T00:00:00Z\",\"outcome\":\"SUCCEEDED\"}]', 0"
                        + " FROM (SELECT g, (now() AT TIME ZONE 'UTC') - interval '6 hours'"
                        + " + g * interval '1 millisecond' AS t FROM generate_series(" + (from + 1) + ", " + to
                        + ") AS g) AS rows");
                System.out.printf("      history: %,d of %,d finished jobs written%n", to, finished);
            }
            // The store's running totals of finished jobs (schema V15), as the engine keeps them.
            statement.execute("INSERT INTO " + TABLE_PREFIX + "finished_count (queue, state, slot, n) VALUES ('"
                    + QUEUE + "', 'SUCCEEDED', 0, " + finished + ") ON CONFLICT (queue, state, slot)"
                    + " DO UPDATE SET n = " + TABLE_PREFIX + "finished_count.n + EXCLUDED.n");
            statement.execute("VACUUM ANALYZE " + TABLE_PREFIX + "job");
        }
    }

    /** What counting the jobs took, in milliseconds: each run's median call of {@code engine.counts()}, and of a count over every row. */
    record CountsCost(List<Double> countsMs, List<Double> everyRowMs) {}

    /**
     * Times {@code engine.counts()} with {@code queued} jobs waiting and {@code history} finished
     * ones beside them (PostgreSQL): per run, the median of {@value #COUNT_CALLS} calls, after as
     * many to warm up. For contrast, a count that reads every row, as {@code counts()} did before
     * the store kept running totals of its finished jobs, timed once per run.
     */
    CountsCost countsCost(int queued, long history, int runs) throws Exception {
        reset();
        try (Instance producer = instance(0, false)) {
            if (history > 0) {
                addHistory(history);
            }
            enqueueBatches(producer.engine, queued, 1000);
            Servers.Database db = servers.postgres();
            try (Connection connection = DriverManager.getConnection(db.url(), db.user(), db.password());
                    Statement statement = connection.createStatement()) {
                // Both runs analysed with their queued jobs in place, so that they differ in the history alone.
                statement.execute("VACUUM ANALYZE " + TABLE_PREFIX + "job");
            }
            var counts = new ArrayList<Double>();
            var everyRow = new ArrayList<Double>();
            for (int i = 0; i < COUNT_CALLS; i++) {
                producer.engine.counts();
            }
            try (Connection connection = DriverManager.getConnection(db.url(), db.user(), db.password());
                    Statement statement = connection.createStatement()) {
                for (int run = 0; run < runs; run++) {
                    double[] calls = new double[COUNT_CALLS];
                    for (int i = 0; i < COUNT_CALLS; i++) {
                        long start = System.nanoTime();
                        producer.engine.counts();
                        calls[i] = (System.nanoTime() - start) / 1e6;
                    }
                    java.util.Arrays.sort(calls);
                    counts.add(calls[COUNT_CALLS / 2]);
                    long start = System.nanoTime();
                    statement
                            .executeQuery(
                                    "SELECT queue, state, COUNT(*) FROM " + TABLE_PREFIX + "job GROUP BY queue, state")
                            .close();
                    everyRow.add((System.nanoTime() - start) / 1e6);
                }
            }
            QueueCounts found = producer.engine.counts().stream()
                    .filter(q -> q.queue().equals(QUEUE))
                    .findFirst()
                    .orElseThrow();
            if (found.count(JobState.READY) != queued || found.count(JobState.SUCCEEDED) != history) {
                throw new IllegalStateException("counts() found " + found + ", not " + queued + " ready and " + history
                        + " succeeded: the run is not valid");
            }
            return new CountsCost(List.copyOf(counts), List.copyOf(everyRow));
        }
    }

    private static final int COUNT_CALLS = 100;

    private static JobSpec noop() {
        return JobSpec.of("bench.noop").withQueue(QUEUE);
    }

    static void enqueueBatches(JobEngine engine, int jobs, int batchSize) {
        enqueueBatches(engine, jobs, batchSize, noop());
    }

    static void enqueueBatches(JobEngine engine, int jobs, int batchSize, JobSpec spec) {
        var batch = new ArrayList<JobSpec>(batchSize);
        for (int i = 0; i < jobs; i++) {
            batch.add(spec);
            if (batch.size() == batchSize || i == jobs - 1) {
                engine.enqueueAll(batch);
                batch.clear();
            }
        }
    }

    private static void requireAllSucceeded(JobEngine engine, long jobs) {
        long succeeded = engine.counts().stream()
                .filter(q -> q.queue().equals(QUEUE))
                .mapToLong(q -> q.count(JobState.SUCCEEDED))
                .sum();
        long all = engine.counts().stream()
                .filter(q -> q.queue().equals(QUEUE))
                .mapToLong(q ->
                        q.byState().values().stream().mapToLong(Long::longValue).sum())
                .sum();
        if (succeeded != jobs || all != jobs) {
            throw new IllegalStateException("the store holds " + succeeded + " succeeded jobs of " + all + ", not "
                    + jobs + ": the run is not valid");
        }
    }

    /** One engine instance with its own store. */
    final class Instance implements AutoCloseable {
        final JobEngine engine;
        private final JobStore store;
        volatile Consumer<JsonNode> latencyHandler = payload -> {};

        Instance(int workers, Consumer<JobEvent> listener) {
            store = newStore();
            var builder = JobEngine.builder().store(store);
            if (workers > 0) {
                builder.queue(QUEUE, workers)
                        .register("bench.noop", ctx -> null)
                        .register("bench.steps", ctx -> {
                            for (int step = 0; step < STEPS; step++) {
                                int n = step;
                                ctx.step("step-" + n, () -> n);
                            }
                            return null;
                        })
                        .register("bench.latency", ctx -> {
                            latencyHandler.accept(ctx.payload());
                            return null;
                        })
                        .listener(listener::accept);
            }
            if (redis) {
                builder.queue(s -> RedisJobQueue.builder()
                        .uri(servers.redisUrl())
                        .keyPrefix(REDIS_PREFIX)
                        .build(s));
            }
            engine = builder.build();
        }

        @Override
        public void close() {
            engine.close();
            if (store != memory) {
                store.close();
            }
        }
    }

    Instance instance(int workers, boolean withHandlers) {
        return instance(workers, withHandlers, event -> {});
    }

    Instance instance(int workers, boolean withHandlers, Consumer<JobEvent> listener) {
        return new Instance(withHandlers ? workers : 0, listener);
    }

    private JobStore newStore() {
        return switch (backend) {
            case MEMORY -> memory;
            case H2 ->
                JdbcJobStore.builder()
                        .jdbcUrl("jdbc:h2:file:" + h2Folder.resolve("jobs") + ";DB_CLOSE_ON_EXIT=FALSE", "sa", "")
                        .tablePrefix(TABLE_PREFIX)
                        .build();
            case POSTGRESQL -> jdbcStore(servers.postgres());
            case MARIADB -> jdbcStore(servers.mariadb());
        };
    }

    private static JdbcJobStore jdbcStore(Servers.Database db) {
        return JdbcJobStore.builder()
                .jdbcUrl(db.url(), db.user(), db.password())
                .tablePrefix(TABLE_PREFIX)
                .build();
    }

    /** Empties everything the engine keeps: tables (dropped, so each run migrates afresh) and Redis keys. */
    void reset() {
        try {
            switch (backend) {
                case MEMORY -> memory = new InMemoryJobStore();
                case H2 -> deleteFolder(h2Folder);
                case POSTGRESQL -> dropTables(servers.postgres());
                case MARIADB -> dropTables(servers.mariadb());
            }
            if (redis) {
                deleteRedisKeys(servers.redisUrl(), REDIS_PREFIX + ":*");
            }
        } catch (Exception e) {
            throw new IllegalStateException(name() + ": could not empty the store: " + e.getMessage(), e);
        }
    }

    private static void dropTables(Servers.Database db) throws SQLException {
        try (Connection connection = DriverManager.getConnection(db.url(), db.user(), db.password());
                Statement statement = connection.createStatement()) {
            for (String table : JdbcJobStore.tableNames()) {
                statement.execute("DROP TABLE IF EXISTS " + TABLE_PREFIX + table);
            }
        }
    }

    private static void deleteFolder(Path folder) throws java.io.IOException {
        if (!Files.exists(folder)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(folder)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    static void deleteRedisKeys(String url, String pattern) {
        RedisClient client = RedisClient.create(url);
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            var commands = connection.sync();
            ScanCursor cursor = ScanCursor.INITIAL;
            do {
                var page =
                        commands.scan(cursor, ScanArgs.Builder.matches(pattern).limit(1000));
                if (!page.getKeys().isEmpty()) {
                    commands.del(page.getKeys().toArray(String[]::new));
                }
                cursor = page;
            } while (!cursor.isFinished());
        } finally {
            client.shutdown();
        }
    }
}
