package dev.jobs.queue.redis;

import dev.jobs.core.spi.JobQueue;
import dev.jobs.core.spi.JobStore;
import dev.jobs.store.jdbc.TestDatabase;
import dev.jobs.testing.JobQueueConformanceTest;
import java.time.Clock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;

/** The Redis queue keeps the queue contract on a real Redis, in front of the JDBC store on PostgreSQL. */
class PostgresStoreRedisQueueConformanceTest extends JobQueueConformanceTest {
    private static final TestDatabase DATABASE = TestDatabase.postgres();

    @Override
    protected JobStore createStore(Clock clock) {
        return DATABASE.emptyStore(clock);
    }

    @Override
    protected JobQueue createQueue(JobStore store, Clock clock) {
        return TestRedis.queue(store, clock);
    }

    @AfterAll
    static void dropTables() {
        DATABASE.dropTables();
    }

    @AfterEach
    void redisDidTheWork() {
        RedisQueueAssertions.assertNoOutage(queue);
    }
}
