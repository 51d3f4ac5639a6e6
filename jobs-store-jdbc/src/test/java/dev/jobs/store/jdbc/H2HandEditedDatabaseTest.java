package dev.jobs.store.jdbc;

/** A hand-edited database on H2. */
class H2HandEditedDatabaseTest extends HandEditedDatabaseTest {
    @Override
    TestDatabase database() {
        return TestDatabase.h2();
    }
}
