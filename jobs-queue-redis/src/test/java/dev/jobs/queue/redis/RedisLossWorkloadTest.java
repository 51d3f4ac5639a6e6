package dev.jobs.queue.redis;

import static dev.jobs.testing.JobsTesting.BULK_WORK;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jobs.core.JobEngine;
import dev.jobs.core.JobEngineBuilder;
import dev.jobs.core.JobState;
import dev.jobs.core.QueueCounts;
import dev.jobs.core.RetryPolicy;
import dev.jobs.store.jdbc.JdbcJobStore;
import dev.jobs.store.jdbc.TestDatabase;
import dev.jobs.testing.Audit;
import dev.jobs.testing.Deadline;
import dev.jobs.testing.ReliabilityFigures;
import dev.jobs.testing.Workload;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Two engines on PostgreSQL dispatch through a Redis of the test's own, which loses its data in
 * the middle of the work: flushed, killed and started again without persistence, or, on a
 * Cluster, its busiest master killed so that a replica (which may lag) takes over. Every job must
 * still end as its handler and policy dictate, each success recorded once, and no job run by two
 * workers at once.
 */
@Tag("reliability")
class RedisLossWorkloadTest {
    private static final int ENGINES = 2;

    private static final Duration RETRY_BACKOFF = Duration.ofMillis(10);

    /**
     * How long a ready job may wait beyond its turn. An id whose claim the fault swallowed (popped,
     * but the answer never came) is back in ready after the claim hold, which outlasts the command
     * timeout the claimer waits meanwhile. A publish to a dead node fails after the command timeout
     * and owes a pass, which the next loss check runs once Redis answers; the loss check also finds,
     * within its interval, a Redis that lost its data, and its pass publishes what was lost.
     */
    private static final Deadline READY_DEADLINE = Deadline.of(
                    "Redis claim hold of an id whose claim the fault swallowed", RedisJobQueue.CLAIM_HOLD)
            .plus("command timeout of a publish to a dead node", RedisLink.COMMAND_TIMEOUT)
            .plus("loss check interval", RedisJobQueue.DEFAULT_LOSS_CHECK_INTERVAL);

    private final TestDatabase database = TestDatabase.postgres();
    private final List<JobEngine> engines = new ArrayList<>();
    private final List<JdbcJobStore> stores = new ArrayList<>();
    private RedisServerProcess redis;
    private RedisClusterProcesses cluster;
    private long startedAt;

    @AfterEach
    void stopEverything() {
        engines.forEach(JobEngine::close);
        stores.forEach(JdbcJobStore::close);
        database.dropTables();
        if (redis != null) {
            redis.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private void startEngines(Workload workload, UnaryOperator<RedisJobQueue.Builder> redisAt) {
        for (int i = 0; i < ENGINES; i++) {
            JdbcJobStore store = i == 0 ? database.emptyStore(Clock.systemUTC()) : database.store(Clock.systemUTC(), 6);
            stores.add(store);
            JobEngineBuilder builder = JobEngine.builder()
                    .store(store)
                    .queue(s -> redisAt.apply(RedisJobQueue.builder()).build(s))
                    .workerId("engine-" + i)
                    .queue("default", 8)
                    .retryPolicy(RetryPolicy.fixed(RETRY_BACKOFF));
            engines.add(workload.registerHandlers(builder).build().start());
        }
        startedAt = System.nanoTime();
    }

    private void startOnOwnServer(Workload workload) {
        redis = RedisServerProcess.start();
        startEngines(workload, builder -> builder.uri(redis.uri()));
    }

    /**
     * Blocks until more than {@code count} jobs have finished; how long that took. Jobs finish again
     * within the ready deadline of a fault; the bound is a workload's worth of bulk work, for code
     * that never recovers.
     */
    private Duration awaitFinishedMoreThan(long count) {
        long start = System.nanoTime();
        long deadline = start + BULK_WORK.toNanos();
        while (finished() <= count) {
            assertThat(System.nanoTime()).as("jobs finished in time").isLessThan(deadline);
            RedisServerProcess.sleep(Duration.ofMillis(5));
        }
        return Duration.ofNanos(System.nanoTime() - start);
    }

    private long finished() {
        return engines.get(0).counts().stream()
                .mapToLong(c -> c.count(JobState.SUCCEEDED) + c.count(JobState.FAILED) + c.count(JobState.CANCELLED))
                .sum();
    }

    /**
     * Waits for the rest, audits, and writes the figures.
     *
     * @param recovered from the fault until jobs finished again
     */
    private void verify(
            Workload workload, long finishedAtLoss, String id, String title, String fault, Duration recovered) {
        long lossAt = System.nanoTime() - recovered.toNanos();
        workload.awaitFinished(engines.get(0), BULK_WORK); // the rest of the workload, some seconds
        double secondsAfter = (System.nanoTime() - lossAt) / 1e9;
        double secondsBefore = (lossAt - startedAt) / 1e9;
        JdbcJobStore reader = stores.get(0);
        Audit audit = workload.audit(reader::get);
        ReliabilityFigures.scenario(id, title)
                .reproduce("./mvnw verify -pl jobs-queue-redis -am -Dtest=RedisLossWorkloadTest"
                        + " -Dsurefire.failIfNoSpecifiedTests=false")
                .faults(1, fault)
                .audit(audit)
                .recovered(recovered)
                .figure("jobs finished before the fault", finishedAtLoss)
                .figure("time from the fault until jobs finished again", recovered)
                .figure("jobs finished per second before the fault", Math.round(finishedAtLoss / secondsBefore))
                .figure(
                        "jobs finished per second after it",
                        Math.round((workload.jobs() - finishedAtLoss) / secondsAfter))
                .write();
        assertThat(finishedAtLoss)
                .as("Redis lost its data in the middle of the work")
                .isLessThan(workload.jobs());
        assertThat(audit.problems())
                .as("jobs that ended wrong (seed " + workload.seed() + ")")
                .isEmpty();
        assertThat(audit.isClean()).isTrue();
        assertThat(engines.get(0).counts().stream()
                        .mapToLong(QueueCounts::unfinished)
                        .sum())
                .isZero();
    }

    @Test
    void flushingRedisInTheMiddleOfTenThousandJobsLosesNone() {
        var workload = new Workload(20261123L, 10_000, 400)
                .withRetryBackoff(RETRY_BACKOFF)
                .withReadyDeadline(READY_DEADLINE);
        startOnOwnServer(workload);
        workload.enqueue(engines.get(0));

        awaitFinishedMoreThan(2_999);
        long finishedAtFlush = finished();
        RedisClient client = RedisClient.create(RedisURI.create(redis.uri()));
        try (var connection = client.connect()) {
            connection.sync().flushall();
        } finally {
            client.shutdown();
        }
        Duration recovered = awaitFinishedMoreThan(finished());

        verify(
                workload,
                finishedAtFlush,
                "redis-flushed",
                "Redis flushed",
                "FLUSHALL of the Redis two engines dispatch through",
                recovered);
    }

    @Test
    void restartingRedisInTheMiddleOfTheWorkLosesNone() {
        var workload = new Workload(20261124L, 5_000, 200)
                .withRetryBackoff(RETRY_BACKOFF)
                .withReadyDeadline(READY_DEADLINE);
        startOnOwnServer(workload);
        workload.enqueue(engines.get(0));

        awaitFinishedMoreThan(1_499);
        long finishedAtRestart = finished();
        long start = System.nanoTime();
        redis.restart();
        awaitFinishedMoreThan(finished());
        Duration recovered = Duration.ofNanos(System.nanoTime() - start);

        verify(
                workload,
                finishedAtRestart,
                "redis-restarted",
                "Redis restarted empty",
                "kill -9 of the Redis server and a start without persistence",
                recovered);
    }

    @Test
    void killingTheBusiestMasterOfARedisClusterLosesNone() {
        var workload = new Workload(20261125L, 5_000, 200)
                .withRetryBackoff(RETRY_BACKOFF)
                .withReadyDeadline(READY_DEADLINE);
        cluster = RedisClusterProcesses.start(3, 1);
        startEngines(workload, builder -> builder.cluster(cluster.uris()));
        workload.enqueue(engines.get(0));

        awaitFinishedMoreThan(1_499);
        long finishedAtKill = finished();
        long start = System.nanoTime();
        cluster.killBusiestMaster();
        awaitFinishedMoreThan(finished());
        Duration recovered = Duration.ofNanos(System.nanoTime() - start);

        verify(
                workload,
                finishedAtKill,
                "redis-cluster-master-killed",
                "Redis Cluster master killed",
                "kill -9 of the master holding the queue's slot, in a cluster of 3 masters with a replica each",
                recovered);
    }
}
