package dev.jobs.store.jdbc;

import static dev.jobs.testing.JobsTesting.BULK_WORK;
import static dev.jobs.testing.JobsTesting.EVENTUALLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jobs.core.JobEngine;
import dev.jobs.core.JobEngineBuilder;
import dev.jobs.core.JobState;
import dev.jobs.core.RetryPolicy;
import dev.jobs.testing.Audit;
import dev.jobs.testing.Deadline;
import dev.jobs.testing.JobsTesting;
import dev.jobs.testing.LoopbackProxy;
import dev.jobs.testing.ReliabilityFigures;
import dev.jobs.testing.Workload;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Two engines share PostgreSQL; one reaches it through a proxy on loopback, and the test cuts that
 * link in the middle of the work (a black hole: open connections hang, new ones never answer) and
 * restores it after several lease lengths. The cut-off worker must stop claiming and stop its
 * handlers once their leases lapse; its jobs must move to the other engine; and when the link
 * returns it must neither complete nor fail a job it no longer owns. The audit must find nothing
 * lost, nothing succeeded twice, and no overlap but with the cut-off worker's lapsed leases.
 */
@Tag("reliability")
class PostgresNetworkCutTest {
    private static final Duration LEASE = Duration.ofSeconds(3);
    private static final Duration CUT = Duration.ofSeconds(10);
    private static final Duration CUT_OFF_NETWORK_TIMEOUT = Duration.ofSeconds(2);

    private static final Duration RETRY_BACKOFF = Duration.ofMillis(10);
    private static final Duration POLL_INTERVAL = Duration.ofMillis(50);

    /**
     * How long a ready job may wait beyond its turn: the cut can catch a transaction that locked
     * ready rows, which no other worker can take until the server ends it (the cut-off store's
     * network timeout is also how long the server lets a transaction sit idle); freed, they may sit
     * behind where the other engine's claims start while claims are slow, until its claim floor
     * lapses. Jobs the cut-off worker held are ready only once their leases are reclaimed (the audit
     * counts from then), so the lease is no term.
     */
    private static final Deadline READY_DEADLINE = Deadline.of(
                    "rows locked by a transaction the cut caught (the cut-off store's network timeout)",
                    CUT_OFF_NETWORK_TIMEOUT)
            .plus("claim floor's lifetime", JdbcJobStore.CLAIM_FLOOR_MAX_LIFETIME)
            .plus("poll interval", POLL_INTERVAL);

    private static final String CUT_OFF = "cut-off";

    private final TestDatabase database = TestDatabase.postgres();
    private final List<JobEngine> engines = new ArrayList<>();
    private final List<JdbcJobStore> stores = new ArrayList<>();
    private LoopbackProxy proxy;

    @AfterEach
    void stop() {
        engines.forEach(JobEngine::close);
        stores.forEach(JdbcJobStore::close);
        if (proxy != null) {
            proxy.close();
        }
        database.dropTables();
    }

    private JobEngine engine(Workload workload, JdbcJobStore store, String workerId) {
        stores.add(store);
        JobEngineBuilder builder = JobEngine.builder()
                .store(store)
                .workerId(workerId)
                .queue("default", 8)
                .leaseDuration(LEASE)
                .reclaimInterval(Duration.ofMillis(500))
                .retryPolicy(RetryPolicy.fixed(RETRY_BACKOFF))
                .pollInterval(POLL_INTERVAL);
        JobEngine engine = workload.registerHandlers(builder).build().start();
        engines.add(engine);
        return engine;
    }

    @Test
    void aWorkerCutOffFromTheDatabaseGivesUpItsJobsAndWritesNothingWhenItComesBack() {
        var workload = new Workload(20261202L, 3_000, 100)
                .withHandlerTime(Duration.ofMillis(20))
                .withMaxAttempts(10)
                .withRetryBackoff(RETRY_BACKOFF)
                .withReadyDeadline(READY_DEADLINE);
        InetSocketAddress server = database.server();
        proxy = LoopbackProxy.to(server.getHostString(), server.getPort());
        JdbcJobStore steadyStore = database.emptyStore(Clock.systemUTC());
        JobEngine steady = engine(workload, steadyStore, "steady");
        JdbcJobStore cutOffStore = database.through(proxy.port())
                .builder()
                .poolSize(4)
                .networkTimeout(CUT_OFF_NETWORK_TIMEOUT)
                .build();
        engine(workload, cutOffStore, CUT_OFF);
        workload.enqueue(steady);
        awaitExecutionsBy(workload, CUT_OFF, 200);

        long cutAt = System.nanoTime();
        proxy.cut();
        // The leases lapse a lease after the cut and the steady engine's reclaim scan takes them
        // (3.5 s); the cut lasts ten, which is the bound, with room to spare.
        Duration leasesMoved = JobsTesting.awaitNoLeaseHeldBy(steadyStore, CUT_OFF, CUT);
        long finishedDuringCut = finishedCount(steadyStore);
        LockSupport.parkNanos(CUT.toNanos() - (System.nanoTime() - cutAt));
        long finishedAfterCut = finishedCount(steadyStore);
        long restoredAt = System.nanoTime();
        proxy.restore();
        Duration back = awaitExecutionBy(workload, CUT_OFF, restoredAt);
        workload.awaitFinished(steady, BULK_WORK);

        Audit audit = workload.audit(steadyStore::get, workload.ledger(), Set.of(CUT_OFF));
        ReliabilityFigures.scenario("network-cut", "Network cut between a worker and PostgreSQL")
                .reproduce("./mvnw verify -pl jobs-store-jdbc -am -Dgroups=reliability -Dtest=PostgresNetworkCutTest"
                        + " -Dsurefire.failIfNoSpecifiedTests=false")
                .faults(1, "black-hole cut of " + CUT.toSeconds() + " s between one of two engines and PostgreSQL")
                .audit(audit)
                .recovered(leasesMoved)
                .figure("lease length", LEASE)
                .figure("time from the cut until no lease was held by the cut-off worker", leasesMoved)
                .figure("time from the restore until the cut-off worker ran a job again", back)
                .figure("jobs the other engine finished while the link was cut", finishedAfterCut - finishedDuringCut)
                .write();
        assertThat(audit.problems())
                .as("jobs that ended wrong (seed " + workload.seed() + ")")
                .isEmpty();
        assertThat(audit.isClean()).isTrue();
        assertThat(finishedAfterCut)
                .as("the other engine went on while the link was cut")
                .isGreaterThan(finishedDuringCut);
        assertThat(leasesMoved)
                .as("the cut-off worker's leases lapsed and moved")
                .isLessThan(CUT);
    }

    private static void awaitExecutionsBy(Workload workload, String worker, int count) {
        long deadline = System.nanoTime() + BULK_WORK.toNanos();
        while (workload.ledger().stream().filter(e -> e.worker().equals(worker)).count() < count) {
            assertThat(System.nanoTime()).as("%s ran %d jobs", worker, count).isLessThan(deadline);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    /** How long after {@code since} the worker started an execution. */
    private static Duration awaitExecutionBy(Workload workload, String worker, long since) {
        long deadline = System.nanoTime() + EVENTUALLY.toNanos(); // its pool reconnects at once
        while (true) {
            long first = workload.ledger().stream()
                    .filter(e -> e.worker().equals(worker) && e.startNanos() > since)
                    .mapToLong(Workload.Execution::startNanos)
                    .min()
                    .orElse(0);
            if (first != 0) {
                return Duration.ofNanos(first - since);
            }
            assertThat(System.nanoTime()).as("%s works again", worker).isLessThan(deadline);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    private static long finishedCount(JdbcJobStore store) {
        return store.counts().stream()
                .mapToLong(c -> c.count(JobState.SUCCEEDED) + c.count(JobState.FAILED) + c.count(JobState.CANCELLED))
                .sum();
    }
}
