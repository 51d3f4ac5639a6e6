package dev.jobs.store.jdbc;

/** Three engines on one MariaDB. */
class MariaDbMultiInstanceWorkloadTest extends MultiInstanceWorkloadTest {
    @Override
    TestDatabase database() {
        return TestDatabase.mariadb();
    }
}
