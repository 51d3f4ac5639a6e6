package dev.jobs.store.jdbc;

import static dev.jobs.testing.JobsTesting.BULK_WORK;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jobs.core.Job;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobSpec;
import dev.jobs.core.JobState;
import dev.jobs.core.WorkerIdTakenException;
import dev.jobs.core.WorkerInfo;
import dev.jobs.core.spi.AcquireRequest;
import dev.jobs.core.spi.Completion;
import dev.jobs.core.spi.support.JobTransitions;
import dev.jobs.testing.NewJobs;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The schema is created and upgraded on start, once, however many instances start together. */
abstract class SchemaMigrationTest {
    final TestDatabase database = database();
    private final List<JdbcJobStore> stores = new ArrayList<>();

    abstract TestDatabase database();

    @AfterEach
    void dropSchema() {
        stores.forEach(JdbcJobStore::close);
        database.dropTables();
    }

    @Test
    void aClaimWalksTheClaimIndexInOrderRatherThanSortingTheBacklog() throws Exception {
        JdbcJobStore store = database.store(Clock.systemUTC());
        stores.add(store);
        JobEngine engine = JobEngine.builder().store(store).build();
        var specs = new ArrayList<JobSpec>();
        for (int i = 0; i < 2_000; i++) {
            specs.add(JobSpec.of("t").withPriority(i % 3 * 10).withQueue(i % 2 == 0 ? "a" : "b"));
        }
        engine.enqueueAll(specs);
        database.analyze();

        String plan = String.join("\n", store.explainClaim("a", 10)).toLowerCase(Locale.ROOT);

        assertThat(plan).as(plan).contains((database.prefix() + "job_claim").toLowerCase(Locale.ROOT));
        boolean h2 = plan.contains("/* public.");
        assertThat(plan)
                .as("no sort of the backlog: %s", plan)
                .doesNotContain("filesort")
                .doesNotContainPattern("\\bsort\\b");
        if (h2) {
            assertThat(plan)
                    .as("H2 says when an index gives the order: %s", plan)
                    .contains("index sorted");
        }
    }

    /**
     * On tables no one has analysed, as every new database's are: a claim walks the claim index and
     * counting the jobs reads the live ones through an index (or, on PostgreSQL, the live partition),
     * not the history beside them.
     */
    @Test
    void onTablesNeverAnalysedClaimsAndCountsLeaveTheHistoryOut() throws Exception {
        JdbcJobStore store = database.store(Clock.systemUTC());
        stores.add(store);
        var jobs = new NewJobs(Clock.systemUTC());
        for (int round = 0; round < 10; round++) {
            store.create(
                    IntStream.range(0, 500).mapToObj(i -> jobs.of("t").build()).toList());
            store.completeAll(
                    store.acquire(new AcquireRequest("w", Set.of("default"), 500, Duration.ofMinutes(1))).stream()
                            .map(job -> new Completion(job, Optional.empty()))
                            .toList());
        }
        store.create(IntStream.range(0, 200).mapToObj(i -> jobs.of("t").build()).toList());

        String claim = String.join("\n", store.explainClaim("default", 10)).toLowerCase(Locale.ROOT);
        String counts = String.join("\n", store.explainLiveCounts()).toLowerCase(Locale.ROOT);

        String prefix = database.prefix().toLowerCase(Locale.ROOT);
        assertThat(claim).as(claim).contains(prefix + "job_claim");
        if (counts.contains("/* public.")) { // H2
            assertThat(counts).as(counts).doesNotContain("tablescan");
        } else if (counts.contains(prefix + "job_live")) { // PostgreSQL
            assertThat(counts).as(counts).doesNotContain(prefix + "job_history");
        } else { // MariaDB: a range of a state-led index, never the whole table
            assertThat(counts).as(counts).contains(" range ").doesNotContain(" all ");
        }
        assertThat(store.counts())
                .singleElement()
                .satisfies(queue -> assertThat(queue.count(JobState.SUCCEEDED)).isEqualTo(5_000))
                .satisfies(queue -> assertThat(queue.count(JobState.READY)).isEqualTo(200));
    }

    @Test
    void tenInstancesStartingAtOnceApplyEachMigrationOnce() throws Exception {
        int instances = 10;
        var start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(instances);
        try {
            var starting = new ArrayList<Future<JdbcJobStore>>();
            for (int i = 0; i < instances; i++) {
                starting.add(pool.submit(() -> {
                    start.await();
                    // Small pools: ten stores must fit in a default server's 100 connections.
                    return database.store(Clock.systemUTC(), 2);
                }));
            }
            start.countDown();
            for (Future<JdbcJobStore> store : starting) {
                stores.add(store.get(BULK_WORK.toSeconds(), TimeUnit.SECONDS)); // ten racing migrations
            }
        } finally {
            pool.shutdownNow();
        }

        List<Integer> applied = database.hostJdbi()
                .withHandle(h -> h.createQuery("SELECT version FROM " + database.prefix() + "schema_version")
                        .mapTo(Integer.class)
                        .list());
        // Each migration once: versions 1 to N, no repeats.
        assertThat(applied)
                .containsExactlyInAnyOrderElementsOf(IntStream.rangeClosed(1, SchemaMigrator.MIGRATIONS.size())
                        .boxed()
                        .toList());
        var jobs = new NewJobs(Clock.systemUTC());
        for (JdbcJobStore store : stores) {
            store.create(List.of(jobs.of("t").build()));
        }
        assertThat(stores.get(0).counts())
                .singleElement()
                .satisfies(c -> assertThat(c.count(JobState.READY)).isEqualTo(instances));
    }

    @Test
    void upgradeToTheLatestSchemaKeepsEveryJobInItsState() throws Exception {
        Jdbi jdbi = database.hostJdbi();
        SqlDialect dialect =
                jdbi.withHandle(h -> SqlDialect.detect(h.getConnection().getMetaData()));
        int beforeHistorySplit = SchemaMigrator.MIGRATIONS.indexOf("V7__live_apart_from_history.sql");
        new SchemaMigrator(jdbi, dialect, database.prefix(), SchemaMigrator.MIGRATIONS.subList(0, beforeHistorySplit))
                .migrate();
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        var jobs = new NewJobs(Clock.systemUTC());
        Job waiting = JobTransitions.created(jobs.of("t").runAt(now).build(), List.of(), now);
        Job running = JobTransitions.acquired(
                JobTransitions.created(jobs.of("t").runAt(now).build(), List.of(), now),
                "w",
                UUID.randomUUID(),
                Duration.ofMinutes(1),
                now);
        Job succeeded = JobTransitions.succeeded(
                JobTransitions.acquired(
                        JobTransitions.created(jobs.of("t").runAt(now).build(), List.of(), now),
                        "w",
                        UUID.randomUUID(),
                        Duration.ofMinutes(1),
                        now),
                Optional.empty(),
                now);
        for (Job job : List.of(succeeded, running, waiting)) {
            insertAsAnOlderReleaseDid(jdbi, dialect, job);
        }

        JdbcJobStore store = database.store(Clock.systemUTC());
        stores.add(store);

        assertThat(store.get(succeeded.id()).orElseThrow().state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(store.get(running.id()).orElseThrow().state()).isEqualTo(JobState.RUNNING);
        assertThat(store.get(waiting.id()).orElseThrow().state()).isEqualTo(JobState.READY);
        assertThat(store.counts())
                .as("the finished totals start from the history the upgrade found")
                .singleElement()
                .satisfies(queue -> {
                    assertThat(queue.count(JobState.SUCCEEDED)).isEqualTo(1);
                    assertThat(queue.count(JobState.RUNNING)).isEqualTo(1);
                    assertThat(queue.count(JobState.READY)).isEqualTo(1);
                });
        if (dialect instanceof PostgresDialect) {
            List<String> placed = jdbi.withHandle(h -> h.createQuery(
                            "SELECT tableoid::regclass::text || ' ' || state FROM " + database.prefix() + "job")
                    .mapTo(String.class)
                    .list());
            assertThat(placed)
                    .as("live jobs in the live partition, finished ones in the history")
                    .containsExactlyInAnyOrder(
                            database.prefix() + "job_history SUCCEEDED",
                            database.prefix() + "job_live RUNNING",
                            database.prefix() + "job_live READY");
        }
    }

    /**
     * Writes a job the way a release of the older schema did: only the columns that schema has, so
     * that a column added since (such as the concurrency key) is left to its migration.
     */
    private void insertAsAnOlderReleaseDid(Jdbi jdbi, SqlDialect dialect, Job job) throws SQLException {
        var rows = new JobRows(new ObjectMapper(), dialect);
        String table = database.prefix() + "job";
        jdbi.useHandle(h -> {
            var existing = new HashSet<String>();
            try (var statement = h.getConnection().createStatement();
                    var result = statement.executeQuery("SELECT * FROM " + table + " WHERE 1 = 0")) {
                for (int i = 1; i <= result.getMetaData().getColumnCount(); i++) {
                    existing.add(result.getMetaData().getColumnName(i).toLowerCase(Locale.ROOT));
                }
            }
            List<JobRows.Column> columns = JobRows.JOB_COLUMNS.stream()
                    .filter(column -> existing.contains(column.name()))
                    .toList();
            var insert = h.createUpdate("INSERT INTO " + table + " ("
                    + columns.stream().map(JobRows.Column::name).collect(Collectors.joining(", "))
                    + ", pending_dependencies) VALUES ("
                    + columns.stream().map(c -> ":" + c.name()).collect(Collectors.joining(", "))
                    + ", 0)");
            for (JobRows.Column column : columns) {
                rows.bind(insert, column, rows.value(job, column));
            }
            insert.execute();
        });
    }

    @Test
    void upgradeFromTheFirstReleaseKeepsTheWorkersRegisteredUnderIt() throws Exception {
        Jdbi jdbi = database.hostJdbi();
        SqlDialect dialect =
                jdbi.withHandle(h -> SqlDialect.detect(h.getConnection().getMetaData()));
        new SchemaMigrator(jdbi, dialect, database.prefix(), List.of(SchemaMigrator.MIGRATIONS.get(0))).migrate();
        LocalDateTime seen = LocalDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MILLIS);
        jdbi.useHandle(h -> h.createUpdate("INSERT INTO " + database.prefix() + "worker"
                        + " (id, host, queues, concurrency, running, started_at, last_heartbeat_at)"
                        + " VALUES ('old-worker', 'old-host', 'default', 4, 0, :seen, :seen)")
                .bind("seen", seen)
                .execute());

        JdbcJobStore store = database.store(Clock.systemUTC());
        stores.add(store);

        Instant seenAt = seen.toInstant(ZoneOffset.UTC);
        assertThat(store.workers()).singleElement().satisfies(worker -> {
            assertThat(worker.id()).isEqualTo("old-worker");
            assertThat(worker.expiresAt()).isEqualTo(seenAt);
            assertThat(worker.diedAt()).isEmpty();
        });
        assertThat(store.reapDeadWorkers(job -> Optional.empty()))
                .extracting(dead -> dead.worker().id())
                .containsExactly("old-worker");
        assertThat(store.workers())
                .singleElement()
                .extracting(WorkerInfo::alive)
                .isEqualTo(false);

        // Registered before owners were kept: the first to report again takes it, and holds it.
        assertThat(store.workers())
                .singleElement()
                .extracting(WorkerInfo::owner)
                .isEqualTo("");
        Instant now = Instant.now();
        store.registerWorker(new WorkerInfo(
                "old-worker", "token:first", "old-host", Set.of("default"), 4, 0, now, now, now.plusSeconds(60)));
        assertThatThrownBy(() -> store.registerWorker(new WorkerInfo(
                        "old-worker", "token:second", "h", Set.of("default"), 4, 0, now, now, now.plusSeconds(60))))
                .isInstanceOf(WorkerIdTakenException.class);
        assertThat(store.workers()).singleElement().satisfies(worker -> {
            assertThat(worker.owner()).isEqualTo("token:first");
            assertThat(worker.alive()).isTrue();
        });
    }
}
