package dev.jobs.store.jdbc;

import dev.jobs.core.spi.JobStore;
import dev.jobs.testing.JobStoreConformanceTest;
import java.time.Clock;
import org.junit.jupiter.api.AfterAll;

/** The JDBC store passes the store conformance suite on H2. */
class H2JobStoreConformanceTest extends JobStoreConformanceTest {
    private static final TestDatabase DATABASE = TestDatabase.h2();

    @Override
    protected JobStore createStore(Clock clock) {
        return DATABASE.emptyStore(clock);
    }

    @AfterAll
    static void dropTables() {
        DATABASE.dropTables();
    }
}
