package dev.jobs.queue.redis;

import dev.jobs.core.memory.InMemoryJobStore;
import dev.jobs.core.spi.JobQueue;
import dev.jobs.core.spi.JobStore;
import dev.jobs.testing.JobQueueConformanceTest;
import java.time.Clock;
import org.junit.jupiter.api.AfterEach;

/** The Redis queue keeps the queue contract on a real Redis, in front of the in-memory store. */
class InMemoryStoreRedisQueueConformanceTest extends JobQueueConformanceTest {
    @Override
    protected JobStore createStore(Clock clock) {
        return new InMemoryJobStore(clock);
    }

    @Override
    protected JobQueue createQueue(JobStore store, Clock clock) {
        return TestRedis.queue(store, clock);
    }

    @AfterEach
    void redisDidTheWork() {
        RedisQueueAssertions.assertNoOutage(queue);
    }
}
