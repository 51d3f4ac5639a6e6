package dev.jobs.queue.redis;

import dev.jobs.core.spi.JobQueue;
import dev.jobs.core.spi.JobStore;
import dev.jobs.store.jdbc.TestDatabase;
import dev.jobs.testing.EventOrderConformanceTest;
import java.time.Clock;
import java.util.Optional;
import java.util.function.Function;

/** Each job's events in lifecycle order as a deployment that scales out runs: Redis in front of PostgreSQL. */
class RedisInFrontEventOrderConformanceTest extends EventOrderConformanceTest {
    private final TestDatabase database = TestDatabase.postgres();

    @Override
    protected JobStore createStore(Clock clock) {
        return database.emptyStore(clock);
    }

    @Override
    protected Optional<Function<JobStore, JobQueue>> queue() {
        return Optional.of(store -> TestRedis.queue(store, Clock.systemUTC()));
    }

    @Override
    protected void afterStoreClosed() {
        database.dropTables();
    }
}
