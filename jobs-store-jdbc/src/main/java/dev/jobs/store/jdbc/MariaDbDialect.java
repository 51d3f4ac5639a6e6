package dev.jobs.store.jdbc;

import java.sql.SQLException;
import java.sql.Types;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;

/**
 * MySQL 8 and MariaDB 10.6+: UUIDs as {@code char(36)} text (which sorts like the UUID), {@code
 * INSERT IGNORE}, named locks for migrations.
 */
final class MariaDbDialect extends SqlDialect {
    /** How long a starting instance waits for another to finish migrating, in seconds. */
    private static final int MIGRATION_LOCK_WAIT_SECONDS = 300;

    @Override
    String name() {
        return "mariadb";
    }

    @Override
    Object uuid(UUID id) {
        return id.toString();
    }

    @Override
    String timestampType() {
        return "datetime(6)"; // MySQL's timestamp type ends in 2038 and converts time zones
    }

    @Override
    int uuidSqlType() {
        return Types.CHAR;
    }

    /** Under a named lock held by the migrating connection (its DDL commits statement by statement). */
    @Override
    <T> T migrateExclusively(Handle handle, String lock, HandleCallback<T, RuntimeException> migration) {
        lockMigrations(handle, lock);
        try {
            return migration.withHandle(handle);
        } finally {
            handle.createQuery("SELECT RELEASE_LOCK(:lock)")
                    .bind("lock", lock)
                    .mapTo(Integer.class)
                    .one();
        }
    }

    private static void lockMigrations(Handle handle, String lock) {
        Integer got = handle.createQuery("SELECT GET_LOCK(:lock, :seconds)")
                .bind("lock", lock)
                .bind("seconds", MIGRATION_LOCK_WAIT_SECONDS)
                .mapTo(Integer.class)
                .one();
        if (got == null || got != 1) {
            throw new IllegalStateException("could not take the migration lock '" + lock + "' within "
                    + MIGRATION_LOCK_WAIT_SECONDS + " s; is another instance stuck migrating?");
        }
    }

    @Override
    boolean isRetryable(SQLException e) {
        // 1213: deadlock found; 1205: lock wait timeout. Both are retried by running the work again.
        return super.isRetryable(e) || e.getErrorCode() == 1213 || e.getErrorCode() == 1205;
    }

    /** A lock wait timeout (1205) and a statement past {@code max_statement_time} (SQLSTATE 70100) pass. */
    @Override
    boolean isOutage(SQLException e) {
        return super.isOutage(e) || e.getErrorCode() == 1205 || "70100".equals(e.getSQLState());
    }
}
