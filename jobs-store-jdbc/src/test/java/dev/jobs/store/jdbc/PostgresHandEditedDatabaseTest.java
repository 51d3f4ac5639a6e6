package dev.jobs.store.jdbc;

/** A hand-edited database on Postgres. */
class PostgresHandEditedDatabaseTest extends HandEditedDatabaseTest {
    @Override
    TestDatabase database() {
        return TestDatabase.postgres();
    }
}
