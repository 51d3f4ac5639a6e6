package dev.jobs.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jobs.core.Job;
import dev.jobs.core.spi.AcquireRequest;
import dev.jobs.core.spi.Completion;
import dev.jobs.testing.NewJobs;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * While a snapshot holds vacuum back, the live partition's statistics say it is nearly empty, yet
 * its lease index holds an entry for every job run since the snapshot was taken. A completion must
 * still find its rows by primary key: a plan that walks the lease index filtering on id looks cheap
 * to the planner and grows slower with every job run.
 */
class PostgresHeldBackVacuumTest {
    private static final AcquireRequest CLAIM = new AcquireRequest("w", Set.of("default"), 100, Duration.ofMinutes(1));

    private final TestDatabase database = TestDatabase.postgres();
    /**
     * Rows of a realistic size, so that the live heap outweighs its indexes as with real payloads:
     * a kilobyte that does not compress, in rows short of the size at which PostgreSQL would
     * compress them or move the payload out of line.
     */
    private static String payload() {
        var text = new StringBuilder();
        while (text.length() < 1_000) {
            text.append(UUID.randomUUID());
        }
        return "{\"text\": \"" + text + "\"}";
    }

    private final NewJobs jobs = new NewJobs(Clock.systemUTC());
    private JdbcJobStore store;

    @AfterEach
    void close() {
        if (store != null) {
            store.close();
        }
        database.dropTables();
    }

    @Test
    void completionsGoByPrimaryKeyWhileTheLeaseIndexFillsWithDeadEntries() throws Exception {
        store = database.store(Clock.systemUTC());
        try (Connection idle = database.holdingSnapshot()) {
            for (int round = 0; round < 30; round++) {
                store.create(IntStream.range(0, 100)
                        .mapToObj(i -> jobs.of("t").payload(payload()).build())
                        .toList());
                List<Completion> done = new ArrayList<>();
                for (Job job : store.acquire(CLAIM)) {
                    done.add(new Completion(job, Optional.empty()));
                }
                assertThat(store.completeAll(done)).hasSize(100);
            }
            store.create(
                    IntStream.range(0, 5).mapToObj(i -> jobs.of("t").build()).toList());
            List<UUID> running = store.acquire(CLAIM).stream().map(Job::id).toList();
            try (Connection other = database.connect();
                    Statement statement = other.createStatement()) {
                // What autovacuum's analyze would find now: five live rows and thousands dead.
                statement.execute("ANALYZE " + database.prefix() + "job_live");
            }

            String plan = String.join("\n", store.explainCompletion(running));

            assertThat(plan)
                    .as("the plan of a completion of %s running jobs:%n%s", running.size(), plan)
                    .contains(database.prefix() + "job_live_pkey")
                    .doesNotContain(database.prefix() + "job_lease");
            idle.rollback();
        }
    }
}
