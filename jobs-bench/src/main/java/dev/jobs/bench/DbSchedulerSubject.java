package dev.jobs.bench;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.task.TaskInstance;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;

/**
 * db-scheduler, the lock-and-fetch Java scheduler, on the same PostgreSQL: one-time tasks (deleted
 * when they succeed), polled every 100 ms (its default is 10 s) with its lock-and-fetch strategy,
 * which claims with {@code FOR UPDATE SKIP LOCKED}.
 */
final class DbSchedulerSubject implements Subject {
    static final String VERSION = "16.12";
    private static final String TABLE = "bench_db_scheduler_tasks";
    private static final Duration POLL = Duration.ofMillis(100);

    private final Servers.Database db;
    private volatile LongConsumer onExecute = data -> {};
    private final OneTimeTask<Long> task = Tasks.oneTime("bench-noop", Long.class)
            .execute((instance, context) -> onExecute.accept(instance.getData()));

    DbSchedulerSubject(Servers servers) {
        this.db = servers.postgres();
    }

    @Override
    public String name() {
        return "db-scheduler " + VERSION + " · PostgreSQL";
    }

    @Override
    public String comparedWith() {
        return "jobs · PostgreSQL";
    }

    @Override
    public Duration enqueueBatched(int jobs, int batchSize) throws SQLException {
        reset();
        try (HikariDataSource pool = pool(10)) {
            SchedulerClient client = client(pool);
            long start = System.nanoTime();
            var batch = new ArrayList<TaskInstance<?>>(batchSize);
            for (int i = 0; i < jobs; i++) {
                batch.add(task.instance("j" + i, 0L));
                if (batch.size() == batchSize || i == jobs - 1) {
                    client.scheduleBatch(batch, Instant.now());
                    batch.clear();
                }
            }
            return Duration.ofNanos(System.nanoTime() - start);
        }
    }

    @Override
    public Duration enqueueSingly(int jobs, int threads) throws Exception {
        reset();
        try (HikariDataSource pool = pool(threads + 2)) {
            SchedulerClient client = client(pool);
            return Load.concurrently(
                    jobs, threads, i -> client.scheduleIfNotExists(task.instance("j" + i, 0L), Instant.now()));
        }
    }

    @Override
    public Duration drain(int jobs, int workers) throws Exception {
        enqueueBatched(jobs, 1000);
        var done = new CountDownLatch(jobs);
        onExecute = data -> done.countDown();
        try (HikariDataSource pool = pool(workers + 2)) {
            Scheduler scheduler = scheduler(pool, workers);
            long start = System.nanoTime();
            scheduler.start();
            try {
                Load.await(done, "tasks had not run");
                // A one-time task is deleted once it succeeds: done means the table is empty.
                while (remaining(pool) > 0) {
                    LockSupport.parkNanos(Duration.ofMillis(2).toNanos());
                }
                return Duration.ofNanos(System.nanoTime() - start);
            } finally {
                scheduler.stop();
            }
        }
    }

    @Override
    public Latencies latency(int jobs, int perSecond) throws Exception {
        reset();
        var recorder = new Load.LatencyRecorder(jobs);
        onExecute = recorder::started;
        try (HikariDataSource workerPool = pool(18);
                HikariDataSource producerPool = pool(10)) {
            Scheduler scheduler = scheduler(workerPool, 16);
            scheduler.start();
            try {
                SchedulerClient producer = client(producerPool);
                Load.paced(
                        jobs,
                        perSecond,
                        i -> producer.scheduleIfNotExists(task.instance("l" + i, System.nanoTime()), Instant.now()));
                return recorder.await();
            } finally {
                scheduler.stop();
            }
        }
    }

    private Scheduler scheduler(HikariDataSource pool, int workers) {
        return Scheduler.create(pool, task)
                .tableName(TABLE)
                .threads(workers)
                .pollingInterval(POLL)
                .pollUsingLockAndFetch(0.5, 1.0)
                .shutdownMaxWait(Duration.ofSeconds(5))
                .build();
    }

    private SchedulerClient client(HikariDataSource pool) {
        return SchedulerClient.Builder.create(pool, task).tableName(TABLE).build();
    }

    private HikariDataSource pool(int size) {
        return Load.pool(db, size, "db-scheduler-bench");
    }

    private static long remaining(HikariDataSource pool) throws SQLException {
        try (Connection connection = pool.getConnection();
                Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SELECT count(*) FROM " + TABLE)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** db-scheduler leaves its table to the host: these are the columns and indexes it documents. */
    private void reset() throws SQLException {
        List<String> ddl = List.of(
                "DROP TABLE IF EXISTS " + TABLE,
                "CREATE TABLE " + TABLE + " (task_name text NOT NULL, task_instance text NOT NULL, task_data bytea,"
                        + " execution_time timestamptz NOT NULL, picked boolean NOT NULL, picked_by text,"
                        + " last_success timestamptz, last_failure timestamptz, consecutive_failures int,"
                        + " last_heartbeat timestamptz, version bigint NOT NULL, priority smallint,"
                        + " PRIMARY KEY (task_name, task_instance))",
                "CREATE INDEX " + TABLE + "_execution_time ON " + TABLE + " (execution_time)",
                "CREATE INDEX " + TABLE + "_last_heartbeat ON " + TABLE + " (last_heartbeat)",
                "CREATE INDEX " + TABLE + "_priority ON " + TABLE + " (priority DESC, execution_time)");
        try (Connection connection = DriverManager.getConnection(db.url(), db.user(), db.password());
                Statement statement = connection.createStatement()) {
            for (String sql : ddl) {
                statement.execute(sql);
            }
        }
    }
}
