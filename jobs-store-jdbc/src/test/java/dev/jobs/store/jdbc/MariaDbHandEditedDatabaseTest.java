package dev.jobs.store.jdbc;

/** A hand-edited database on MariaDb. */
class MariaDbHandEditedDatabaseTest extends HandEditedDatabaseTest {
    @Override
    TestDatabase database() {
        return TestDatabase.mariadb();
    }
}
