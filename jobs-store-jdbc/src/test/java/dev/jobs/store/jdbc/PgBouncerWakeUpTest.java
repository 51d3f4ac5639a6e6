package dev.jobs.store.jdbc;

import static dev.jobs.testing.JobAssert.assertThat;
import static dev.jobs.testing.JobsTesting.EVENTUALLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jobs.core.Job;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobSpec;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Behind PgBouncer in transaction mode, idle workers wake on notifications heard on the direct
 * connection the store was given ({@link PostgresWakeUpTest}'s test, run through the pooler); a
 * store given none does not LISTEN through the pooler, and its workers find new jobs by polling.
 */
class PgBouncerWakeUpTest extends PostgresWakeUpTest {
    @Override
    TestDatabase database() {
        return TestDatabase.postgres().behindPgBouncer(true);
    }

    @Test
    void withoutADirectConnectionTheStoreDoesNotListenAndWorkersPoll() {
        TestDatabase pooledOnly = TestDatabase.postgres().behindPgBouncer(false);
        try {
            workerStore = pooledOnly.store(Clock.systemUTC());
            assertThat(workerStore.subscribe(queue -> {}))
                    .as("a LISTEN through a transaction pooler would be lost with its transaction")
                    .isFalse();
            worker = JobEngine.builder()
                    .store(workerStore)
                    .pollInterval(Duration.ofMillis(50))
                    .maxPollInterval(Duration.ofMillis(200))
                    .register("greet", ctx -> "hello")
                    .build()
                    .start();

            Job job = worker.enqueue(JobSpec.of("greet"));

            assertThat(worker.await(job.id(), EVENTUALLY)).isSucceeded();
        } finally {
            worker.close();
            worker = null;
            workerStore.close();
            workerStore = null;
            pooledOnly.dropTables();
        }
    }
}
