package dev.jobs.http;

import dev.jobs.store.jdbc.TestDatabase;

/** The HTTP contract on the JDBC store over H2, the embedded default. */
class H2HttpApiContractTest extends JdbcHttpApiContractTest {
    @Override
    TestDatabase database() {
        return TestDatabase.h2();
    }
}
