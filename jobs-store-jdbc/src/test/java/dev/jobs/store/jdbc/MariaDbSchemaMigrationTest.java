package dev.jobs.store.jdbc;

/** Schema migrations on MariaDb. */
class MariaDbSchemaMigrationTest extends SchemaMigrationTest {
    @Override
    TestDatabase database() {
        return TestDatabase.mariadb();
    }
}
