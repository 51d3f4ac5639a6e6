package dev.jobs.store.jdbc;

import static dev.jobs.testing.JobAssert.assertThat;
import static dev.jobs.testing.JobsTesting.EVENTUALLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jobs.core.Job;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobSpec;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A job enqueued in the host's own transaction exists only if that transaction commits. */
abstract class TransactionalEnqueueTest {
    private static final Duration WAIT = EVENTUALLY;

    private final TestDatabase database = database();
    private JdbcJobStore store;
    private JobEngine engine;

    abstract TestDatabase database();

    @BeforeEach
    void start() {
        store = database.emptyStore(Clock.systemUTC());
        engine = JobEngine.builder()
                .store(store)
                .pollInterval(Duration.ofMillis(50))
                .maxPollInterval(Duration.ofMillis(200))
                .register("invoice.send", ctx -> "sent")
                .build()
                .start();
    }

    @AfterEach
    void stop() {
        engine.close();
        store.close();
        database.dropTables();
    }

    @Test
    void jobOnTheHostsConnectionExistsOnlyOnceTheHostCommits() throws Exception {
        try (Connection connection = database.connect()) {
            connection.setAutoCommit(false);

            Job kept = store.enqueueIn(connection, engine, List.of(JobSpec.of("invoice.send")))
                    .get(0);
            assertThat(store.get(kept.id()))
                    .as("invisible before the host commits")
                    .isEmpty();
            connection.commit();
            assertThat(engine.await(kept.id(), WAIT)).isSucceeded();

            Job dropped = store.enqueueIn(connection, engine, List.of(JobSpec.of("invoice.send")))
                    .get(0);
            connection.rollback();
            assertThat(store.get(dropped.id())).as("gone with the rollback").isEmpty();
            assertThat(connection.isClosed())
                    .as("the host's connection stays open")
                    .isFalse();
        }
    }

    @Test
    void jobInTheHostsJdbiTransactionFollowsItsOutcome() {
        var host = database.hostJdbi();
        Job kept = host.inTransaction(handle -> store.enqueueIn(handle, engine, List.of(JobSpec.of("invoice.send")))
                .get(0));
        assertThat(engine.await(kept.id(), WAIT)).isSucceeded();

        var dropped = new Job[1];
        try {
            host.useTransaction(handle -> {
                dropped[0] = store.enqueueIn(handle, engine, List.of(JobSpec.of("invoice.send")))
                        .get(0);
                throw new IllegalStateException("the host's own work failed");
            });
        } catch (IllegalStateException expected) {
            // the host's transaction rolled back
        }
        assertThat(store.get(dropped[0].id())).isEmpty();
    }
}
