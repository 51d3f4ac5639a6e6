package dev.jobs.store.jdbc;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Handle;

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

    @Override
    String insertIfAbsent(String table, String columns, String values, String keyColumn) {
        String sourceColumns =
                Arrays.stream(columns.split(",\\s*")).map(c -> "s." + c).collect(Collectors.joining(", "));
        return "MERGE INTO " + table + " t USING (VALUES (" + values + ")) AS s (" + columns + ") ON t."
                + keyColumn + " = s." + keyColumn + " WHEN NOT MATCHED THEN INSERT (" + columns + ") VALUES ("
                + sourceColumns + ")";
    }

    @Override
    void lockMigrations(Handle handle, String lock) {
        MIGRATION_LOCKS.computeIfAbsent(lock, name -> new ReentrantLock()).lock();
    }

    @Override
    void unlockMigrations(Handle handle, String lock) {
        MIGRATION_LOCKS.get(lock).unlock();
    }
}
