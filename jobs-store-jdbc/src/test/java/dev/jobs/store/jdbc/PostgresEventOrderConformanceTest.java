package dev.jobs.store.jdbc;

import dev.jobs.core.spi.JobStore;
import dev.jobs.testing.EventOrderConformanceTest;
import java.time.Clock;

class PostgresEventOrderConformanceTest extends EventOrderConformanceTest {
    private final TestDatabase database = TestDatabase.postgres();

    @Override
    protected JobStore createStore(Clock clock) {
        return database.emptyStore(clock);
    }

    @Override
    protected void afterStoreClosed() {
        database.dropTables();
    }
}
