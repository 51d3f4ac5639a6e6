package dev.jobs.store.jdbc;

import static dev.jobs.testing.JobsTesting.BULK_WORK;
import static dev.jobs.testing.JobsTesting.EVENTUALLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jobs.core.JobEngine;
import dev.jobs.core.JobEngineBuilder;
import dev.jobs.core.JobState;
import dev.jobs.core.RetryPolicy;
import dev.jobs.core.StoreUnavailableException;
import dev.jobs.testing.Audit;
import dev.jobs.testing.Deadline;
import dev.jobs.testing.ReliabilityFigures;
import dev.jobs.testing.Workload;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The database server is restarted while an engine is draining jobs: the engine logs, backs off
 * and resumes, and every job still ends right, none lost, none succeeded twice, none run twice at
 * once. Each subclass names its server and the command that restarts it, which an environment
 * variable may replace.
 */
@Tag("reliability")
abstract class DatabaseRestartTest {
    /** How long a worker waits after an acquire failed before it asks again (WorkerPool's back-off). */
    private static final Duration ACQUIRE_ERROR_BACKOFF = Duration.ofSeconds(1);

    private static final Duration RETRY_BACKOFF = Duration.ofMillis(10);
    private static final Duration POLL_INTERVAL = Duration.ofMillis(50);

    private final TestDatabase database = database();
    private JobEngine engine;
    private JdbcJobStore store;

    abstract TestDatabase database();

    /** The server's name in the figures, and the scenario's id. */
    abstract String server();

    /** The environment variable that replaces {@link #defaultRestart()}. */
    abstract String restartVariable();

    /** The shell command that restarts the local server and returns once it is starting again. */
    abstract String defaultRestart();

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
        var workload = new Workload(20261124L, 4_000, 200)
                .withMaxAttempts(10)
                .withRetryBackoff(RETRY_BACKOFF)
                .allowingLostClaims();
        store = database.emptyStore(Clock.systemUTC());
        JobEngineBuilder builder = JobEngine.builder()
                .store(store)
                .queue("default", 8)
                // Short leases, so claims whose answer the restart swallowed come back quickly.
                .leaseDuration(Duration.ofSeconds(5))
                .reclaimInterval(Duration.ofMillis(500))
                .retryPolicy(RetryPolicy.fixed(RETRY_BACKOFF))
                .pollInterval(POLL_INTERVAL);
        engine = workload.registerHandlers(builder).build().start();
        workload.enqueue(engine);
        awaitExecutions(workload, 500);

        long restartAt = System.nanoTime();
        String command = restart();
        awaitStoreBack();
        long backAt = System.nanoTime();
        // While the server is down nothing starts; once it answers, the pool reconnects and the
        // workers claim again after their back-off from the failed acquire.
        Duration outage = Duration.ofNanos(backAt - restartAt);
        workload.withReadyDeadline(Deadline.of("the server's outage, as measured", outage)
                .plus("a worker's back-off after a failed acquire", ACQUIRE_ERROR_BACKOFF)
                .plus("claim floor's lifetime (PostgreSQL)", JdbcJobStore.CLAIM_FLOOR_MAX_LIFETIME)
                .plus("poll interval", POLL_INTERVAL));
        awaitMoreFinishedThan(finished());
        Duration recovered = Duration.ofNanos(System.nanoTime() - restartAt);
        workload.awaitFinished(engine, BULK_WORK);

        Audit audit = workload.audit(store::get);
        ReliabilityFigures.scenario(server().toLowerCase() + "-restarted", server() + " restarted")
                .reproduce("./mvnw verify -pl jobs-store-jdbc -am -Dtest="
                        + getClass().getSimpleName() + " -Dsurefire.failIfNoSpecifiedTests=false")
                .faults(1, "restart of the " + server() + " server while an engine drained jobs")
                .figure("restart command", "`" + command + "`")
                .audit(audit)
                .recovered(recovered)
                .figure("time from the restart until the store answered again", Duration.ofNanos(backAt - restartAt))
                .figure("time from the restart until jobs finished again", recovered)
                .write();
        assertThat(audit.problems())
                .as("jobs that ended wrong (seed " + workload.seed() + ")")
                .isEmpty();
        assertThat(audit.isClean()).isTrue();
    }

    /** Waits until the handlers have run {@code count} times. */
    private static void awaitExecutions(Workload workload, int count) {
        long deadline = System.nanoTime() + BULK_WORK.toNanos();
        while (workload.ledger().size() < count) {
            assertThat(System.nanoTime()).as("%d executions started", count).isLessThan(deadline);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    private long finished() {
        return store.counts().stream()
                .mapToLong(c -> c.count(JobState.SUCCEEDED) + c.count(JobState.FAILED) + c.count(JobState.CANCELLED))
                .sum();
    }

    private void awaitMoreFinishedThan(long count) {
        long deadline = System.nanoTime() + EVENTUALLY.toNanos(); // the store answers again already
        while (finished() <= count) {
            assertThat(System.nanoTime()).as("jobs finish again").isLessThan(deadline);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    private String restart() throws IOException, InterruptedException {
        String command = Optional.ofNullable(System.getenv(restartVariable()))
                .filter(c -> !c.isBlank())
                .orElse(defaultRestart());
        Process restart = new ProcessBuilder("bash", "-c", command).inheritIO().start();
        // A restart takes the server a few seconds; BULK_WORK covers a slow shutdown's checkpoint.
        assertThat(restart.waitFor(BULK_WORK.toSeconds(), TimeUnit.SECONDS))
                .as("restart finished")
                .isTrue();
        assertThat(restart.exitValue()).as("exit status of: " + command).isZero();
        return command;
    }

    /** The pool's old connections die with the server; wait until a fresh one answers. */
    private void awaitStoreBack() {
        long deadline = System.nanoTime() + EVENTUALLY.toNanos(); // the server is up: the pool reconnects
        while (true) {
            try {
                store.counts();
                return;
            } catch (StoreUnavailableException e) {
                assertThat(System.nanoTime())
                        .as("store reachable again: " + e.getMessage())
                        .isLessThan(deadline);
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
            }
        }
    }
}
