package dev.jobs.store.jdbc;

/** Schema migrations on H2. */
class H2SchemaMigrationTest extends SchemaMigrationTest {
    @Override
    TestDatabase database() {
        return TestDatabase.h2();
    }
}
