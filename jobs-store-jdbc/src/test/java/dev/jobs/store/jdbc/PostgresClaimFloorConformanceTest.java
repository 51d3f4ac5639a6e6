package dev.jobs.store.jdbc;

import dev.jobs.core.spi.JobStore;
import dev.jobs.testing.JobStoreConformanceTest;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;

/**
 * The conformance suite on PostgreSQL with every claim counted slow, so claims start from a floor
 * whenever one is set: within one store, the floors never cost a job its place in claim order.
 */
class PostgresClaimFloorConformanceTest extends JobStoreConformanceTest {
    private static final TestDatabase DATABASE = TestDatabase.postgres().with(b -> b.slowClaim(Duration.ZERO));

    @Override
    protected JobStore createStore(Clock clock) {
        return DATABASE.emptyStore(clock);
    }

    @AfterAll
    static void dropTables() {
        DATABASE.dropTables();
    }
}
