package dev.jobs.bench;

import dev.jobs.core.JobEngine;
import dev.jobs.core.spi.StoreHealth;
import dev.jobs.store.jdbc.JdbcJobStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

/**
 * The long-horizon run on PostgreSQL: our engine under a steady load for half an hour or more
 * while, phase by phase, something holds vacuum back, as it does in production. Sampled every ten
 * seconds: jobs started per second, their enqueue→start p50/p95/p99, the dead rows and size of the
 * live job partition, and the age of the oldest snapshot.
 *
 * <ul>
 *   <li><b>baseline</b>: the load alone;
 *   <li><b>idle in transaction</b>: a session opens a repeatable-read transaction, reads the job
 *       table once and then sits idle in it, holding the xmin horizon for the whole phase;
 *   <li><b>readers</b>: two sessions take turns at repeatable-read scans of the job table, each
 *       holding its snapshot for a minute, so the horizon is always a minute or two old;
 *   <li><b>recovery</b>: the load alone again, while vacuum catches up.
 * </ul>
 */
final class Horizon {
    static final String BEGIN = "<!-- bench:horizon:begin -->";
    static final String END = "<!-- bench:horizon:end -->";

    private static final String PREFIX = "bench_horizon_";
    private static final String QUEUE = "horizon";
    private static final Duration SAMPLE_EVERY = Duration.ofSeconds(10);
    private static final Duration READER_HOLDS = Duration.ofMinutes(1);

    /** One phase of the run: its name and how long it lasts. */
    record Phase(String name, Duration length) {}

    /** What one sampling window saw. */
    record Sample(
            double minute,
            String phase,
            double startedPerSecond,
            double p50,
            double p95,
            double p99,
            long liveDeadRows,
            long liveBytes,
            long oldestSnapshotSeconds) {}

    private final Servers.Database db;
    private final List<Phase> phases;
    private final int perSecond;
    private final int workers;

    private final SteadyLoad load = new SteadyLoad("bench.horizon", QUEUE);

    /** The phases, in order; each disturbs the load in its own way ({@link #disturbance}). */
    static final List<String> PHASES = List.of("baseline", "idle in transaction", "readers", "recovery");

    Horizon(Servers.Database db, List<Duration> lengths, int perSecond, int workers) {
        if (lengths.size() != PHASES.size()) {
            throw new IllegalArgumentException(
                    "the horizon takes four phase lengths (" + String.join(", ", PHASES) + "), not " + lengths);
        }
        var list = new ArrayList<Phase>();
        for (int i = 0; i < PHASES.size(); i++) {
            list.add(new Phase(PHASES.get(i), lengths.get(i)));
        }
        this.db = db;
        this.phases = List.copyOf(list);
        this.perSecond = perSecond;
        this.workers = workers;
    }

    List<Phase> phases() {
        return phases;
    }

    /** Runs every phase under load; returns the samples in order. */
    List<Sample> run() throws Exception {
        dropTables();
        boolean autovacuumWasOff = autovacuum("on");
        try {
            return runPhases();
        } finally {
            if (autovacuumWasOff) {
                autovacuum(null);
            }
        }
    }

    /**
     * Turns autovacuum on for the run, or ({@code null}) back to the server's configuration. A test
     * server may run without it (this machine's does); production runs with it, and a run without
     * it would measure nothing but the absence of vacuum. Returns whether it was off.
     */
    private boolean autovacuum(String setting) throws SQLException {
        try (Connection connection = connect();
                Statement statement = connection.createStatement()) {
            boolean wasOff;
            try (var rs = statement.executeQuery("SELECT current_setting('autovacuum') = 'off'")) {
                rs.next();
                wasOff = rs.getBoolean(1);
            }
            if (setting != null && !wasOff) {
                return false;
            }
            try {
                statement.execute(
                        setting == null ? "ALTER SYSTEM RESET autovacuum" : "ALTER SYSTEM SET autovacuum = on");
                statement.execute("SELECT pg_reload_conf()");
            } catch (SQLException e) {
                System.out.println("  autovacuum is off on this server and could not be turned on ("
                        + e.getMessage().strip() + "): the run measures a server that never vacuums");
                return false;
            }
            System.out.println(
                    setting == null
                            ? "  autovacuum back to the server's configuration"
                            : "  autovacuum was off on this server: on for the run");
            return wasOff;
        }
    }

    private List<Sample> runPhases() throws Exception {
        var samples = new ArrayList<Sample>();
        try (JdbcJobStore workerStore = store(workers + 4);
                JdbcJobStore producerStore = store(4);
                JobEngine worker = JobEngine.builder()
                        .store(workerStore)
                        .queue(QUEUE, workers)
                        // A day's history would be kept; half an hour's is what this run makes.
                        .retention(Duration.ofHours(1))
                        .register("bench.horizon", ctx -> {
                            load.started(ctx.payload().get("t").asLong());
                            return null;
                        })
                        .build();
                JobEngine producer = JobEngine.builder().store(producerStore).build()) {
            worker.start();
            Thread offering = Thread.ofPlatform().name("horizon-load").start(() -> load.offer(producer, perSecond));
            long runStart = System.nanoTime();
            try {
                for (Phase phase : phases) {
                    System.out.printf("  phase: %s, %s%n", phase.name(), phase.length());
                    try (Disturbance disturbance = disturbance(phase)) {
                        long phaseEnd = System.nanoTime() + phase.length().toNanos();
                        while (System.nanoTime() < phaseEnd) {
                            LockSupport.parkNanos(SAMPLE_EVERY.toNanos());
                            Sample sample = sample(phase, runStart, workerStore);
                            samples.add(sample);
                            System.out.printf(
                                    Locale.ROOT,
                                    "    %5.1f min  %,6.0f jobs/s  p50 %8.1f  p95 %8.1f  p99 %8.1f ms"
                                            + "  live: %,d dead rows, %,d kB  oldest snapshot %d s%n",
                                    sample.minute(),
                                    sample.startedPerSecond(),
                                    sample.p50(),
                                    sample.p95(),
                                    sample.p99(),
                                    sample.liveDeadRows(),
                                    sample.liveBytes() / 1024,
                                    sample.oldestSnapshotSeconds());
                        }
                    }
                }
            } finally {
                offering.interrupt();
                offering.join();
            }
        }
        dropTables();
        return samples;
    }

    private JdbcJobStore store(int poolSize) {
        return JdbcJobStore.builder()
                .jdbcUrl(db.url(), db.user(), db.password())
                .tablePrefix(PREFIX)
                .poolSize(poolSize)
                .build();
    }

    private Sample sample(Phase phase, long runStart, JdbcJobStore store) {
        Latencies latencies = Latencies.of(load.takeWindow());
        StoreHealth health = store.health().orElseThrow();
        StoreHealth.Table live = health.tables().stream()
                .filter(t -> t.name().equals(PREFIX + "job_live"))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no live partition: is the schema at V7?"));
        return new Sample(
                (System.nanoTime() - runStart) / 60e9,
                phase.name(),
                latencies.count() / (double) SAMPLE_EVERY.toSeconds(),
                latencies.p50(),
                latencies.p95(),
                latencies.p99(),
                live.deadRows(),
                live.bytes(),
                health.oldestSnapshotAge().toSeconds());
    }

    /** What a phase does beside the load; closing it ends it. */
    private interface Disturbance extends AutoCloseable {
        @Override
        void close() throws Exception;
    }

    private Disturbance disturbance(Phase phase) throws SQLException {
        return switch (phase.name()) {
            case "idle in transaction" -> idleInTransaction();
            case "readers" -> readers();
            default -> () -> {};
        };
    }

    private Disturbance idleInTransaction() throws SQLException {
        Connection idle = connect();
        idle.setAutoCommit(false);
        idle.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        try (Statement statement = idle.createStatement()) {
            statement.execute("SELECT count(*) FROM " + PREFIX + "job");
        }
        return () -> {
            idle.rollback();
            idle.close();
        };
    }

    private Disturbance readers() {
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            long startAfter = READER_HOLDS.toNanos() / 2 * i;
            threads.add(Thread.ofPlatform().name("horizon-reader-" + i).start(() -> {
                LockSupport.parkNanos(startAfter);
                while (!Thread.currentThread().isInterrupted()) {
                    try (Connection reader = connect()) {
                        reader.setAutoCommit(false);
                        reader.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
                        try (Statement statement = reader.createStatement()) {
                            statement.execute("SELECT queue, state, count(*), sum(length(payload)) FROM " + PREFIX
                                    + "job GROUP BY queue, state");
                        }
                        LockSupport.parkNanos(READER_HOLDS.toNanos()); // an analyst reading the result
                        reader.rollback();
                    } catch (SQLException e) {
                        System.out.println("    reader failed: " + e.getMessage());
                    }
                }
            }));
        }
        return () -> {
            for (Thread thread : threads) {
                thread.interrupt();
                thread.join();
            }
        };
    }

    private Connection connect() throws SQLException {
        return DriverManager.getConnection(db.url(), db.user(), db.password());
    }

    private void dropTables() throws SQLException {
        try (Connection connection = connect();
                Statement statement = connection.createStatement()) {
            for (String table : JdbcJobStore.tableNames()) {
                statement.execute("DROP TABLE IF EXISTS " + PREFIX + table);
            }
        }
    }

    /** The figures of each phase, as a Markdown table with the command and the plot. */
    String markdown(List<Sample> samples, String header, String plotPath) {
        var text = new StringBuilder(header).append("\n\n");
        text.append("| phase | minutes | jobs/s (median) | p50 ms (median) | p95 ms (median) | p99 ms (median)"
                + " | p99 ms (worst 10 s) | dead rows in the live partition (max) | live partition (max) |\n");
        text.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Phase phase : phases) {
            List<Sample> in =
                    samples.stream().filter(s -> s.phase().equals(phase.name())).toList();
            if (in.isEmpty()) {
                continue;
            }
            text.append(String.format(
                    Locale.ROOT,
                    "| %s | %.1f | %,.0f | %,.1f | %,.1f | %,.1f | %,.1f | %,d | %,d kB |%n",
                    phase.name(),
                    phase.length().toSeconds() / 60.0,
                    median(in, Sample::startedPerSecond),
                    median(in, Sample::p50),
                    median(in, Sample::p95),
                    median(in, Sample::p99),
                    in.stream().mapToDouble(Sample::p99).max().orElse(0),
                    in.stream().mapToLong(Sample::liveDeadRows).max().orElse(0),
                    in.stream().mapToLong(Sample::liveBytes).max().orElse(0) / 1024));
        }
        text.append("\n![throughput, latency and dead rows over the run](")
                .append(plotPath)
                .append(")\n");
        return text.toString();
    }

    private static double median(List<Sample> samples, ToDoubleFunction<Sample> value) {
        double[] values = samples.stream().mapToDouble(value).sorted().toArray();
        return values[values.length / 2];
    }

    /** Every sample as CSV, for plotting elsewhere. */
    static void writeCsv(List<Sample> samples, Path file) throws IOException {
        String rows = samples.stream()
                .map(s -> String.format(
                        Locale.ROOT,
                        "%.2f,%s,%.1f,%.3f,%.3f,%.3f,%d,%d,%d",
                        s.minute(),
                        s.phase(),
                        s.startedPerSecond(),
                        s.p50(),
                        s.p95(),
                        s.p99(),
                        s.liveDeadRows(),
                        s.liveBytes(),
                        s.oldestSnapshotSeconds()))
                .collect(Collectors.joining("\n"));
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(
                file,
                "minute,phase,started_per_s,p50_ms,p95_ms,p99_ms,live_dead_rows,live_bytes,oldest_snapshot_s\n" + rows
                        + "\n");
    }

    /** Replaces the section between the horizon markers of {@code file} with {@code section}. */
    static void writeInto(Path file, String section) throws IOException {
        Report.writeBetween(file, BEGIN, END, section);
    }

    static String header(String commandLine, Instant started, int perSecond, int workers) {
        return String.format(
                Locale.ROOT,
                "Run of %s, %d min: `%s`. %,d jobs/s enqueued one per call from a second engine; %d workers.",
                started.toString().substring(0, 16).replace('T', ' ') + " UTC",
                Duration.between(started, Instant.now()).toMinutes(),
                commandLine,
                perSecond,
                workers);
    }
}
