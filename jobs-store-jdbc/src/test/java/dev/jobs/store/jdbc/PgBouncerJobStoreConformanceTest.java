package dev.jobs.store.jdbc;

import dev.jobs.core.spi.JobStore;
import dev.jobs.testing.JobStoreConformanceTest;
import java.time.Clock;
import org.junit.jupiter.api.AfterAll;

/**
 * The JDBC store passes the store conformance suite on PostgreSQL through PgBouncer in transaction
 * mode, where no statement may count on the session the one before it ran in.
 */
class PgBouncerJobStoreConformanceTest extends JobStoreConformanceTest {
    private static final TestDatabase DATABASE = TestDatabase.postgres().behindPgBouncer(true);

    @Override
    protected JobStore createStore(Clock clock) {
        return DATABASE.emptyStore(clock);
    }

    @AfterAll
    static void dropTables() {
        DATABASE.dropTables();
    }
}
