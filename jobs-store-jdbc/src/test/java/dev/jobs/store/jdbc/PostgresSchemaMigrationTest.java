package dev.jobs.store.jdbc;

/** Schema migrations on PostgreSQL. */
class PostgresSchemaMigrationTest extends SchemaMigrationTest {
    @Override
    TestDatabase database() {
        return TestDatabase.postgres();
    }
}
