package dev.jobs.queue.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jobs.core.Job;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobSpec;
import dev.jobs.core.JobState;
import dev.jobs.core.JobStep;
import dev.jobs.store.jdbc.JdbcJobStore;
import dev.jobs.store.jdbc.TestDatabase;
import dev.jobs.testing.JobsTesting;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Jobs of three durable steps run on two engine processes on PostgreSQL; while they run, one
 * process is killed with {@code kill -9} and a fresh one started. Every step's work writes a row to
 * a ledger as it has its side effect, and another once its record came back, numbered in order: a
 * step with a side effect after its record ran twice. None may (a step whose worker died between
 * its side effect and its record runs again, as documented); and the kill must have caught jobs
 * between their steps, or the test proved nothing.
 */
@Tag("reliability")
class DurableStepsKillTest {
    private static final int JOBS = 60;

    /** How long each step's work takes: 60 jobs of three steps keep two engines of 8 slots busy for seconds. */
    private static final Duration STEP_TIME = Duration.ofMillis(150);

    private static final Path LOGS = Path.of("target", "engine-processes");

    /**
     * How long the jobs may take to finish once the victim is dead: its leases lapse (a lease) and are
     * reclaimed (a scan), then the rest of the work runs on two engines (about 60 × 3 × 150 ms over
     * 16 slots: two seconds); the bound is the testkit's for eventual conditions, with wide margin.
     */
    private static final Duration FINISHED_WITHIN = JobsTesting.EVENTUALLY;

    private final TestDatabase database = TestDatabase.postgres();
    private final List<EngineProcess> processes = new ArrayList<>();
    private JdbcJobStore store;
    private JobEngine producer;

    @AfterEach
    void stop() throws Exception {
        for (EngineProcess process : processes) {
            process.kill();
        }
        if (producer != null) {
            producer.close();
        }
        if (store != null) {
            store.close();
        }
        database.dropTables();
        try (Connection c = connect()) {
            EngineProcess.dropLedger(c, database.prefix());
        }
    }

    private record Entry(long seq, UUID jobId, String step, String worker, UUID lease, String kind) {}

    @Test
    void noRecordedStepRunsAgainAfterItsWorkerIsKilled() throws Exception {
        store = database.emptyStore(Clock.systemUTC());
        producer = JobEngine.builder().store(store).build();
        try (Connection c = connect()) {
            EngineProcess.createLedger(c, database.prefix());
        }
        EngineProcess victim = start("steps-victim");
        processes.add(victim);
        processes.add(start("steps-other"));
        for (EngineProcess process : processes) {
            process.awaitStarted();
        }
        var specs = new ArrayList<JobSpec>();
        for (int i = 0; i < JOBS; i++) {
            specs.add(JobSpec.of(EngineProcess.STEPS, Map.of("millis", STEP_TIME.toMillis()))
                    .withMaxAttempts(10));
        }
        List<Job> jobs = producer.enqueueAll(specs);

        JobsTesting.await(
                "the victim recorded steps of jobs it has not finished",
                JobsTesting.EVENTUALLY,
                () -> victimMidway(ledger()) >= 3 ? Optional.of(true) : Optional.empty());
        victim.kill();
        processes.remove(victim);
        EngineProcess fresh = start("steps-fresh");
        processes.add(fresh);
        fresh.awaitStarted();

        JobsTesting.await(
                "every job finished",
                FINISHED_WITHIN,
                () -> jobs.stream()
                                .allMatch(
                                        job -> store.get(job.id()).orElseThrow().isTerminal())
                        ? Optional.of(true)
                        : Optional.empty());
        List<Entry> ledger = ledger();

        for (Job job : jobs) {
            Job done = store.get(job.id()).orElseThrow();
            assertThat(done.state()).as("job %s", job.id()).isEqualTo(JobState.SUCCEEDED);
            assertThat(store.steps(job.id()))
                    .extracting(JobStep::name)
                    .containsExactlyElementsOf(EngineProcess.STEP_NAMES);
        }
        // A step's work may run again if its worker died before the record (an effect, then
        // another): never once it was recorded (a record, then an effect).
        var ranTwice = new ArrayList<String>();
        var recorded = new HashMap<String, Entry>();
        ledger.stream()
                .filter(e -> e.kind().equals("recorded"))
                .forEach(e -> recorded.putIfAbsent(e.jobId() + "/" + e.step(), e)); // the first record
        for (Entry e : ledger) {
            Entry record = recorded.get(e.jobId() + "/" + e.step());
            if (e.kind().equals("effect") && record != null && e.seq() > record.seq()) {
                ranTwice.add(e.jobId() + " step " + e.step() + " recorded by " + record.worker() + " under "
                        + record.lease() + ", ran again under " + e.lease() + " by " + e.worker());
            }
        }
        assertThat(ranTwice)
                .as("steps whose side effect happened again after they were recorded")
                .isEmpty();
        assertThat(victimMidwayFinishedElsewhere(ledger))
                .as("jobs the kill caught between steps, finished by another worker from their records")
                .isPositive();
    }

    /** Jobs of which the victim recorded some steps but not all. */
    private static long victimMidway(List<Entry> ledger) {
        Map<UUID, Set<String>> recorded = new HashMap<>();
        ledger.stream()
                .filter(e -> e.worker().equals("steps-victim") && e.kind().equals("recorded"))
                .forEach(e -> recorded.computeIfAbsent(e.jobId(), id -> new HashSet<>())
                        .add(e.step()));
        return recorded.values().stream()
                .filter(steps -> steps.size() < EngineProcess.STEP_NAMES.size())
                .count();
    }

    /** Jobs whose first steps the victim recorded and whose last another worker ran. */
    private static long victimMidwayFinishedElsewhere(List<Entry> ledger) {
        Set<UUID> byVictim = new HashSet<>();
        Set<UUID> lastElsewhere = new HashSet<>();
        for (Entry e : ledger) {
            if (e.kind().equals("recorded")
                    && e.worker().equals("steps-victim")
                    && e.step().equals("one")) {
                byVictim.add(e.jobId());
            }
            if (e.kind().equals("recorded")
                    && !e.worker().equals("steps-victim")
                    && e.step().equals("three")) {
                lastElsewhere.add(e.jobId());
            }
        }
        byVictim.retainAll(lastElsewhere);
        return byVictim.size();
    }

    private List<Entry> ledger() throws Exception {
        var entries = new ArrayList<Entry>();
        try (Connection c = connect();
                var statement = c.createStatement();
                var rows = statement.executeQuery(
                        "SELECT * FROM " + EngineProcess.stepLedgerTable(database.prefix()) + " ORDER BY seq")) {
            while (rows.next()) {
                entries.add(new Entry(
                        rows.getLong("seq"),
                        rows.getObject("job_id", UUID.class),
                        rows.getString("step"),
                        rows.getString("worker"),
                        rows.getObject("lease_token", UUID.class),
                        rows.getString("kind")));
            }
        }
        return entries;
    }

    private EngineProcess start(String worker) throws Exception {
        return EngineProcess.start(worker, database.connection(), database.prefix(), Optional.empty(), LOGS);
    }

    private Connection connect() throws Exception {
        List<String> c = database.connection();
        return DriverManager.getConnection(c.get(0), c.get(1), c.get(2));
    }
}
