package dev.jobs.queue.redis;

import static dev.jobs.testing.JobsTesting.BULK_WORK;
import static dev.jobs.testing.JobsTesting.EVENTUALLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jobs.core.JobEngine;
import dev.jobs.core.JobEngineBuilder;
import dev.jobs.core.JobSpec;
import dev.jobs.core.JobState;
import dev.jobs.core.RetryPolicy;
import dev.jobs.core.StoreUnavailableException;
import dev.jobs.core.memory.InMemoryJobStore;
import dev.jobs.testing.Audit;
import dev.jobs.testing.Deadline;
import dev.jobs.testing.ReliabilityFigures;
import dev.jobs.testing.Workload;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A Redis master with a replica and a Sentinel, all started from the {@code redis-server} binary.
 * The queue finds the master through Sentinel; the master is killed in the middle of the work, the
 * Sentinel promotes the replica, and the queue carries on against it. Every job ends right.
 */
@Tag("reliability")
class RedisSentinelFailoverTest {
    private static final Duration RECONCILE_INTERVAL = Duration.ofSeconds(2);
    private static final Duration RETRY_BACKOFF = Duration.ofMillis(10);

    /**
     * How long a ready job may wait beyond its turn: Sentinel takes its down-after time to call the
     * master down and about a second more to promote the replica, and the reconciler's next full pass
     * publishes what the replica missed.
     */
    private static final Deadline READY_DEADLINE = Deadline.of(
                    "Sentinel's failover (down-after " + RedisServerProcess.SENTINEL_DOWN_AFTER.toMillis()
                            + " ms, then the election)",
                    RedisServerProcess.SENTINEL_DOWN_AFTER.plusSeconds(1))
            .plus("reconcile interval", RECONCILE_INTERVAL);

    private final InMemoryJobStore store = new InMemoryJobStore();
    private final RedisServerProcess master = RedisServerProcess.start();
    private final RedisServerProcess replica =
            RedisServerProcess.start(List.of("--replicaof", "127.0.0.1", Integer.toString(master.port())));
    private final RedisServerProcess sentinel = RedisServerProcess.sentinel("jobsmaster", master.port());
    private JobEngine engine;
    private RedisJobQueue queue;

    @AfterEach
    void stopEverything() {
        if (engine != null) {
            engine.close();
        }
        sentinel.close();
        replica.close();
        master.close();
    }

    @Test
    void theQueueFollowsAFailoverAndLosesNoJob() {
        var workload = new Workload(20261125L, 2_000, 100)
                .withRetryBackoff(RETRY_BACKOFF)
                .withReadyDeadline(READY_DEADLINE);
        JobEngineBuilder builder = JobEngine.builder()
                .store(store)
                .queue(s -> queue = RedisJobQueue.builder()
                        .uri("redis-sentinel://127.0.0.1:" + sentinel.port() + "#jobsmaster")
                        .reconcileInterval(RECONCILE_INTERVAL)
                        .build(s))
                .register("after.failover", ctx -> "ran")
                .workerId("engine")
                .queue("default", 8)
                .retryPolicy(RetryPolicy.fixed(RETRY_BACKOFF));
        engine = workload.registerHandlers(builder).build().start();
        workload.enqueue(engine);

        awaitFinishedAtLeast(500);
        long killedAt = System.nanoTime();
        master.stop(); // crash: the Sentinel notices within a second and promotes the replica

        awaitUntil("the replica is promoted", () -> role(replica).equals("master"));
        Duration promoted = Duration.ofNanos(System.nanoTime() - killedAt);
        workload.awaitFinished(engine, BULK_WORK); // two thousand jobs, a few seconds
        Audit audit = workload.audit(store::get);
        assertThat(audit.problems())
                .as("jobs that ended wrong (seed " + workload.seed() + ")")
                .isEmpty();
        ReliabilityFigures.scenario("redis-sentinel-failover", "Redis master killed under Sentinel")
                .reproduce("./mvnw verify -pl jobs-queue-redis -am -Dtest=RedisSentinelFailoverTest"
                        + " -Dsurefire.failIfNoSpecifiedTests=false")
                .faults(1, "kill -9 of the Redis master; Sentinel promotes its replica")
                .audit(audit)
                .recovered(promoted)
                .figure("time from the kill until the replica was master", promoted)
                .write();
        awaitUntil("the queue reaches the new master", () -> {
            try {
                queue.ping();
                return true;
            } catch (StoreUnavailableException e) {
                return false;
            }
        });
        long outagesBefore = queue.outages();
        var after = new ArrayList<UUID>();
        for (int i = 0; i < 50; i++) {
            after.add(engine.enqueue(JobSpec.of("after.failover")).id());
        }
        for (UUID id : after) {
            assertThat(engine.await(id, EVENTUALLY).state()).isEqualTo(JobState.SUCCEEDED);
        }
        assertThat(queue.outages())
                .as("jobs after the failover went through the new master, not the store fallback")
                .isEqualTo(outagesBefore);
    }

    /** Waits for a failover's steps, each of which takes Sentinel a second or two. */
    private static void awaitUntil(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + EVENTUALLY.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what + " within " + EVENTUALLY).isLessThan(deadline);
            RedisServerProcess.sleep(Duration.ofMillis(100));
        }
    }

    private void awaitFinishedAtLeast(long count) {
        long deadline = System.nanoTime() + BULK_WORK.toNanos();
        while (engine.counts().stream()
                        .mapToLong(c ->
                                c.count(JobState.SUCCEEDED) + c.count(JobState.FAILED) + c.count(JobState.CANCELLED))
                        .sum()
                < count) {
            assertThat(System.nanoTime()).as("jobs finished in time").isLessThan(deadline);
            RedisServerProcess.sleep(Duration.ofMillis(20));
        }
    }

    private static String role(RedisServerProcess server) {
        RedisClient client = RedisClient.create(RedisURI.create(server.uri()));
        try (var connection = client.connect()) {
            return String.valueOf(connection.sync().role().get(0));
        } catch (RuntimeException e) {
            return "unreachable";
        } finally {
            client.shutdown();
        }
    }
}
