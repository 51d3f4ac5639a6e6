package dev.jobs.http;

import dev.jobs.core.spi.JobStore;
import dev.jobs.store.jdbc.TestDatabase;
import java.time.Clock;

/** The HTTP contract on the JDBC store over a real database, each test under tables of its own. */
abstract class JdbcHttpApiContractTest extends HttpApiContractTest {
    private final TestDatabase database = database();

    abstract TestDatabase database();

    @Override
    JobStore newStore() {
        return database.emptyStore(Clock.systemUTC());
    }

    @Override
    void discard(JobStore store) {
        store.close();
        database.dropTables();
    }
}
