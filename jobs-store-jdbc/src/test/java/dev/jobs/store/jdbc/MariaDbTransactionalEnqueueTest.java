package dev.jobs.store.jdbc;

/** Transactional enqueue on MariaDb. */
class MariaDbTransactionalEnqueueTest extends TransactionalEnqueueTest {
    @Override
    TestDatabase database() {
        return TestDatabase.mariadb();
    }
}
