package dev.jobs.bench;

import dev.jobs.core.JobEngine;
import dev.jobs.queue.redis.RedisJobQueue;
import dev.jobs.store.jdbc.JdbcJobStore;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * A new database under continuous load from its first second, as every user starts: the job
 * tables are created, producers enqueue at a set rate and workers claim from the start, and the
 * clock runs from then. Each second prints the jobs completed and the enqueue→start p95. The same
 * run is then made with the tables analysed as they go (every few seconds, as autovacuum's analyze
 * would in production), and the first run's completions over the second's is the figure: a store
 * whose plans depended on statistics falls behind on the new tables.
 *
 * <p>The server's autovacuum setting is left as it is: this machine runs without it, and a user's
 * new database may get its first automatic analyze only after minutes.
 */
final class FreshStart {
    static final String BEGIN = "<!-- bench:fresh:begin -->";
    static final String END = "<!-- bench:fresh:end -->";

    private static final String PREFIX = "bench_fresh_";
    private static final String QUEUE = "fresh";
    private static final String REDIS_PREFIX = "bench-fresh";

    /** How often the analysed run analyses the job tables. */
    private static final Duration ANALYSE_EVERY = Duration.ofSeconds(5);

    private static final int PRODUCERS = 4;

    /** One second of a run: jobs completed in it and their enqueue→start p95. */
    record Second(int second, long completed, double startP95Ms) {}

    /** One run: its seconds, and the total completed. */
    record Run(String name, List<Second> seconds) {
        long completed() {
            return seconds.stream().mapToLong(Second::completed).sum();
        }

        double worstP95() {
            return seconds.stream().mapToDouble(Second::startP95Ms).max().orElse(0);
        }

        double medianP95() {
            double[] values =
                    seconds.stream().mapToDouble(Second::startP95Ms).sorted().toArray();
            return values.length == 0 ? 0 : values[values.length / 2];
        }
    }

    private final Servers servers;
    private final boolean redis;
    private final int perSecond;
    private final int workers;
    private final Duration length;

    private final SteadyLoad load = new SteadyLoad("bench.fresh", QUEUE);
    private final AtomicLong completed = new AtomicLong();

    FreshStart(Servers servers, boolean redis, int perSecond, int workers, Duration length) {
        this.servers = servers;
        this.redis = redis;
        this.perSecond = perSecond;
        this.workers = workers;
        this.length = length;
    }

    String subject() {
        return "jobs · PostgreSQL" + (redis ? " + Redis" : "");
    }

    /** The run on new tables, then the run on tables analysed as they go. */
    List<Run> run() throws Exception {
        return List.of(once("new tables, never analysed", false), once("tables analysed every 5 s", true));
    }

    private Run once(String name, boolean analyse) throws Exception {
        dropTables();
        System.out.printf("  %s · %s%n", subject(), name);
        var seconds = new ArrayList<Second>();
        try (JdbcJobStore workerStore = store(workers + 4);
                JdbcJobStore producerStore = store(PRODUCERS + 2);
                JobEngine worker = engine(workerStore, true);
                JobEngine producer = engine(producerStore, false)) {
            worker.start();
            List<Thread> producers = new ArrayList<>();
            for (int i = 0; i < PRODUCERS; i++) {
                producers.add(Thread.ofPlatform()
                        .name("fresh-producer-" + i)
                        .start(() -> load.offer(producer, perSecond / PRODUCERS)));
            }
            Thread analyser =
                    analyse ? Thread.ofPlatform().name("fresh-analyse").start(this::analyseAsWeGo) : null;
            long start = System.nanoTime();
            try {
                for (int s = 1; s <= length.toSeconds(); s++) {
                    LockSupport.parkNanos(start + s * 1_000_000_000L - System.nanoTime());
                    Histogram seen = load.takeWindow();
                    var second = new Second(s, completed.getAndSet(0), seen.getValueAtPercentile(95) / 1e6);
                    seconds.add(second);
                    if (s % 5 == 0 || s <= 5) {
                        System.out.printf(
                                Locale.ROOT,
                                "    %3d s  %,6d jobs/s  start p95 %,9.1f ms%n",
                                s,
                                second.completed(),
                                second.startP95Ms());
                    }
                }
            } finally {
                for (Thread thread : producers) {
                    thread.interrupt();
                }
                for (Thread thread : producers) {
                    thread.join();
                }
                if (analyser != null) {
                    analyser.interrupt();
                    analyser.join();
                }
            }
        }
        dropTables();
        return new Run(name, List.copyOf(seconds));
    }

    private JobEngine engine(JdbcJobStore store, boolean withWorkers) {
        var builder = JobEngine.builder().store(store);
        if (withWorkers) {
            builder.queue(QUEUE, workers).register("bench.fresh", ctx -> {
                load.started(ctx.payload().get("t").asLong());
                return null;
            });
            builder.listener(event -> {
                if (event.kind() == dev.jobs.core.JobEvent.Kind.SUCCEEDED) {
                    completed.incrementAndGet();
                }
            });
        }
        if (redis) {
            builder.queue(s -> RedisJobQueue.builder()
                    .uri(servers.redisUrl())
                    .keyPrefix(REDIS_PREFIX)
                    .build(s));
        }
        return builder.build();
    }

    private JdbcJobStore store(int poolSize) {
        Servers.Database db = servers.postgres();
        return JdbcJobStore.builder()
                .jdbcUrl(db.url(), db.user(), db.password())
                .tablePrefix(PREFIX)
                .poolSize(poolSize)
                .build();
    }

    /** What autovacuum's analyze would do for a busy table in production, here every few seconds. */
    private void analyseAsWeGo() {
        while (!Thread.currentThread().isInterrupted()) {
            LockSupport.parkNanos(ANALYSE_EVERY.toNanos());
            try (Connection connection = connect();
                    Statement statement = connection.createStatement()) {
                statement.execute("ANALYZE " + PREFIX + "job_live, " + PREFIX + "job_history");
            } catch (SQLException e) {
                if (!Thread.currentThread().isInterrupted()) {
                    System.out.println("    analyze failed: " + e.getMessage());
                }
            }
        }
    }

    private Connection connect() throws SQLException {
        Servers.Database db = servers.postgres();
        return DriverManager.getConnection(db.url(), db.user(), db.password());
    }

    private void dropTables() throws SQLException {
        try (Connection connection = connect();
                Statement statement = connection.createStatement()) {
            for (String table : JdbcJobStore.tableNames()) {
                statement.execute("DROP TABLE IF EXISTS " + PREFIX + table + " CASCADE");
            }
        }
    }

    /** The two runs of each subject as a Markdown table: completions, latency and the ratio. */
    static String markdown(String header, List<FreshStart> subjects, List<List<Run>> runs) {
        var text = new StringBuilder(header).append("\n\n");
        text.append("| subject | tables | jobs completed in the run | jobs/s | start p95 ms (median second)"
                + " | start p95 ms (worst second) | new ÷ analysed |\n");
        text.append("|---|---|---:|---:|---:|---:|---:|\n");
        for (int i = 0; i < subjects.size(); i++) {
            FreshStart subject = subjects.get(i);
            List<Run> pair = runs.get(i);
            double ratio = pair.get(1).completed() == 0
                    ? 0
                    : pair.get(0).completed() / (double) pair.get(1).completed();
            for (int r = 0; r < pair.size(); r++) {
                Run run = pair.get(r);
                text.append(String.format(
                        Locale.ROOT,
                        "| %s | %s | %,d | %,.0f | %,.1f | %,.1f | %s |%n",
                        subject.subject(),
                        run.name(),
                        run.completed(),
                        run.completed() / (double) subject.length.toSeconds(),
                        run.medianP95(),
                        run.worstP95(),
                        r == 0 ? String.format(Locale.ROOT, "%.2f", ratio) : ""));
            }
        }
        return text.toString();
    }

    static String header(String commandLine, Instant started, int perSecond, int workers, Duration length) {
        return String.format(
                Locale.ROOT,
                "Run of %s, %d min: `%s`. %,d jobs/s offered by %d producers enqueueing one job per call,"
                        + " %d workers, %d s from the tables' creation.",
                started.toString().substring(0, 16).replace('T', ' ') + " UTC",
                Duration.between(started, Instant.now()).toMinutes(),
                commandLine,
                perSecond,
                PRODUCERS,
                workers,
                length.toSeconds());
    }
}
