package dev.jobs.store.jdbc;

import org.jdbi.v3.core.Handle;

/** PostgreSQL 12+: native uuid, {@code ON CONFLICT}, advisory locks for migrations. */
final class PostgresDialect extends SqlDialect {
    @Override
    String name() {
        return "postgresql";
    }

    @Override
    String insertIfAbsent(String table, String columns, String values, String keyColumn) {
        return "INSERT INTO " + table + " (" + columns + ") VALUES (" + values + ") ON CONFLICT (" + keyColumn
                + ") DO NOTHING";
    }

    @Override
    void lockMigrations(Handle handle, String lock) {
        handle.createQuery("SELECT pg_advisory_lock(hashtext(:lock))")
                .bind("lock", lock)
                .map((rs, ctx) -> true) // the function returns void: only the row matters
                .one();
    }

    @Override
    void unlockMigrations(Handle handle, String lock) {
        handle.createQuery("SELECT pg_advisory_unlock(hashtext(:lock))")
                .bind("lock", lock)
                .mapTo(Boolean.class)
                .one();
    }
}
