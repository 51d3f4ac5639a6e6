package dev.jobs.store.jdbc;

/**
 * Schema migrations through PgBouncer in transaction mode: the migration lock must hold across
 * the server connections the pooler hands out, so ten instances starting at once still migrate once.
 */
class PgBouncerSchemaMigrationTest extends SchemaMigrationTest {
    @Override
    TestDatabase database() {
        return TestDatabase.postgres().behindPgBouncer(false);
    }
}
