package dev.jobs.queue.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jobs.core.Job;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobPage;
import dev.jobs.core.JobQuery;
import dev.jobs.core.QueueCounts;
import dev.jobs.store.jdbc.JdbcJobStore;
import dev.jobs.store.jdbc.TestDatabase;
import dev.jobs.testing.Audit;
import dev.jobs.testing.Deadline;
import dev.jobs.testing.ReliabilityFigures;
import dev.jobs.testing.Workload;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A burst far larger than the workers can keep up with, enqueued as fast as the database takes
 * it, while two engine processes, each allowed a heap of {@value EngineProcess#MAX_HEAP}B, work
 * through it with Redis in front. Neither process may run out of memory or fall behind for good:
 * every job must end right, none lost, none succeeded twice. The build runs a burst of 30,000,
 * which the workers of this two-core machine take minutes to drain (its disk commits a few hundred
 * retrying jobs a second); {@code -Djobs.reliability.overload=200000} runs the soak size.
 */
@Tag("reliability")
class OverloadTest {
    private static final int JOBS = Integer.getInteger("jobs.reliability.overload", 30_000);
    private static final int ENGINES = 2;
    private static final Path LOGS = Path.of("target", "engine-processes");

    /**
     * How long a ready job may wait beyond its turn. Under the backlog, claims race: ids a claimer
     * took from Redis wait for its claim in the store, and come back after the claim hold (here the
     * lease, which is shorter) if the claimer stalls that long; an id whose row another transaction
     * held is looked at again a second later. The engines have started before the burst, so their
     * start is no term.
     */
    private static final Deadline READY_DEADLINE = Deadline.of(
                    "Redis claim hold of ids a stalled claimer took", EngineProcess.LEASE)
            .plus("recheck of an id skipped while its row was locked", RedisJobQueue.LOCKED_RECHECK)
            .plus("poll interval", EngineProcess.POLL_INTERVAL);

    private final TestDatabase database = TestDatabase.postgres();
    private final List<EngineProcess> processes = new ArrayList<>();
    private RedisServerProcess redis;
    private JdbcJobStore store;

    @AfterEach
    void stop() throws Exception {
        for (EngineProcess process : processes) {
            process.kill();
        }
        if (store != null) {
            store.close();
        }
        database.dropTables();
        try (Connection c = connect();
                var s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS " + EngineProcess.ledgerTable(database.prefix()));
        }
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void aBurstOfJobsFarBeyondTheWorkersIsWorkedOffInBoundedMemory() throws Exception {
        var workload = new Workload(20261205L, JOBS, JOBS / 100)
                .withRetryBackoff(EngineProcess.RETRY_BACKOFF)
                .withReadyDeadline(READY_DEADLINE);
        redis = RedisServerProcess.start();
        store = database.emptyStore(Clock.systemUTC());
        try (Connection c = connect()) {
            EngineProcess.createLedger(c, database.prefix());
        }
        for (int i = 0; i < ENGINES; i++) {
            processes.add(EngineProcess.start(
                    "worker-" + i, database.connection(), database.prefix(), Optional.of(redis.uri()), LOGS));
        }
        for (EngineProcess process : processes) {
            process.awaitStarted();
        }
        JobEngine producer = JobEngine.builder()
                .store(store)
                .queue(s -> RedisJobQueue.builder().uri(redis.uri()).build(s))
                .build();

        long start = System.nanoTime();
        workload.enqueue(producer);
        Duration enqueued = Duration.ofNanos(System.nanoTime() - start);
        long backlogAtEndOfBurst =
                store.counts().stream().mapToLong(QueueCounts::unfinished).sum();
        // The burst takes about a minute to drain here (some 600 jobs a second); a soak of 200,000
        // takes several. Fifteen minutes is for the soak, with room to spare.
        workload.awaitFinished(producer, Duration.ofMinutes(15));
        Duration drained = Duration.ofNanos(System.nanoTime() - start);
        producer.close();
        var peaks = new ArrayList<Long>();
        for (EngineProcess process : processes) {
            process.close();
            peaks.add(process.peakHeapMiB());
        }
        List<Workload.Execution> ledger;
        try (Connection c = connect()) {
            ledger = EngineProcess.readLedger(c, database.prefix());
        }
        Map<UUID, Job> stored = readAll();

        Audit audit = workload.audit(id -> Optional.ofNullable(stored.get(id)), ledger, Set.of());
        ReliabilityFigures.scenario("overload", "Overload: a burst far beyond the workers")
                .reproduce("./mvnw verify -pl jobs-queue-redis -am -Dtest=OverloadTest"
                        + " -Dsurefire.failIfNoSpecifiedTests=false [-Djobs.reliability.overload=N]")
                .faults(
                        1,
                        "burst of " + JOBS + " jobs enqueued at once onto " + ENGINES
                                + " engine processes (8 slots each, Redis in front)")
                .audit(audit)
                .figure("time to enqueue the burst", enqueued)
                .figure("jobs enqueued per second", Math.round(JOBS / (enqueued.toMillis() / 1000.0)))
                .figure("backlog when the burst was in", backlogAtEndOfBurst)
                .figure("time until every job had finished", drained)
                .figure("jobs finished per second", Math.round(JOBS / (drained.toMillis() / 1000.0)))
                .figure("heap limit of each engine process", EngineProcess.MAX_HEAP + "B")
                .figure("peak heap use of the engine processes, MiB", peaks)
                .write();
        assertThat(audit.problems())
                .as("jobs that ended wrong (seed " + workload.seed() + ")")
                .isEmpty();
        assertThat(audit.isClean()).isTrue();
        assertThat(backlogAtEndOfBurst).as("the burst outran the workers").isGreaterThan(JOBS / 2);
    }

    /** Every stored job, a page at a time: one read per job would take longer than the run. */
    private Map<UUID, Job> readAll() {
        var all = new HashMap<UUID, Job>();
        JobQuery query = JobQuery.all().withLimit(500);
        Optional<String> cursor = Optional.empty();
        do {
            JobPage page = store.list(cursor.map(query::withCursor).orElse(query));
            page.jobs().forEach(job -> all.put(job.id(), job));
            cursor = page.nextCursor();
        } while (cursor.isPresent());
        return all;
    }

    private Connection connect() throws Exception {
        List<String> c = database.connection();
        return DriverManager.getConnection(c.get(0), c.get(1), c.get(2));
    }
}
