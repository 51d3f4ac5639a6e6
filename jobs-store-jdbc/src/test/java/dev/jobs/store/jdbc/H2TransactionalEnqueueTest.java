package dev.jobs.store.jdbc;

/** Transactional enqueue on H2. */
class H2TransactionalEnqueueTest extends TransactionalEnqueueTest {
    @Override
    TestDatabase database() {
        return TestDatabase.h2();
    }

    @Override
    String sessionsWaitingForALock() {
        return "SELECT count(*) FROM INFORMATION_SCHEMA.SESSIONS WHERE BLOCKER_ID IS NOT NULL";
    }
}
