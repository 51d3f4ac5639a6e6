package dev.jobs.queue.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jobs.core.JobEngine;
import dev.jobs.core.JobState;
import dev.jobs.core.QueueCounts;
import dev.jobs.core.RetryPolicy;
import dev.jobs.store.jdbc.JdbcJobStore;
import dev.jobs.store.jdbc.TestDatabase;
import dev.jobs.testing.Workload;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two engines on PostgreSQL dispatch through a Redis of the test's own, which loses everything in
 * the middle of the work: flushed, or killed and started again without persistence. Every job
 * must still end as its handler and policy dictate, each success recorded once, and no job run by
 * two workers at once.
 */
class RedisLossWorkloadTest {
    private static final int ENGINES = 2;

    private final TestDatabase database = TestDatabase.postgres();
    private final List<JobEngine> engines = new ArrayList<>();
    private final List<JdbcJobStore> stores = new ArrayList<>();
    private RedisServerProcess redis;

    @BeforeEach
    void startRedis() {
        redis = RedisServerProcess.start();
    }

    @AfterEach
    void stopEverything() {
        engines.forEach(JobEngine::close);
        stores.forEach(JdbcJobStore::close);
        database.dropTables();
        redis.close();
    }

    private void startEngines(Workload workload) {
        for (int i = 0; i < ENGINES; i++) {
            JdbcJobStore store = i == 0 ? database.emptyStore(Clock.systemUTC()) : database.store(Clock.systemUTC(), 6);
            stores.add(store);
            JobEngine.Builder builder = JobEngine.builder()
                    .store(store)
                    .queue(s -> RedisJobQueue.builder().uri(redis.uri()).build(s))
                    .workerId("engine-" + i)
                    .queue("default", 8)
                    .retryPolicy(RetryPolicy.fixed(Duration.ofMillis(10)));
            engines.add(workload.registerHandlers(builder).build().start());
        }
    }

    /** Blocks until at least {@code count} jobs have finished. */
    private void awaitFinishedAtLeast(long count) {
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (finished() < count) {
            assertThat(System.nanoTime()).as("jobs finished in time").isLessThan(deadline);
            RedisServerProcess.sleep(Duration.ofMillis(20));
        }
    }

    private long finished() {
        return engines.get(0).counts().stream()
                .mapToLong(c -> c.count(JobState.SUCCEEDED) + c.count(JobState.FAILED) + c.count(JobState.CANCELLED))
                .sum();
    }

    private void verify(Workload workload, long finishedAtLoss, int total) {
        workload.awaitFinished(engines.get(0), Duration.ofMinutes(10));
        JdbcJobStore reader = stores.get(0);
        assertThat(finishedAtLoss)
                .as("Redis lost its data in the middle of the work")
                .isLessThan(total);
        assertThat(workload.verify(id -> reader.get(id).orElseThrow(), 10))
                .as("jobs that ended wrong (seed " + workload.seed() + ")")
                .isEmpty();
        assertThat(engines.get(0).counts().stream()
                        .mapToLong(QueueCounts::unfinished)
                        .sum())
                .isZero();
    }

    @Test
    void flushingRedisInTheMiddleOfTenThousandJobsLosesNone() {
        var workload = new Workload(20261123L, 10_000, 400);
        startEngines(workload);
        workload.enqueue(engines.get(0));

        awaitFinishedAtLeast(3_000);
        long finishedAtFlush = finished();
        RedisClient client = RedisClient.create(RedisURI.create(redis.uri()));
        try (var connection = client.connect()) {
            connection.sync().flushall();
        } finally {
            client.shutdown();
        }

        verify(workload, finishedAtFlush, 10_000);
    }

    @Test
    void restartingRedisInTheMiddleOfTheWorkLosesNone() {
        var workload = new Workload(20261124L, 5_000, 200);
        startEngines(workload);
        workload.enqueue(engines.get(0));

        awaitFinishedAtLeast(1_500);
        long finishedAtRestart = finished();
        redis.restart();

        verify(workload, finishedAtRestart, 5_000);
    }
}
