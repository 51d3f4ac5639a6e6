package dev.jobs.store.jdbc;

/** Transactional enqueue on Postgres. */
class PostgresTransactionalEnqueueTest extends TransactionalEnqueueTest {
    @Override
    TestDatabase database() {
        return TestDatabase.postgres();
    }

    @Override
    String sessionsWaitingForALock() {
        return "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'";
    }
}
