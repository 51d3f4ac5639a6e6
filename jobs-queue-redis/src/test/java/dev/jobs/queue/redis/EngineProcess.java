package dev.jobs.queue.redis;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobEngineBuilder;
import dev.jobs.core.RetryPolicy;
import dev.jobs.store.jdbc.JdbcJobStore;
import dev.jobs.testing.Workload;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * An engine in a JVM of its own, working a {@link Workload} on PostgreSQL (and Redis, if given),
 * for tests that kill or pause whole processes. Each execution goes to a ledger table in the same
 * database before the handler returns, so the ledger survives the process. The engine runs until
 * its standard input closes, then shuts down gracefully; {@code kill -9} ends it at once.
 *
 * <p>{@link #start} launches one from a test, on the test's own class path.
 */
final class EngineProcess implements AutoCloseable {
    /** How long a lease lasts in these engines: short, so a killed worker's jobs come back quickly. */
    static final Duration LEASE = Duration.ofSeconds(3);

    /**
     * The store's network timeout in these engines, shorter than the default: it is also how long
     * the database lets a transaction sit idle, so a process frozen in the middle of one (SIGSTOP)
     * holds its rows locked, out of the lease reclaimers' reach, for this long.
     */
    static final Duration NETWORK_TIMEOUT = Duration.ofSeconds(10);

    /** The retry backoff of these engines: short, so that retries come round while faults hit. */
    static final Duration RETRY_BACKOFF = Duration.ofMillis(10);

    /** How often these engines look for leases that lapsed: often, so killed workers' jobs move soon. */
    static final Duration RECLAIM_INTERVAL = Duration.ofMillis(500);

    /** How often these engines ask the store for work when nothing woke them. */
    static final Duration POLL_INTERVAL = Duration.ofMillis(50);

    /** What the process prints, at a graceful end, before its peak heap use in MiB. */
    static final String PEAK_HEAP = "peak heap MiB=";

    /** The heap each engine process may use at most. */
    static final String MAX_HEAP = "128m";

    private final String worker;
    private final Process process;
    /** What the engine logged, at INFO and above. */
    private final Path log;
    /** What the process printed itself: its start and end, and whatever the JVM says if it fails. */
    private final Path out;

    private EngineProcess(String worker, Process process, Path log, Path out) {
        this.worker = worker;
        this.process = process;
        this.log = log;
        this.out = out;
    }

    /**
     * Starts an engine process named {@code worker} on the database {@code connection} (URL, user,
     * password) under {@code prefix}, dispatching through Redis at {@code redisUri} if present.
     */
    static EngineProcess start(
            String worker, List<String> connection, String prefix, Optional<String> redisUri, Path logs)
            throws IOException {
        var command = new ArrayList<String>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx" + MAX_HEAP);
        Path log = logs.resolve("engine-process-" + worker + ".log");
        Path out = logs.resolve("engine-process-" + worker + ".out");
        // The test suite's logging configuration, with the whole log in a file of the process's own.
        String logging = System.getProperty("logback.configurationFile");
        if (logging != null) {
            command.add("-Dlogback.configurationFile=" + logging);
        }
        command.add("-Djobs.test.log=" + log.toAbsolutePath());
        command.add("-Djobs.test.console.level=OFF");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(EngineProcess.class.getName());
        command.add(worker);
        command.addAll(connection);
        command.add(prefix);
        redisUri.ifPresent(command::add);
        Files.createDirectories(logs);
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(out.toFile())
                .start();
        return new EngineProcess(worker, process, log, out);
    }

    String worker() {
        return worker;
    }

    long pid() {
        return process.pid();
    }

    /**
     * Waits until the engine has started, polling what the process printed. The bound is not a
     * speed claim: a JVM and an engine start in a few seconds even on a loaded two-core machine, and
     * a process that has not started in a minute is broken.
     */
    void awaitStarted() throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        String started = "engine process " + worker + " started";
        while (!Files.exists(out)
                || !Files.readString(out, StandardCharsets.UTF_8).contains(started)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException(worker + " did not start; see " + out + " and " + log);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    /** Ends the process as {@code kill -9} does: no shutdown, no last write. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** Freezes the process (SIGSTOP), as a long pause or a stalled host would. */
    void pause() throws IOException, InterruptedException {
        signal("STOP");
    }

    /** Lets a paused process go on (SIGCONT). */
    void resume() throws IOException, InterruptedException {
        signal("CONT");
    }

    private void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid()))
                .inheritIO()
                .start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IllegalStateException("kill -" + name + " " + pid() + " failed");
        }
    }

    /** The process's threads and their stacks, as {@code jcmd Thread.print} prints them. */
    String threadDump() throws IOException, InterruptedException {
        Process jcmd = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                        Long.toString(pid()),
                        "Thread.print")
                .redirectErrorStream(true)
                .start();
        String out = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        jcmd.waitFor(30, TimeUnit.SECONDS);
        return out;
    }

    /** What the engine logged, lines that contain {@code text}. */
    long logLinesContaining(String text) throws IOException {
        if (!Files.exists(log)) {
            return 0; // nothing logged yet
        }
        try (var lines = Files.lines(log, StandardCharsets.UTF_8)) {
            return lines.filter(line -> line.contains(text)).count();
        }
    }

    /** The peak heap use the process reported at its graceful end, in MiB. */
    long peakHeapMiB() throws IOException {
        try (var lines = Files.lines(out, StandardCharsets.UTF_8)) {
            return lines.filter(line -> line.contains(PEAK_HEAP))
                    .map(line -> Long.parseLong(line.substring(line.indexOf(PEAK_HEAP) + PEAK_HEAP.length())
                            .trim()))
                    .findFirst()
                    .orElseThrow(() ->
                            new IllegalStateException(worker + " did not end gracefully; see " + out + " and " + log));
        }
    }

    /**
     * Asks for a graceful shutdown (closes standard input) and waits for it: the engine's shutdown
     * timeout at most, twice that before the process is killed.
     */
    @Override
    public void close() throws IOException, InterruptedException {
        if (process.isAlive()) {
            process.getOutputStream().close();
            long stopsWithin =
                    JobEngineBuilder.DEFAULT_SHUTDOWN_TIMEOUT.multipliedBy(2).toSeconds();
            if (!process.waitFor(stopsWithin, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    /** The ledger table of the workload run under {@code prefix}. */
    static String ledgerTable(String prefix) {
        return prefix + "ledger";
    }

    /**
     * The ledger of the durable steps run under {@code prefix}: a row {@code effect} as a step's work
     * has its side effect, a row {@code recorded} once the step's record returned to the handler,
     * numbered in the order they were written (each is written before the handler goes on).
     */
    static String stepLedgerTable(String prefix) {
        return prefix + "step_ledger";
    }

    /** Creates the ledger tables. */
    static void createLedger(Connection connection, String prefix) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE " + ledgerTable(prefix)
                    + " (job_id uuid NOT NULL, attempt int NOT NULL, worker text NOT NULL, lease_token uuid NOT NULL,"
                    + " start_nanos bigint NOT NULL, end_nanos bigint NOT NULL, succeeded boolean NOT NULL)");
            statement.execute("CREATE TABLE " + stepLedgerTable(prefix)
                    + " (seq bigserial PRIMARY KEY, job_id uuid NOT NULL, step text NOT NULL, worker text NOT NULL,"
                    + " lease_token uuid NOT NULL, kind text NOT NULL)");
        }
    }

    /** Drops the ledger tables. */
    static void dropLedger(Connection connection, String prefix) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("DROP TABLE IF EXISTS " + ledgerTable(prefix));
            statement.execute("DROP TABLE IF EXISTS " + stepLedgerTable(prefix));
        }
    }

    /** Every execution the ledger holds. */
    static List<Workload.Execution> readLedger(Connection connection, String prefix) throws SQLException {
        var executions = new ArrayList<Workload.Execution>();
        try (Statement statement = connection.createStatement();
                var rows = statement.executeQuery("SELECT * FROM " + ledgerTable(prefix))) {
            while (rows.next()) {
                executions.add(new Workload.Execution(
                        rows.getObject("job_id", UUID.class),
                        rows.getInt("attempt"),
                        rows.getString("worker"),
                        rows.getObject("lease_token", UUID.class),
                        rows.getLong("start_nanos"),
                        rows.getLong("end_nanos"),
                        rows.getBoolean("succeeded")));
            }
        }
        return executions;
    }

    /** The type of the jobs of durable steps, each named in {@link #STEP_NAMES} in turn. */
    static final String STEPS = "steps.work";

    static final List<String> STEP_NAMES = List.of("one", "two", "three");

    private static void writeStep(
            ExecutorService writer,
            PreparedStatement insert,
            UUID jobId,
            String step,
            String worker,
            UUID lease,
            String kind) {
        written(writer.submit(() -> {
            try {
                insert.setObject(1, jobId);
                insert.setString(2, step);
                insert.setString(3, worker);
                insert.setObject(4, lease);
                insert.setString(5, kind);
                insert.executeUpdate();
            } catch (SQLException e) {
                throw new IllegalStateException("could not write the step ledger", e);
            }
        }));
    }

    /** Waits for a ledger write, keeping an interrupt for the handler that asked for it. */
    private static void written(Future<?> write) {
        boolean interrupted = false;
        while (true) {
            try {
                write.get();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            } catch (ExecutionException e) {
                throw new IllegalStateException("could not write the ledger", e.getCause());
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Arguments: worker, JDBC URL, user, password, table prefix, and optionally a Redis URI. */
    public static void main(String[] args) throws Exception {
        String worker = args[0];
        String url = args[1];
        String user = args[2];
        String password = args[3];
        String prefix = args[4];
        Optional<String> redis = args.length > 5 ? Optional.of(args[5]) : Optional.empty();
        JdbcJobStore store = JdbcJobStore.builder()
                .jdbcUrl(url, user, password)
                .tablePrefix(prefix)
                .poolSize(6)
                .networkTimeout(NETWORK_TIMEOUT)
                .build();
        Connection ledger = DriverManager.getConnection(url, user, password);
        try (Statement statement = ledger.createStatement()) {
            // Visible at once, flushed to disk a little later: only the database crashing could lose
            // a row, and these tests kill engines, not the database.
            statement.execute("SET synchronous_commit = off");
        }
        PreparedStatement insert =
                ledger.prepareStatement("INSERT INTO " + ledgerTable(prefix) + " VALUES (?, ?, ?, ?, ?, ?, ?)");
        JobEngineBuilder builder = JobEngine.builder()
                .store(store)
                .workerId(worker)
                .queue("default", 8)
                .leaseDuration(LEASE)
                .reclaimInterval(RECLAIM_INTERVAL)
                .retryPolicy(RetryPolicy.fixed(RETRY_BACKOFF))
                .pollInterval(POLL_INTERVAL);
        redis.ifPresent(
                uri -> builder.queue(s -> RedisJobQueue.builder().uri(uri).build(s)));
        // One platform thread writes the ledger: an interrupt aimed at a handler (its lease lost)
        // would close a connection that a virtual thread was writing on.
        ExecutorService writer = Executors.newSingleThreadExecutor();
        Workload.registerHandlers(
                builder,
                execution -> written(writer.submit(() -> {
                    // Written before the handler returns: a success the store records is always in the ledger.
                    try {
                        insert.setObject(1, execution.jobId());
                        insert.setInt(2, execution.attempt());
                        insert.setString(3, execution.worker());
                        insert.setObject(4, Objects.requireNonNull(execution.leaseToken()));
                        insert.setLong(5, execution.startNanos());
                        insert.setLong(6, execution.endNanos());
                        insert.setBoolean(7, execution.succeeded());
                        insert.executeUpdate();
                    } catch (SQLException e) {
                        throw new IllegalStateException("could not write the ledger", e);
                    }
                })));
        PreparedStatement stepInsert = ledger.prepareStatement("INSERT INTO " + stepLedgerTable(prefix)
                + " (job_id, step, worker, lease_token, kind) VALUES (?, ?, ?, ?, ?)");
        builder.register(STEPS, JsonNode.class, ctx -> {
            UUID lease = ctx.job().leaseToken().orElseThrow();
            for (String name : STEP_NAMES) {
                var ran = new AtomicBoolean();
                ctx.step(name, () -> {
                    ran.set(true);
                    writeStep(writer, stepInsert, ctx.jobId(), name, worker, lease, "effect");
                    Thread.sleep(ctx.payload().path("millis").asLong(0));
                    return name + " done by " + worker;
                });
                if (ran.get()) {
                    writeStep(writer, stepInsert, ctx.jobId(), name, worker, lease, "recorded");
                }
            }
            return "all steps";
        });
        try (JobEngine engine = builder.build().start()) {
            System.out.println("engine process " + worker + " started");
            while (System.in.read() >= 0) {
                // runs until standard input closes
            }
        } finally {
            store.close();
            writer.shutdown();
            ledger.close();
        }
        long peak = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(pool -> pool.getType() == MemoryType.HEAP)
                .mapToLong(pool -> pool.getPeakUsage().getUsed())
                .sum();
        System.out.println("engine process " + worker + " stopped; " + PEAK_HEAP + (peak >> 20));
    }
}
