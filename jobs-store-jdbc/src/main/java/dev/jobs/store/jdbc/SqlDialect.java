package dev.jobs.store.jdbc;

import dev.jobs.core.StoreUnavailableException;
import dev.jobs.core.spi.StoreHealth;
import java.io.EOFException;
import java.net.SocketException;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.sql.Types;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;

/**
 * What differs between the databases the JDBC store runs on, and nothing else: every statement the
 * databases share is written once, in the store's parts or in {@code sql/<area>.sql}; a database's
 * own statements of an area are in {@code sql/<database>/<area>.sql} ({@link SqlStatements}). One subclass per database, picked from
 * the connection's metadata. Stateless and thread-safe.
 */
abstract class SqlDialect {

    /** The folder of this database's migrations under {@code dev/jobs/store/jdbc/schema}. */
    abstract String name();

    /** The dialect of the database behind {@code jdbi}. */
    static SqlDialect detect(Jdbi jdbi) {
        return jdbi.withHandle(h -> {
            try {
                return detect(h.getConnection().getMetaData());
            } catch (SQLException e) {
                throw new StoreUnavailableException("could not read the database's metadata: " + e.getMessage(), e);
            }
        });
    }

    /** The dialect for the database behind this connection. */
    static SqlDialect detect(DatabaseMetaData metadata) throws SQLException {
        String product = metadata.getDatabaseProductName().toLowerCase(Locale.ROOT);
        if (product.contains("postgresql")) {
            return new PostgresDialect();
        }
        if (product.contains("mariadb") || product.contains("mysql")) {
            return new MariaDbDialect();
        }
        if (product.contains("h2")) {
            return new H2Dialect();
        }
        throw new IllegalArgumentException("the JDBC store supports PostgreSQL, MySQL/MariaDB and H2, not "
                + metadata.getDatabaseProductName()
                + " "
                + metadata.getDatabaseProductVersion());
    }

    /** A UUID as this database's driver binds it: its native uuid type unless overridden. */
    Object uuid(UUID id) {
        return id;
    }

    /** The column type of an instant, stored as UTC with microseconds. */
    String timestampType() {
        return "timestamp(6)";
    }

    /** The SQL type used to bind a null UUID. */
    int uuidSqlType() {
        return Types.OTHER;
    }

    /**
     * Whether a claim is one statement that selects, locks and leases the rows and returns them
     * ({@code UPDATE … RETURNING}), committing on its own; else the store selects the rows with
     * {@code FOR UPDATE SKIP LOCKED} and writes their leases in the same transaction. The claims
     * themselves are written whole in {@code sql/<database>/claims.sql}.
     */
    boolean claimsInOneStatement() {
        return false;
    }

    /** Whether this database can tell other processes of new work (LISTEN/NOTIFY). */
    boolean supportsNotifications() {
        return false;
    }

    /** Announces, on commit of the handle's transaction, that these queues have claimable jobs. */
    void notifyQueues(Handle handle, String channel, Set<String> queues) {}

    /**
     * Listens on {@code channel} over this dedicated connection and hands each announced queue to
     * {@code onQueue}, until {@code listening} turns false or the connection fails.
     *
     * @throws SQLException when the connection fails; the caller reconnects
     */
    void listen(Connection connection, String channel, Consumer<String> onQueue, BooleanSupplier listening)
            throws SQLException {
        throw new UnsupportedOperationException(name() + " has no notifications; the engine polls");
    }

    /**
     * Whether a claim can start part-way along the claim index, at a row value {@code (priority,
     * run_at, id) >= (…)}, as a range scan rather than a filter ({@link ClaimFloors}).
     */
    boolean claimsFromAFloor() {
        return false;
    }

    /**
     * What the database says of the upkeep of {@code tables} (the store's, with their prefix) and
     * what holds its vacuum back, a snapshot open {@code heldBackAfter} or longer; empty for a
     * database that keeps no such statistics.
     */
    Optional<StoreHealth> health(Handle handle, List<String> tables, Duration heldBackAfter) {
        return Optional.empty();
    }

    /**
     * Runs {@code migration} on {@code handle} once no other instance is migrating the schema named
     * {@code lock}, and holds the others off until it is done.
     */
    abstract <T> T migrateExclusively(Handle handle, String lock, HandleCallback<T, RuntimeException> migration);

    /**
     * Whether a failed transaction can simply be run again: a serialization failure or a deadlock
     * (SQLSTATE class 40), which concurrent workers cause and which are no fault of the caller.
     */
    boolean isRetryable(SQLException e) {
        String state = e.getSQLState();
        return state != null && state.startsWith("40");
    }

    /** Whether the failure means the database could not be reached (SQLSTATE class 08). */
    boolean isConnectionFailure(SQLException e) {
        String state = e.getSQLState();
        return state != null && state.startsWith("08");
    }

    /**
     * Whether a failed call met an outage: any SQL failure behind it (its causes, and the failures a
     * batch chains to its first) is one, or the connection's socket broke beneath the driver. A
     * driver may wrap the lost connection in a failure of its own kind: MariaDB's connector reports
     * a batch cut off by a server shutdown as a batch failure whose cause is the socket error, and
     * judging by the outermost failure alone gave such a batch's jobs up as refused, so they ran
     * again when their leases lapsed.
     */
    final boolean isUnavailable(Throwable failure) {
        int depth = 0; // a cause chain may loop; a real one is a few links long
        for (Throwable t = failure; t != null && depth < 32; t = t.getCause(), depth++) {
            if (t instanceof SocketException || t instanceof EOFException) {
                return true;
            }
            if (t instanceof SQLException sql) {
                int chained = 0;
                for (SQLException s = sql; s != null && chained < 32; s = s.getNextException(), chained++) {
                    if (isConnectionFailure(s) || isOutage(s)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /**
     * Whether the failure is an outage that passes (the database unreachable, restarting, out of
     * resources, timed out, read-only during a failover, or too contended to finish), as opposed to
     * the database refusing the statement itself (a constraint, a data error, a missing table),
     * which trying again cannot mend.
     */
    boolean isOutage(SQLException e) {
        if (e instanceof SQLTransientException || e instanceof SQLRecoverableException) {
            return true; // a pool timeout, a lost connection, a query timeout among them
        }
        String state = e.getSQLState();
        if (state == null) {
            return false;
        }
        return isConnectionFailure(e)
                || state.startsWith("40") // a deadlock or serialization failure, still there after retries
                || state.startsWith("53") // insufficient resources
                || state.startsWith("57") // operator intervention: a cancelled statement, a shutdown
                || state.startsWith("HYT") // a timeout
                || state.equals("25006") // read-only: a replica, during a failover
                || state.equals("55P03"); // a lock not available in time
    }
}
