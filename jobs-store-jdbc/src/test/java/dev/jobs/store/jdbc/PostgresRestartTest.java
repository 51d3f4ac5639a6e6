package dev.jobs.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jobs.core.JobEngine;
import dev.jobs.core.RetryPolicy;
import dev.jobs.core.StoreUnavailableException;
import dev.jobs.testing.Workload;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The PostgreSQL server is restarted while an engine is draining jobs: the engine logs, backs off
 * and resumes, and every job still ends right, none run twice at once. The restart command is
 * {@code JOBS_TEST_POSTGRES_RESTART}, by default the local cluster's {@code pg_ctlcluster restart}.
 */
class PostgresRestartTest {
    private static final String DEFAULT_RESTART =
            "pg_ctlcluster --skip-systemctl-redirect \"$(ls /etc/postgresql | head -n 1)\" main restart";

    private final TestDatabase database = TestDatabase.postgres();
    private JobEngine engine;
    private JdbcJobStore store;

    @AfterEach
    void stop() {
        if (engine != null) {
            engine.close();
        }
        if (store != null) {
            store.close();
        }
        database.dropTables();
    }

    @Test
    void jobsRunningWhileTheServerRestartsAllFinishRight() throws Exception {
        var workload = new Workload(20261124L, 4_000, 200).withMaxAttempts(10).allowingLostClaims();
        store = database.emptyStore(Clock.systemUTC());
        JobEngine.Builder builder = JobEngine.builder()
                .store(store)
                .queue("default", 8)
                // Short leases, so claims whose answer the restart swallowed come back quickly.
                .leaseDuration(Duration.ofSeconds(5))
                .reclaimInterval(Duration.ofMillis(500))
                .retryPolicy(RetryPolicy.fixed(Duration.ofMillis(10)))
                .pollInterval(Duration.ofMillis(50));
        engine = workload.registerHandlers(builder).build().start();
        workload.enqueue(engine);
        awaitExecutions(workload, 500);

        restartServer();
        awaitStoreBack();
        workload.awaitFinished(engine, Duration.ofMinutes(5));

        assertThat(workload.verify(id -> store.get(id).orElseThrow(), 10))
                .as("jobs that ended wrong (seed " + workload.seed() + ")")
                .isEmpty();
    }

    /** Waits until the handlers have run {@code count} times, so the restart hits a busy engine. */
    private static void awaitExecutions(Workload workload, int count) {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (workload.ledger().size() < count) {
            assertThat(System.nanoTime()).as("%d executions started", count).isLessThan(deadline);
            Thread.onSpinWait();
        }
    }

    private static void restartServer() throws IOException, InterruptedException {
        String command = Optional.ofNullable(System.getenv("JOBS_TEST_POSTGRES_RESTART"))
                .filter(c -> !c.isBlank())
                .orElse(DEFAULT_RESTART);
        Process restart = new ProcessBuilder("bash", "-c", command).inheritIO().start();
        assertThat(restart.waitFor(2, TimeUnit.MINUTES)).as("restart finished").isTrue();
        assertThat(restart.exitValue()).as("exit status of: " + command).isZero();
    }

    /** The pool's old connections die with the server; wait until a fresh one answers. */
    private void awaitStoreBack() {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (true) {
            try {
                store.counts();
                return;
            } catch (StoreUnavailableException e) {
                assertThat(System.nanoTime())
                        .as("store reachable again: " + e.getMessage())
                        .isLessThan(deadline);
            }
        }
    }
}
