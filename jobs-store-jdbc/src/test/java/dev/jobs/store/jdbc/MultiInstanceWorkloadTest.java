package dev.jobs.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jobs.core.JobEngine;
import dev.jobs.core.RetryPolicy;
import dev.jobs.testing.Workload;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Three engines, each with its own store and connection pool, share one database and drain
 * 20,000 jobs with retries and DAGs between them. The store's rows and the handlers' ledger must
 * show every job in the right state, each success recorded once, and no job run by two workers at
 * once.
 */
abstract class MultiInstanceWorkloadTest {
    private static final int ENGINES = 3;

    private final TestDatabase database = database();
    private final List<JobEngine> engines = new ArrayList<>();
    private final List<JdbcJobStore> stores = new ArrayList<>();

    abstract TestDatabase database();

    @AfterEach
    void stopEngines() {
        engines.forEach(JobEngine::close);
        stores.forEach(JdbcJobStore::close);
        database.dropTables();
    }

    @Test
    void threeEnginesShareTheWorkAndEveryJobEndsRightExactlyOnce() {
        var workload = new Workload(20261123L, 20_000, 1_000);
        for (int i = 0; i < ENGINES; i++) {
            JdbcJobStore store = i == 0 ? database.emptyStore(Clock.systemUTC()) : database.store(Clock.systemUTC());
            stores.add(store);
            JobEngine.Builder builder = JobEngine.builder()
                    .store(store)
                    .workerId("engine-" + i)
                    .queue("default", 8)
                    .retryPolicy(RetryPolicy.fixed(Duration.ofMillis(10)))
                    .pollInterval(Duration.ofMillis(50));
            engines.add(
                    workload.registerHandlers(builder, "engine-" + i).build().start());
        }

        workload.enqueue(engines.get(0));
        workload.awaitFinished(engines.get(0), Duration.ofMinutes(10));

        JdbcJobStore reader = stores.get(0);
        assertThat(workload.verify(id -> reader.get(id).orElseThrow(), 10))
                .as("jobs that ended wrong (seed " + workload.seed() + ")")
                .isEmpty();
        assertThat(workload.ledger().stream().map(Workload.Execution::worker).distinct())
                .as("every engine took part")
                .hasSize(ENGINES);
    }
}
