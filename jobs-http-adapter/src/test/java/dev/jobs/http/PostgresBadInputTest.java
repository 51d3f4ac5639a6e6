package dev.jobs.http;

import dev.jobs.store.jdbc.TestDatabase;

/** Generated bad requests against a real PostgreSQL, which refuses more than H2 does (NUL above all). */
class PostgresBadInputTest extends BadInputTest {
    @Override
    TestDatabase database() {
        return TestDatabase.postgres();
    }

    @Override
    String storeName() {
        return "PostgreSQL";
    }
}
