package dev.jobs.store.jdbc;

import java.util.Optional;
import org.jdbi.v3.core.Handle;

/** PostgreSQL 12+: native uuid, {@code ON CONFLICT}, advisory locks for migrations. */
final class PostgresDialect extends SqlDialect {
    @Override
    String name() {
        return "postgresql";
    }

    /**
     * {@code UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING *}: one round trip.
     * The lease token is random per row ({@code md5} of a random number and the id, cast to uuid),
     * which PostgreSQL 12 can make without extensions.
     */
    @Override
    Optional<String> claimInOneStatement(String candidates) {
        return Optional.of("UPDATE <job> SET state = 'RUNNING', attempt = attempt + 1, lease_owner = :worker,"
                + " lease_token = md5(random()::text || id::text)::uuid, lease_expires_at = :expires,"
                + " cancel_requested = false, progress = 0, progress_message = NULL, started_at = :now,"
                + " updated_at = :now WHERE id IN (SELECT id" + candidates + " FOR UPDATE SKIP LOCKED) RETURNING *");
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
