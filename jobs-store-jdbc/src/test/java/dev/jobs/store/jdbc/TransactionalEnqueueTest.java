package dev.jobs.store.jdbc;

import static dev.jobs.testing.JobAssert.assertThat;
import static dev.jobs.testing.JobsTesting.EVENTUALLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jobs.core.Job;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobEvent;
import dev.jobs.core.JobSpec;
import dev.jobs.core.JobState;
import dev.jobs.core.spi.AcquireRequest;
import dev.jobs.core.spi.Completion;
import dev.jobs.core.spi.CompletionResult;
import dev.jobs.testing.JobsTesting;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
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

    /** A query counting the sessions of the database that wait for a lock another holds. */
    abstract String sessionsWaitingForALock();

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
    void theEngineCreatesInTheHostsTransactionAsTheStoreDoes() throws Exception {
        try (Connection connection = database.connect()) {
            connection.setAutoCommit(false);
            Job kept = engine.enqueueIn(connection, List.of(JobSpec.of("invoice.send")))
                    .get(0);
            assertThat(store.get(kept.id()))
                    .as("invisible before the host commits")
                    .isEmpty();
            connection.commit();
            assertThat(engine.await(kept.id(), WAIT)).isSucceeded();

            Job dropped = engine.enqueueIn(connection, List.of(JobSpec.of("invoice.send")))
                    .get(0);
            connection.rollback();
            assertThat(store.get(dropped.id())).as("gone with the rollback").isEmpty();
        }
    }

    /**
     * A job's creation is announced (its event, its metrics, dispatch) once the host commits, and a
     * rolled-back job never is: the store notes each job in the host's transaction, and an engine
     * takes the note once committed.
     */
    @Test
    void aCommittedJobIsAnnouncedOnceAndARolledBackOneNever() throws Exception {
        var created = new CopyOnWriteArrayList<UUID>();
        try (var subscription = engine.subscribe(event -> {
                    if (event.kind() == JobEvent.Kind.CREATED) {
                        created.add(event.job().id());
                    }
                });
                Connection connection = database.connect()) {
            connection.setAutoCommit(false);
            Job dropped = engine.enqueueIn(
                            connection, List.of(JobSpec.of("manual").withQueue("manual")))
                    .get(0);
            connection.rollback();
            Job kept = engine.enqueueIn(connection, List.of(JobSpec.of("manual").withQueue("manual")))
                    .get(0);
            assertThat(created).as("not announced before the host commits").doesNotContain(kept.id());
            connection.commit();

            JobsTesting.await(
                    "the committed job's creation announced",
                    WAIT,
                    () -> created.contains(kept.id()) ? Optional.of(true) : Optional.empty());
            JobsTesting.runMaintenance(engine);
            assertThat(created)
                    .as("announced once; the rolled-back job, which left no note, never")
                    .containsOnlyOnce(kept.id())
                    .doesNotContain(dropped.id());
            try (var rs = connection
                    .createStatement()
                    .executeQuery("SELECT count(*) FROM " + database.prefix() + "unannounced")) {
                rs.next();
                assertThat(rs.getInt(1)).as("notes left behind").isZero();
            }
            connection.commit();
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

    /**
     * A dependent enqueued in the host's transaction locks its parent; the parent's completion,
     * started meanwhile, waits for that lock, and once the host commits it must see the new
     * dependent and make it ready. It read whether the parent had dependents from its statement's
     * snapshot, taken before the wait, and the dependent waited for ever.
     */
    @Test
    void aDependentAddedWhileItsParentCompletesIsMadeReady() throws Exception {
        Job parent = engine.enqueue(JobSpec.of("manual").withQueue("manual"));
        Job running = store.acquire(new AcquireRequest("test-worker", Set.of("manual"), 1, Duration.ofMinutes(1)))
                .get(0);
        assertThat(running.id()).isEqualTo(parent.id());
        try (Connection host = database.connect();
                Connection watcher = database.connect()) {
            host.setAutoCommit(false);
            Job child = store.enqueueIn(
                            host,
                            engine,
                            List.of(JobSpec.of("manual").withQueue("manual").withDependsOn(parent.id())))
                    .get(0);
            var completing = new CompletableFuture<List<CompletionResult>>();
            Thread.ofPlatform().start(() -> {
                try {
                    completing.complete(store.completeAll(List.of(new Completion(running, Optional.empty()))));
                } catch (RuntimeException e) {
                    completing.completeExceptionally(e);
                }
            });
            JobsTesting.await("the completion waits for the parent's lock the host holds", WAIT, () -> {
                if (completing.isDone()) {
                    return Optional.of(true);
                }
                try (var rs = watcher.createStatement().executeQuery(sessionsWaitingForALock())) {
                    rs.next();
                    return rs.getInt(1) > 0 ? Optional.of(true) : Optional.empty();
                }
            });
            assertThat(completing)
                    .as(
                            "the completion waits for the parent's lock (done: %s)",
                            completing.isDone() ? completing.join() : "")
                    .isNotDone();
            host.commit();

            assertThat(completing.get(WAIT.toSeconds(), TimeUnit.SECONDS).get(0).transition())
                    .as("the parent's completion recorded")
                    .isPresent();
            assertThat(store.get(child.id()).orElseThrow().state())
                    .as("the dependent, whose only dependency succeeded")
                    .isEqualTo(JobState.READY);
        }
    }
}
