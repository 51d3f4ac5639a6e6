package dev.jobs.store.jdbc;

/** Transactional enqueue on H2. */
class H2TransactionalEnqueueTest extends TransactionalEnqueueTest {
    @Override
    TestDatabase database() {
        return TestDatabase.h2();
    }
}
