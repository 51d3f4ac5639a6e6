package dev.jobs.bench;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.IntStream;
import org.jobrunr.configuration.JobRunr;
import org.jobrunr.jobs.mappers.JobMapper;
import org.jobrunr.scheduling.JobScheduler;
import org.jobrunr.server.BackgroundJobServerConfiguration;
import org.jobrunr.storage.StorageProvider;
import org.jobrunr.storage.sql.postgres.PostgresStorageProvider;
import org.jobrunr.utils.mapper.jackson.JacksonJsonMapper;

/**
 * JobRunr, on the same PostgreSQL: jobs enqueued as lambdas on static methods, processed by its
 * background job server polling every 5 s (its minimum), succeeded jobs kept in its table.
 */
final class JobRunrSubject implements Subject {
    static final String VERSION = "8.7";
    private static final String PREFIX = "bench_";
    private static final Duration POLL = Duration.ofSeconds(5);

    private final Servers.Database db;

    JobRunrSubject(Servers servers) {
        this.db = servers.postgres();
    }

    @Override
    public String name() {
        return "JobRunr " + VERSION + " · PostgreSQL";
    }

    @Override
    public String comparedWith() {
        return "jobs · PostgreSQL";
    }

    @Override
    public Duration enqueueBatched(int jobs, int batchSize) throws SQLException {
        reset();
        try (HikariDataSource pool = pool(10)) {
            JobScheduler scheduler = new JobScheduler(storage(pool));
            long start = System.nanoTime();
            // JobRunr saves a stream of jobs in batches of its own choosing (1,000 at the time of writing).
            scheduler.enqueue(IntStream.range(0, jobs).boxed(), item -> JobRunrJobs.noop(item));
            return Duration.ofNanos(System.nanoTime() - start);
        }
    }

    @Override
    public Duration enqueueSingly(int jobs, int threads) throws Exception {
        reset();
        try (HikariDataSource pool = pool(threads + 2)) {
            JobScheduler scheduler = new JobScheduler(storage(pool));
            return Load.concurrently(jobs, threads, i -> scheduler.enqueue(() -> JobRunrJobs.noop()));
        }
    }

    @Override
    public Duration drain(int jobs, int workers) throws Exception {
        enqueueBatched(jobs, 1000);
        var done = new CountDownLatch(jobs);
        JobRunrJobs.onNoop = done::countDown;
        try (HikariDataSource pool = pool(workers + 4)) {
            long start = System.nanoTime();
            startServer(pool, workers);
            try {
                Load.await(done, "jobs had not run");
                while (succeeded(pool) < jobs) {
                    LockSupport.parkNanos(Duration.ofMillis(5).toNanos());
                }
                return Duration.ofNanos(System.nanoTime() - start);
            } finally {
                JobRunr.destroy();
            }
        }
    }

    @Override
    public Latencies latency(int jobs, int perSecond) throws Exception {
        reset();
        var recorder = new Load.LatencyRecorder(jobs);
        JobRunrJobs.onLatency = recorder::started;
        try (HikariDataSource workerPool = pool(20);
                HikariDataSource producerPool = pool(10)) {
            startServer(workerPool, 16);
            try {
                JobScheduler producer = new JobScheduler(storage(producerPool));
                Load.paced(jobs, perSecond, i -> {
                    long sentAt = System.nanoTime();
                    producer.enqueue(() -> JobRunrJobs.started(sentAt));
                });
                return recorder.await();
            } finally {
                JobRunr.destroy();
            }
        }
    }

    private void startServer(HikariDataSource pool, int workers) {
        JobRunr.configure()
                .useStorageProvider(storage(pool))
                .useBackgroundJobServer(BackgroundJobServerConfiguration.usingStandardBackgroundJobServerConfiguration()
                        .andWorkerCount(workers)
                        .andPollInterval(POLL))
                .initialize();
    }

    /** A storage provider as JobRunr's own configuration makes one: on this pool, with its Jackson mapper. */
    private static StorageProvider storage(HikariDataSource pool) {
        var storage = new PostgresStorageProvider(pool, PREFIX);
        storage.setJobMapper(new JobMapper(new JacksonJsonMapper()));
        return storage;
    }

    private static long succeeded(HikariDataSource pool) throws SQLException {
        try (Connection connection = pool.getConnection();
                Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery(
                        "SELECT count(*) FROM " + PREFIX + "jobrunr_jobs WHERE state = 'SUCCEEDED'")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private HikariDataSource pool(int size) {
        return Load.pool(db, size, "jobrunr-bench");
    }

    /** Empties JobRunr's tables, which its storage provider creates on first use. */
    private void reset() throws SQLException {
        try (Connection connection = DriverManager.getConnection(db.url(), db.user(), db.password());
                Statement statement = connection.createStatement()) {
            for (String table : List.of("jobrunr_jobs", "jobrunr_recurring_jobs", "jobrunr_backgroundjobservers")) {
                statement.execute("DO $$ BEGIN IF to_regclass('" + PREFIX + table + "') IS NOT NULL THEN"
                        + " EXECUTE 'TRUNCATE " + PREFIX + table + "'; END IF; END $$");
            }
        }
    }
}
