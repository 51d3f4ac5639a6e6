package dev.jobs.queue.redis;

import dev.jobs.core.memory.InMemoryJobStore;
import dev.jobs.core.spi.JobQueue;
import dev.jobs.core.spi.JobStore;
import dev.jobs.testing.JobQueueConformanceTest;
import java.time.Clock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/**
 * The Redis queue keeps the queue contract on a Redis Cluster of three masters, which it can only
 * do if every key a script touches hashes to one slot.
 */
class RedisClusterQueueConformanceTest extends JobQueueConformanceTest {
    private static RedisClusterProcesses cluster;

    @BeforeAll
    static void startCluster() {
        cluster = RedisClusterProcesses.start(3);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Override
    protected JobStore createStore(Clock clock) {
        return new InMemoryJobStore(clock);
    }

    @Override
    protected JobQueue createQueue(JobStore store, Clock clock) {
        return RedisJobQueue.builder()
                .cluster(cluster.uris())
                .keyPrefix(TestRedis.freshPrefix())
                .clock(clock)
                .build(store);
    }

    @AfterEach
    void redisDidTheWork() {
        RedisQueueAssertions.assertNoOutage(queue);
    }
}
