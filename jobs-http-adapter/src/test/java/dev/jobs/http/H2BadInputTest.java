package dev.jobs.http;

import dev.jobs.store.jdbc.TestDatabase;

/** Generated bad requests against the embedded default, H2. */
class H2BadInputTest extends BadInputTest {
    @Override
    TestDatabase database() {
        return TestDatabase.h2();
    }

    @Override
    String storeName() {
        return "H2";
    }
}
