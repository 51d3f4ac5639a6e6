package dev.jobs.store.jdbc;

/** Transactional enqueue on MariaDb. */
class MariaDbTransactionalEnqueueTest extends TransactionalEnqueueTest {
    @Override
    TestDatabase database() {
        return TestDatabase.mariadb();
    }

    @Override
    String sessionsWaitingForALock() {
        // A locking read of one row by its key waits inside the optimizer ("Statistics"), before
        // InnoDB lists it as waiting; the statement running is what can be seen of it.
        return "SELECT count(*) FROM information_schema.processlist"
                + " WHERE id <> CONNECTION_ID() AND command = 'Query' AND info LIKE '%FOR UPDATE%'";
    }
}
