package dev.jobs.queue.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jobs.core.DispatchDepth;
import dev.jobs.core.Job;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobEvent;
import dev.jobs.core.JobSpec;
import dev.jobs.store.jdbc.JdbcJobStore;
import dev.jobs.store.jdbc.TestDatabase;
import dev.jobs.testing.JobsTesting;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Jobs created in a host's transaction reach Redis once the host commits, and never after a
 * rollback: the engine announces them from the store's notes, written in the host's transaction.
 * The reconciler, which would also find a committed job, is set to pass only once an hour here, so
 * only the announcement can have published it.
 */
class RedisTransactionalEnqueueTest {
    /**
     * How long a committed job may take to become claimable through Redis: what the engine promises
     * (its announcer asks the store every 200 ms, then publishes at once), with five times that for a
     * busy machine.
     */
    private static final Duration CLAIMABLE_WITHIN = Duration.ofSeconds(1);

    private static final TestDatabase DATABASE = TestDatabase.postgres();

    private JdbcJobStore store;
    private JobEngine engine;
    private final List<JobEvent> events = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() {
        store = DATABASE.emptyStore(Clock.systemUTC());
        engine = JobEngine.builder()
                .store(store)
                .queue(s -> RedisJobQueue.builder()
                        .uri(TestRedis.uri())
                        .keyPrefix(TestRedis.freshPrefix())
                        .reconcileInterval(Duration.ofHours(1))
                        .build(s))
                .listener(events::add)
                .build()
                .start();
    }

    @AfterEach
    void stop() {
        engine.close();
        store.close();
        DATABASE.dropTables();
    }

    @Test
    void aCommittedJobIsClaimableThroughRedisAtOnceAndARolledBackOneNeverAppears() throws Exception {
        Job dropped;
        Job kept;
        try (Connection connection = DATABASE.connect()) {
            connection.setAutoCommit(false);
            dropped = engine.enqueueIn(
                            connection, List.of(JobSpec.of("invoice.send").withQueue("tx")))
                    .get(0);
            connection.rollback();
            kept = engine.enqueueIn(
                            connection, List.of(JobSpec.of("invoice.send").withQueue("tx")))
                    .get(0);
            connection.commit();
        }
        long committed = System.nanoTime();

        List<Job> acquired = engine.remoteWorkers()
                .acquire("tx-worker", "test", Set.of("tx"), 10, Duration.ofMinutes(1), CLAIMABLE_WITHIN);
        Duration took = Duration.ofNanos(System.nanoTime() - committed);

        assertThat(acquired)
                .as("claimed through Redis within %s of the commit (took %s)", CLAIMABLE_WITHIN, took)
                .extracting(Job::id)
                .containsExactly(kept.id());
        assertThat(events).as("the committed job's creation announced").anySatisfy(event -> {
            assertThat(event.kind()).isEqualTo(JobEvent.Kind.CREATED);
            assertThat(event.job().id()).isEqualTo(kept.id());
        });

        JobsTesting.runMaintenance(engine);
        UUID droppedId = dropped.id();
        assertThat(events)
                .as("the rolled-back job, not even as an event")
                .noneMatch(event -> event.job().id().equals(droppedId));
        assertThat(engine.dispatchDepth("tx"))
                .as("Redis holds nothing more for the queue")
                .hasValueSatisfying(depth -> assertThat(depth)
                        .extracting(DispatchDepth::ready, DispatchDepth::delayed)
                        .containsExactly(0L, 0L));
    }
}
