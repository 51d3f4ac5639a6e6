package dev.jobs.store.jdbc;

import static dev.jobs.testing.JobsTesting.BULK_WORK;
import static dev.jobs.testing.JobsTesting.EVENTUALLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jobs.core.Attempt;
import dev.jobs.core.Job;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobEngineBuilder;
import dev.jobs.core.RetryPolicy;
import dev.jobs.testing.Audit;
import dev.jobs.testing.Deadline;
import dev.jobs.testing.JobsTesting;
import dev.jobs.testing.ReliabilityFigures;
import dev.jobs.testing.Workload;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * One of two engines on PostgreSQL is shut down while it is running all the jobs it can hold. The
 * jobs that finish within its shutdown timeout are recorded; the rest have their leases given back
 * before {@code close()} returns, so the other engine runs them at once instead of a lease length
 * (here a minute) later. The audit must find nothing lost or succeeded twice.
 */
@Tag("reliability")
class PostgresGracefulShutdownTest {
    private static final Duration LEASE = Duration.ofMinutes(1);
    private static final Duration SHUTDOWN_TIMEOUT = Duration.ofMillis(150);
    private static final String STOPPING = "stopping";

    private static final Duration RETRY_BACKOFF = Duration.ofMillis(10);
    private static final Duration POLL_INTERVAL = Duration.ofMillis(50);

    /**
     * How long a ready job may wait beyond its turn: the leases given back put their jobs at the
     * front again, for the other engine to claim within its poll interval, or once its claim floor
     * lapses if its claims were slow enough to start past the front.
     */
    private static final Deadline READY_DEADLINE = Deadline.of("the other engine's poll interval", POLL_INTERVAL)
            .plus("the other engine's claim floor's lifetime", JdbcJobStore.CLAIM_FLOOR_MAX_LIFETIME);

    private final TestDatabase database = TestDatabase.postgres();
    private final List<JobEngine> engines = new ArrayList<>();
    private final List<JdbcJobStore> stores = new ArrayList<>();

    @AfterEach
    void stop() {
        engines.forEach(JobEngine::close);
        stores.forEach(JdbcJobStore::close);
        database.dropTables();
    }

    private JobEngine engine(Workload workload, JdbcJobStore store, String workerId, int concurrency) {
        stores.add(store);
        JobEngineBuilder builder = JobEngine.builder()
                .store(store)
                .workerId(workerId)
                .queue("default", concurrency)
                .leaseDuration(LEASE)
                .shutdownTimeout(SHUTDOWN_TIMEOUT)
                .retryPolicy(RetryPolicy.fixed(RETRY_BACKOFF))
                .pollInterval(POLL_INTERVAL);
        JobEngine engine = workload.registerHandlers(builder).build().start();
        engines.add(engine);
        return engine;
    }

    @Test
    void shuttingDownUnderLoadFinishesOrGivesBackEveryRunningJobAtOnce() {
        var workload = new Workload(20261203L, 200, 8)
                .withHandlerTime(Duration.ofMillis(600))
                .withRetryBackoff(RETRY_BACKOFF)
                .withReadyDeadline(READY_DEADLINE);
        JdbcJobStore reader = database.emptyStore(Clock.systemUTC());
        JobEngine staying = engine(workload, reader, "staying", 8);
        JobEngine stopping = engine(workload, database.store(Clock.systemUTC()), STOPPING, 16);
        workload.enqueue(staying);
        awaitRunningOn(reader, STOPPING, 12);

        Instant closing = Instant.now();
        long start = System.nanoTime();
        stopping.close();
        Duration closeTook = Duration.ofNanos(System.nanoTime() - start);
        Instant closed = Instant.now();
        List<Job> stillHeld = JobsTesting.leasesHeldBy(reader, STOPPING);

        workload.awaitFinished(staying, BULK_WORK);
        Duration drained = Duration.between(closed, Instant.now());
        List<Attempt> endedAtShutdown = workload.ledger().stream()
                .filter(e -> e.worker().equals(STOPPING))
                .map(Workload.Execution::jobId)
                .distinct()
                .flatMap(id -> reader.get(id).orElseThrow().attempts().stream())
                .filter(a -> a.worker().equals(STOPPING) && !a.endedAt().isBefore(closing))
                .toList();
        long givenBack = endedAtShutdown.stream()
                .filter(a -> a.outcome() == Attempt.Outcome.RELEASED)
                .count();
        long finished = endedAtShutdown.size() - givenBack;

        Audit audit = workload.audit(reader::get, workload.ledger(), Set.of(STOPPING));
        ReliabilityFigures.scenario("graceful-shutdown", "Graceful shutdown under load")
                .reproduce("./mvnw verify -pl jobs-store-jdbc -am -Dtest=PostgresGracefulShutdownTest"
                        + " -Dsurefire.failIfNoSpecifiedTests=false")
                .faults(1, "close() of one of two engines on PostgreSQL, all its 16 slots busy")
                .audit(audit)
                .recovered(closeTook)
                .figure("lease length", LEASE)
                .figure("shutdown timeout", SHUTDOWN_TIMEOUT.toMillis() + " ms")
                .figure("close() took", closeTook.toMillis() + " ms")
                .figure("jobs that finished within the shutdown timeout", finished)
                .figure("jobs whose leases were given back", givenBack)
                .figure("leases still held once close() returned", stillHeld.size())
                .figure("time from close() to the last job finished on the other engine", drained.toMillis() + " ms")
                .write();
        assertThat(audit.problems())
                .as("jobs that ended wrong (seed " + workload.seed() + ")")
                .isEmpty();
        assertThat(audit.isClean()).isTrue();
        assertThat(stillHeld)
                .as("leases held by the stopped engine after close()")
                .isEmpty();
        assertThat(givenBack).as("leases given back").isPositive();
        // The other engine drains what was left in about twenty seconds here; leases not given back
        // would keep their jobs a whole lease (a minute) longer.
        assertThat(drained).as("the rest ran at once, not a lease later").isLessThan(LEASE);
    }

    private static void awaitRunningOn(JdbcJobStore store, String worker, int count) {
        long deadline = System.nanoTime() + EVENTUALLY.toNanos(); // its slots fill within its first claims
        while (JobsTesting.leasesHeldBy(store, worker).size() < count) {
            assertThat(System.nanoTime())
                    .as("%d jobs running on %s", count, worker)
                    .isLessThan(deadline);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }
}
