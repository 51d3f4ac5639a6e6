package dev.jobs.queue.redis;

import static dev.jobs.testing.JobsTesting.BULK_WORK;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jobs.core.JobEngine;
import dev.jobs.core.JobEngineBuilder;
import dev.jobs.core.QueueCounts;
import dev.jobs.store.jdbc.JdbcJobStore;
import dev.jobs.store.jdbc.TestDatabase;
import dev.jobs.testing.Audit;
import dev.jobs.testing.Deadline;
import dev.jobs.testing.JobsTesting;
import dev.jobs.testing.ReliabilityFigures;
import dev.jobs.testing.Workload;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Three engines, each a JVM of its own, work one PostgreSQL (and then again with Redis in front).
 * In the middle of the work the test kills one with {@code kill -9}, three times over, starting a
 * fresh one each time; then it freezes one (SIGSTOP) for longer than a lease and lets it go on.
 * The killed workers' leases must lapse and their jobs finish elsewhere; the frozen one must find
 * its late outcomes refused by fencing. The audit, from the store and the ledger the processes
 * wrote to the database, must find nothing lost and nothing succeeded twice.
 */
@Tag("reliability")
class WorkerProcessKillTest {
    private static final int ENGINES = 3;
    /** Kills per run; {@code -Djobs.reliability.kills=N} runs a longer soak. */
    private static final int KILLS = Integer.getInteger("jobs.reliability.kills", 3);

    /** Jobs the workload adds for each kill past the third, so that a soak keeps the engines busy. */
    private static final int JOBS_PER_EXTRA_KILL = 1_500;

    private static final Duration PAUSE = EngineProcess.LEASE.plusSeconds(3);
    private static final Path LOGS = Path.of("target", "engine-processes");

    /**
     * A worker frozen in the middle of a transaction holds the rows it locked, ready jobs among them,
     * until it resumes or the database ends the transaction (the network timeout), whichever comes
     * first.
     */
    private static final Duration LOCKS_HELD =
            PAUSE.compareTo(EngineProcess.NETWORK_TIMEOUT) < 0 ? PAUSE : EngineProcess.NETWORK_TIMEOUT;

    /**
     * How long a ready job may wait beyond its turn, term by term. A killed worker's jobs are ready
     * only once their leases are reclaimed (the audit counts from then), so neither the lease nor
     * the reclaim scan is a term; a frozen worker's locked rows are. Without Redis, a row freed
     * behind where slow claims start waits for the claim floor to lapse. With Redis in front, ids a
     * killed worker had taken but not yet claimed in the store come back when their claim hold
     * lapses (here the lease, which is shorter), and an id skipped while its row was locked is
     * looked at again a second later.
     */
    private static Deadline readyDeadline(boolean redis) {
        Deadline deadline = Deadline.of("rows locked by the frozen worker's open transaction", LOCKS_HELD)
                .plus("poll interval", EngineProcess.POLL_INTERVAL);
        if (!redis) {
            return deadline.plus("claim floor's lifetime", JdbcJobStore.CLAIM_FLOOR_MAX_LIFETIME);
        }
        Duration hold = EngineProcess.LEASE.compareTo(RedisJobQueue.CLAIM_HOLD) < 0
                ? EngineProcess.LEASE
                : RedisJobQueue.CLAIM_HOLD;
        return deadline.plus("Redis claim hold of ids a killed worker had taken", hold)
                .plus("recheck of an id skipped while its row was locked", RedisJobQueue.LOCKED_RECHECK);
    }

    /**
     * How long a faulted worker's leases may take to move off it: they lapse a lease after its last
     * heartbeat and a reclaim scan takes them, but rows a frozen worker's open transaction holds
     * stay out of the scan's reach until the database ends it.
     */
    private static final Deadline LEASES_MOVED_OFF = Deadline.of("lease", EngineProcess.LEASE)
            .plus("reclaim scan interval", EngineProcess.RECLAIM_INTERVAL)
            .plus("store network timeout (ends a frozen worker's open transaction)", EngineProcess.NETWORK_TIMEOUT);

    private final TestDatabase database = TestDatabase.postgres();
    private final List<EngineProcess> processes = new ArrayList<>();
    private JdbcJobStore store;
    private JobEngine reader;
    private RedisServerProcess redis;

    @AfterEach
    void stop() throws Exception {
        for (EngineProcess process : processes) {
            process.kill();
        }
        if (reader != null) {
            reader.close();
        }
        if (store != null) {
            store.close();
        }
        database.dropTables();
        try (Connection c = connect()) {
            EngineProcess.dropLedger(c, database.prefix());
        }
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void killedWorkerProcessesLoseNothingOnPostgres() throws Exception {
        run("worker-killed", "Worker process killed (PostgreSQL)", Optional.empty());
    }

    @Test
    void killedWorkerProcessesLoseNothingWithRedisInFront() throws Exception {
        redis = RedisServerProcess.start();
        run("worker-killed-redis", "Worker process killed (PostgreSQL, Redis in front)", Optional.of(redis.uri()));
    }

    private void run(String id, String title, Optional<String> redisUri) throws Exception {
        int extraKills = Math.max(0, KILLS - 3);
        var workload = new Workload(20261204L, 4_000 + JOBS_PER_EXTRA_KILL * extraKills, 150)
                .withHandlerTime(Duration.ofMillis(80))
                .withMaxAttempts(10)
                .withRetryBackoff(EngineProcess.RETRY_BACKOFF)
                .withReadyDeadline(readyDeadline(redisUri.isPresent()));
        store = database.emptyStore(Clock.systemUTC());
        // The test enqueues through an engine as a producer would: with Redis in front, it publishes.
        JobEngineBuilder producer = JobEngine.builder().store(store);
        redisUri.ifPresent(
                uri -> producer.queue(s -> RedisJobQueue.builder().uri(uri).build(s)));
        reader = producer.build();
        try (Connection c = connect()) {
            EngineProcess.createLedger(c, database.prefix());
        }
        int started = 0;
        for (; started < ENGINES; started++) {
            processes.add(start("worker-" + started, redisUri));
        }
        // Started before the work comes, so that their start holds no ready job back.
        for (EngineProcess process : processes) {
            process.awaitStarted();
        }
        workload.enqueue(reader);
        awaitLedger(300);

        Set<String> faulted = new HashSet<>();
        Duration slowestRecovery = Duration.ZERO;
        for (int kill = 0; kill < KILLS; kill++) {
            EngineProcess victim = processes.remove(kill % processes.size());
            victim.kill();
            faulted.add(victim.worker());
            processes.add(start("worker-" + started++, redisUri));
            Duration recovered = awaitLeasesMovedOff(victim);
            slowestRecovery = recovered.compareTo(slowestRecovery) > 0 ? recovered : slowestRecovery;
            LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1));
        }
        EngineProcess frozen = processes.get(0);
        faulted.add(frozen.worker());
        frozen.pause();
        Duration movedOff = awaitLeasesMovedOff(frozen);
        LockSupport.parkNanos(PAUSE.toNanos() - movedOff.toNanos());
        frozen.resume();
        long unfinishedAtEndOfFaults = unfinished();

        // Three engines finish about eighty jobs a second, retries included: the soak's extra jobs
        // get the time they take on top.
        workload.awaitFinished(reader, Duration.ofMinutes(5).plusSeconds(20L * extraKills));
        for (EngineProcess process : processes) {
            process.close();
        }
        List<Workload.Execution> ledger;
        try (Connection c = connect()) {
            ledger = EngineProcess.readLedger(c, database.prefix());
        }
        long refused = frozen.logLinesContaining("not recorded") + frozen.logLinesContaining("stopping its handler");

        Audit audit = workload.audit(store::get, ledger, faulted);
        ReliabilityFigures.scenario(id, title)
                .reproduce("./mvnw verify -pl jobs-queue-redis -am -Dtest=WorkerProcessKillTest"
                        + " -Dsurefire.failIfNoSpecifiedTests=false")
                .faults(
                        KILLS + 1,
                        "kill -9 of one of " + ENGINES + " engine processes (" + KILLS
                                + " times), then SIGSTOP of one for " + PAUSE.toSeconds() + " s")
                .audit(audit)
                .recovered(slowestRecovery)
                .figure("lease length", EngineProcess.LEASE)
                .figure(
                        "store network timeout (ends a frozen worker's open transaction)",
                        EngineProcess.NETWORK_TIMEOUT)
                .figure("slowest time from a kill until no lease was held by the killed worker", slowestRecovery)
                .figure("time from the freeze until no lease was held by the frozen worker", movedOff)
                .figure("late writes and heartbeats of the frozen worker refused by fencing", refused)
                .figure("jobs unfinished when the last fault ended", unfinishedAtEndOfFaults)
                .write();
        assertThat(audit.problems())
                .as("jobs that ended wrong (seed " + workload.seed() + ")")
                .isEmpty();
        assertThat(audit.isClean()).isTrue();
        assertThat(unfinishedAtEndOfFaults).as("the faults hit a busy cluster").isPositive();
        assertThat(ledger.stream().filter(e -> faulted.contains(e.worker())))
                .as("executions on the workers the faults hit")
                .isNotEmpty();
    }

    private EngineProcess start(String worker, Optional<String> redisUri) throws IOException {
        return EngineProcess.start(worker, database.connection(), database.prefix(), redisUri, LOGS);
    }

    private Connection connect() throws Exception {
        List<String> c = database.connection();
        return DriverManager.getConnection(c.get(0), c.get(1), c.get(2));
    }

    private void awaitLedger(int executions) throws Exception {
        long deadline = System.nanoTime() + BULK_WORK.toNanos();
        try (Connection c = connect();
                var count =
                        c.prepareStatement("SELECT count(*) FROM " + EngineProcess.ledgerTable(database.prefix()))) {
            while (true) {
                try (var rows = count.executeQuery()) {
                    rows.next();
                    if (rows.getLong(1) >= executions) {
                        return;
                    }
                }
                assertThat(System.nanoTime())
                        .as("the engine processes ran %d jobs; see %s", executions, LOGS)
                        .isLessThan(deadline);
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
            }
        }
    }

    /**
     * Waits until no job is leased by {@code faulted}'s worker: its leases lapse and are reclaimed,
     * though a process frozen in the middle of a transaction keeps its rows locked until the
     * database ends that transaction ({@link EngineProcess#NETWORK_TIMEOUT}). If that takes too long, the live
     * engines' threads and the database's sessions and locks go to {@link #LOGS} first, so that the
     * failure shows what held the leases up.
     */
    private Duration awaitLeasesMovedOff(EngineProcess faulted) throws Exception {
        try {
            return JobsTesting.awaitNoLeaseHeldBy(store, faulted.worker(), LEASES_MOVED_OFF.total());
        } catch (AssertionError e) {
            Path dump = LOGS.resolve("stalled-" + faulted.worker() + ".txt");
            var text = new StringBuilder(e.getMessage()).append("\n");
            try (Connection c = connect();
                    var s = c.createStatement()) {
                appendRows(
                        text,
                        s,
                        "sessions",
                        "SELECT pid, state, xact_start, wait_event_type, wait_event, query"
                                + " FROM pg_stat_activity WHERE datname = current_database()");
                appendRows(
                        text,
                        s,
                        "locks",
                        "SELECT l.pid, l.locktype, l.mode, l.granted, l.relation::regclass"
                                + " FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                                + " WHERE a.datname = current_database() AND l.locktype IN ('relation', 'tuple', 'transactionid')");
            }
            for (EngineProcess live : processes) {
                text.append("\n== threads of ").append(live.worker()).append("\n");
                text.append(live.threadDump());
            }
            Files.writeString(dump, text);
            throw new AssertionError(
                    e.getMessage() + "; the engines' threads and the database's sessions are in "
                            + dump.toAbsolutePath(),
                    e);
        }
    }

    private static void appendRows(StringBuilder text, Statement s, String title, String sql) throws SQLException {
        text.append("\n== ").append(title).append("\n");
        try (var rows = s.executeQuery(sql)) {
            int columns = rows.getMetaData().getColumnCount();
            while (rows.next()) {
                for (int i = 1; i <= columns; i++) {
                    text.append(i > 1 ? " | " : "").append(rows.getString(i));
                }
                text.append("\n");
            }
        }
    }

    private long unfinished() {
        return store.counts().stream().mapToLong(QueueCounts::unfinished).sum();
    }
}
