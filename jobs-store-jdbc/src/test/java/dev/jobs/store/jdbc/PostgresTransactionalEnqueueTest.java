package dev.jobs.store.jdbc;

/** Transactional enqueue on Postgres. */
class PostgresTransactionalEnqueueTest extends TransactionalEnqueueTest {
    @Override
    TestDatabase database() {
        return TestDatabase.postgres();
    }
}
