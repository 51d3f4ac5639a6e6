package dev.jobs.store.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.jdbi.v3.core.Handle;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * PostgreSQL 12+: native uuid, one-statement claims, {@code ON CONFLICT}, advisory locks for
 * migrations, and LISTEN/NOTIFY so idle workers hear of new jobs at once.
 */
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
    boolean supportsNotifications() {
        return true;
    }

    /** {@code pg_notify} is transactional: listeners hear of the jobs only once they are committed. */
    @Override
    void notifyQueues(Handle handle, String channel, Set<String> queues) {
        for (String queue : queues) {
            handle.createQuery("SELECT pg_notify(:channel, :queue)")
                    .bind("channel", channel)
                    .bind("queue", queue)
                    .map((rs, ctx) -> true)
                    .one();
        }
    }

    @Override
    void listen(Connection connection, String channel, Consumer<String> onQueue, BooleanSupplier listening)
            throws SQLException {
        connection.setAutoCommit(true);
        try (Statement statement = connection.createStatement()) {
            statement.execute("LISTEN " + channel);
        }
        PGConnection postgres = connection.unwrap(PGConnection.class);
        while (listening.getAsBoolean()) {
            // Returns as soon as a notification arrives, or after a second to look at `listening`.
            PGNotification[] notifications = postgres.getNotifications(1000);
            if (notifications != null) {
                for (PGNotification notification : notifications) {
                    onQueue.accept(notification.getParameter());
                }
            }
        }
    }

    @Override
    String minuteOf(String column) {
        return "date_trunc('minute', " + column + ")";
    }

    @Override
    String millisBetween(String from, String to) {
        return "EXTRACT(EPOCH FROM (" + to + " - " + from + ")) * 1000";
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
