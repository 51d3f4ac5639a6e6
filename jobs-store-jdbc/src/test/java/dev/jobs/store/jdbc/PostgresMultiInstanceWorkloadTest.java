package dev.jobs.store.jdbc;

/** Three engines on one PostgreSQL. */
class PostgresMultiInstanceWorkloadTest extends MultiInstanceWorkloadTest {
    @Override
    TestDatabase database() {
        return TestDatabase.postgres();
    }
}
