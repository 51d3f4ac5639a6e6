package dev.jobs.http;

import dev.jobs.store.jdbc.TestDatabase;

/** The HTTP contract on the JDBC store over a real PostgreSQL. */
class PostgresHttpApiContractTest extends JdbcHttpApiContractTest {
    @Override
    TestDatabase database() {
        return TestDatabase.postgres();
    }
}
