package dev.jobs.store.jdbc;

import static dev.jobs.testing.JobsTesting.EVENTUALLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jobs.core.Job;
import dev.jobs.core.spi.AcquireRequest;
import dev.jobs.core.spi.StoreHealth;
import dev.jobs.testing.NewJobs;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The store reports its tables' sizes and dead rows as PostgreSQL counts them, and names the
 * session whose snapshot holds vacuum back.
 */
class PostgresStoreHealthTest {
    private final TestDatabase database = TestDatabase.postgres();
    private JdbcJobStore store;

    @AfterEach
    void close() {
        if (store != null) {
            store.close();
        }
        database.dropTables();
    }

    @Test
    void reportsTheLiveAndHistoryTablesWithTheDeadRowsFinishedJobsLeaveBehind() throws Exception {
        store = database.store(Clock.systemUTC());
        var jobs = new NewJobs(Clock.systemUTC());
        for (int i = 0; i < 50; i++) {
            store.create(List.of(jobs.of("t").build()));
        }
        for (Job job : store.acquire(new AcquireRequest("w", Set.of("default"), 50, Duration.ofMinutes(1)))) {
            store.complete(job.id(), job.leaseToken().orElseThrow(), Optional.empty());
        }

        // The statistics reach the views a moment after each transaction: wait for them.
        StoreHealth health = awaitHealth(
                h -> tables(h).get(database.prefix() + "job_history").liveRows() == 50);

        Map<String, StoreHealth.Table> tables = tables(health);
        assertThat(tables).containsKeys(database.prefix() + "job_live", database.prefix() + "dependency");
        StoreHealth.Table live = tables.get(database.prefix() + "job_live");
        assertThat(live.liveRows())
                .as("every job finished and left the live table")
                .isZero();
        assertThat(live.deadRows())
                .as("each job left its claimed and moved-out versions behind until vacuum runs")
                .isGreaterThanOrEqualTo(50);
        assertThat(live.bytes()).isPositive();
        assertThat(health.vacuumHeldBack()).isEmpty();
    }

    @Test
    void namesTheIdleTransactionThatHoldsVacuumBackAndStopsOnceItEnds() throws Exception {
        store = database.builder().vacuumHeldBackAfter(Duration.ofMillis(500)).build();
        int pid;
        try (Connection idle = database.holdingSnapshot()) {
            try (Statement statement = idle.createStatement();
                    ResultSet rs = statement.executeQuery("SELECT pg_backend_pid()")) {
                rs.next();
                pid = rs.getInt(1);
            }
            // Left idle in its transaction, as a forgotten BEGIN would be.
            StoreHealth health = awaitHealth(h ->
                    h.vacuumHeldBack().filter(m -> m.contains("pid " + pid)).isPresent());

            assertThat(health.vacuumHeldBack().orElseThrow())
                    .contains("pid " + pid + " (idle in transaction")
                    .contains("pg_terminate_backend(" + pid + ")");
            assertThat(health.oldestSnapshotAge()).isGreaterThanOrEqualTo(Duration.ofMillis(500));
            idle.rollback();
        }

        assertThat(store.health().orElseThrow().vacuumHeldBack().filter(m -> m.contains("pid " + pid)))
                .as("the transaction ended: it holds nothing back")
                .isEmpty();
    }

    private StoreHealth awaitHealth(Predicate<StoreHealth> condition) throws InterruptedException {
        long deadline = System.nanoTime() + EVENTUALLY.toNanos(); // the statistics show it at once
        StoreHealth health = store.health().orElseThrow();
        while (!condition.test(health) && System.nanoTime() < deadline) {
            Thread.sleep(100);
            health = store.health().orElseThrow();
        }
        assertThat(condition)
                .as("health never showed what was expected: %s", health)
                .accepts(health);
        return health;
    }

    private static Map<String, StoreHealth.Table> tables(StoreHealth health) {
        return health.tables().stream().collect(Collectors.toMap(StoreHealth.Table::name, Function.identity()));
    }
}
