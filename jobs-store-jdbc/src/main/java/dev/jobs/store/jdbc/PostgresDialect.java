package dev.jobs.store.jdbc;

import dev.jobs.core.spi.StoreHealth;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
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

    /** See {@code sql/postgresql/claims.sql}. */
    @Override
    boolean claimsInOneStatement() {
        return true;
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

    /**
     * The oldest snapshot among this database's sessions (an open transaction, a running query) and
     * its prepared transactions, who holds it and how to end it. Other roles' sessions show only
     * with {@code pg_read_all_stats} (or {@code pg_monitor}).
     */
    private static final String OLDEST_SNAPSHOT = "SELECT * FROM ("
            + " SELECT 'pid ' || pid || ' (' || coalesce(state, backend_type)"
            + " || coalesce(', user ' || usename, '')"
            + " || coalesce(', application ''' || nullif(application_name, '') || '''', '')"
            + " || coalesce(', from ' || host(client_addr), '') || ')' AS holder,"
            + " greatest(0, EXTRACT(EPOCH FROM now() - coalesce(xact_start, query_start, backend_start))) AS seconds,"
            + " 'SELECT pg_terminate_backend(' || pid || ')' AS remedy"
            + " FROM pg_stat_activity"
            + " WHERE backend_xmin IS NOT NULL AND datname = current_database()"
            + " AND pid <> pg_backend_pid() AND backend_type <> 'autovacuum worker'"
            + " UNION ALL"
            + " SELECT 'prepared transaction ''' || gid || '''', greatest(0, EXTRACT(EPOCH FROM now() - prepared)),"
            + " 'COMMIT PREPARED or ROLLBACK PREPARED ''' || gid || ''''"
            + " FROM pg_prepared_xacts WHERE database = current_database()"
            + ") held ORDER BY seconds DESC LIMIT 1";

    /** Sizes and row counts of the store's tables, from the statistics views. */
    private static final String TABLE_STATS = "SELECT c.relname AS name, pg_total_relation_size(c.oid) AS bytes,"
            + " coalesce(s.n_live_tup, 0) AS live, coalesce(s.n_dead_tup, 0) AS dead"
            + " FROM pg_class c LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid"
            + " WHERE c.oid IN (SELECT to_regclass(t) FROM unnest(:tables) t) AND c.relkind = 'r'"
            + " ORDER BY c.relname";

    @Override
    Optional<StoreHealth> health(Handle handle, List<String> tables, Duration heldBackAfter) {
        List<StoreHealth.Table> stats = handle.createQuery(TABLE_STATS)
                .bind("tables", tables.toArray(String[]::new))
                .map((rs, ctx) -> new StoreHealth.Table(
                        rs.getString("name"), rs.getLong("bytes"), rs.getLong("live"), rs.getLong("dead")))
                .list();
        Optional<SnapshotHolder> oldest = handle.createQuery(OLDEST_SNAPSHOT)
                .map((rs, ctx) -> new SnapshotHolder(
                        rs.getString("holder"),
                        Duration.ofMillis(Math.round(rs.getDouble("seconds") * 1000)),
                        rs.getString("remedy")))
                .findOne();
        long dead = stats.stream().mapToLong(StoreHealth.Table::deadRows).sum();
        Optional<String> heldBack = oldest.filter(h -> h.age().compareTo(heldBackAfter) >= 0)
                .map(h -> h.holder() + " has held a snapshot for " + h.age().toMinutes() + " min, so vacuum"
                        + " can reclaim no row that died since (the job tables carry " + dead + " dead rows)"
                        + " and claims slow down as they pile up. End it (" + h.remedy() + "); for sessions"
                        + " left open, consider idle_in_transaction_session_timeout");
        return Optional.of(
                new StoreHealth(stats, oldest.map(SnapshotHolder::age).orElse(Duration.ZERO), heldBack));
    }

    private record SnapshotHolder(String holder, Duration age, String remedy) {}

    /** Its claim index is (queue, priority, run_at, id): after the queue, the row value is a range start. */
    @Override
    boolean claimsFromAFloor() {
        return true;
    }

    /** How many runs of a statement pgjdbc waits for before preparing it on the server; 0 when never. */
    static int prepareThreshold(Connection connection) {
        try {
            return connection.unwrap(PGConnection.class).getPrepareThreshold();
        } catch (SQLException e) {
            return 0; // not pgjdbc's own connection: nothing to say about its statements
        }
    }

    /**
     * In one transaction, under a transaction-scoped advisory lock: DDL is transactional here, so a
     * migration that fails half-way leaves nothing behind, and the lock lives and dies with the
     * transaction, which is what a transaction pooler (PgBouncer) keeps on one server connection; a
     * session lock taken through one could be released on another connection, or never.
     */
    @Override
    <T> T migrateExclusively(Handle session, String lock, HandleCallback<T, RuntimeException> migration) {
        return session.inTransaction(handle -> {
            handle.createQuery("SELECT pg_advisory_xact_lock(hashtext(:lock))")
                    .bind("lock", lock)
                    .map((rs, ctx) -> true) // the function returns void: only the row matters
                    .one();
            return migration.withHandle(handle);
        });
    }
}
