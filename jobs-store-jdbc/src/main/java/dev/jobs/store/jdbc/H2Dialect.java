package dev.jobs.store.jdbc;

import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;

/**
 * H2 2.x, the embedded default: native uuid; insert-if-absent through the standard {@code MERGE};
 * migrations serialised inside this JVM, which is the only
 * one an embedded database has.
 */
final class H2Dialect extends SqlDialect {
    private static final Map<String, ReentrantLock> MIGRATION_LOCKS = new ConcurrentHashMap<>();

    @Override
    String name() {
        return "h2";
    }

    /**
     * H2's {@code MERGE} checks for the key and inserts in two steps, so two transactions inserting
     * the same absent key at once end with a duplicate-key error (23505) instead of one of them
     * finding the other's row. Running the loser again makes it find that row, as the other
     * databases' insert-if-absent does at once. Job ids are UUID v7 and never collide on their own.
     */
    @Override
    boolean isRetryable(SQLException e) {
        return super.isRetryable(e) || "23505".equals(e.getSQLState());
    }

    /** H2's own codes for a broken connection (90067), a closed database (90098) and one shutting down (90121). */
    @Override
    boolean isOutage(SQLException e) {
        String state = e.getSQLState();
        return super.isOutage(e) || "90067".equals(state) || "90098".equals(state) || "90121".equals(state);
    }

    @Override
    <T> T migrateExclusively(Handle handle, String lock, HandleCallback<T, RuntimeException> migration) {
        ReentrantLock held = MIGRATION_LOCKS.computeIfAbsent(lock, name -> new ReentrantLock());
        held.lock();
        try {
            return migration.withHandle(handle);
        } finally {
            held.unlock();
        }
    }
}
