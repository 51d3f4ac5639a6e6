package dev.jobs.store.jdbc;

import dev.jobs.core.spi.JobStore;
import dev.jobs.testing.EngineLimitsConformanceTest;
import java.time.Clock;
import org.junit.jupiter.api.AfterAll;

/** Every limit holds through the engine down to Postgres: values at a limit fit its columns whole. */
class PostgresEngineLimitsConformanceTest extends EngineLimitsConformanceTest {
    private static final TestDatabase DATABASE = TestDatabase.postgres();

    @Override
    protected JobStore createStore(Clock clock) {
        return DATABASE.emptyStore(clock);
    }

    @AfterAll
    static void dropTables() {
        DATABASE.dropTables();
    }
}
