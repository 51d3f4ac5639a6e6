package dev.jobs.store.jdbc;

import dev.jobs.core.JobsException;
import dev.jobs.core.StoreFailureException;
import dev.jobs.core.StoreUnavailableException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.Objects;
import java.util.function.Consumer;
import org.jdbi.v3.core.ConnectionFactory;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Handles;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.JdbiException;
import org.jdbi.v3.core.transaction.TransactionIsolationLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How every part of the store runs its statements: in a READ COMMITTED transaction run again after
 * a deadlock or serialization failure, on one auto-committed statement, or inside the host's own
 * transaction; a row that cannot be read mended and the work done again; a failure told apart as an
 * outage or a refusal. Also the store's clock. Thread-safe.
 */
final class Transactions {
    private static final Logger log = LoggerFactory.getLogger(JdbcJobStore.class);

    /** A transaction that hit a deadlock or serialization failure is run again up to this often. */
    private static final int MAX_TRANSACTION_ATTEMPTS = 5;

    /** Unreadable rows one call mends before it gives up: each is mended for good, so a few suffice. */
    private static final int MAX_ROWS_MENDED_PER_CALL = 100;

    /** The host's connection while {@link #onHostConnection} runs on the calling thread. */
    private static final ThreadLocal<Connection> HOST_CONNECTION = new ThreadLocal<>();

    private final Jdbi jdbi;
    private final SqlDialect dialect;
    private final FinishedCounts finishedCounts;
    private final Clock clock;
    private final boolean readCommittedByDefault;

    /**
     * Runs the store's statements on a connection the host owns: never closes it, never ends its
     * transaction.
     */
    private final Jdbi hostJdbi;

    /** Mends an unreadable row in a transaction of its own (the outcomes part ends its job). */
    private Consumer<UnreadableRow> mender = unreadable -> {
        throw unreadable;
    };

    Transactions(Jdbi jdbi, SqlDialect dialect, FinishedCounts finishedCounts, Clock clock) {
        this.jdbi = jdbi;
        this.dialect = dialect;
        this.finishedCounts = finishedCounts;
        this.clock = clock;
        this.readCommittedByDefault = readCommittedByDefault(jdbi);
        this.hostJdbi = Jdbi.create(new ConnectionFactory() {
            @Override
            public Connection openConnection() {
                return Objects.requireNonNull(HOST_CONNECTION.get(), "no host connection on this thread");
            }

            @Override
            public void closeConnection(Connection connection) {
                // the host's connection: the host closes it
            }
        });
        hostJdbi.getConfig(Handles.class).setForceEndTransactions(false);
        StatementErrors.withoutBoundValues(jdbi);
        StatementErrors.withoutBoundValues(hostJdbi);
    }

    /** Names a table in every statement as {@code <table>}: {@code <job>} is {@code <prefix>job}. */
    void define(String table, String prefixed) {
        jdbi.define(table, prefixed);
        hostJdbi.define(table, prefixed);
    }

    /** Who mends the rows the work meets and cannot read; set once, as the store is put together. */
    void mendWith(Consumer<UnreadableRow> value) {
        mender = value;
    }

    /** Whether the database's sessions start at READ COMMITTED (a transaction pooler needs it so). */
    boolean readCommittedByDefault() {
        return readCommittedByDefault;
    }

    /** The store's time: the clock's, cut to the microseconds every database keeps. */
    Instant now() {
        return JobRows.micros(clock.instant());
    }

    /**
     * Runs {@code work} in a READ COMMITTED transaction, running it again after a deadlock or
     * serialization failure, and turning a lost connection into {@link StoreUnavailableException}.
     * Exceptions the work throws on purpose (fencing, validation) pass through unchanged.
     */
    <T> T inTransaction(HandleCallback<T, RuntimeException> work) {
        return run(work, true);
    }

    /**
     * Runs {@code work} on a connection in auto-commit, for work that is a single statement: it commits
     * on its own, so no transaction need be opened and ended around it.
     */
    <T> T inOneStatement(HandleCallback<T, RuntimeException> work) {
        return run(work, false);
    }

    /**
     * Runs {@code work} in the host's transaction on {@code connection}: the connection is left open
     * and its transaction untouched, to commit or roll back with the host's own work.
     */
    <T> T onHostConnection(Connection connection, HandleCallback<T, RuntimeException> work) {
        HOST_CONNECTION.set(connection);
        try {
            return hostJdbi.withHandle(finishedCounts.counted(work));
        } catch (JdbiException e) {
            throw translated(e, sqlCause(e));
        } finally {
            HOST_CONNECTION.remove();
        }
    }

    private <T> T run(HandleCallback<T, RuntimeException> work, boolean transaction) {
        int mended = 0;
        for (int attempt = 1; ; attempt++) {
            try {
                if (!transaction) {
                    return jdbi.withHandle(work);
                }
                HandleCallback<T, RuntimeException> counted = finishedCounts.counted(work);
                return readCommittedByDefault
                        ? jdbi.inTransaction(counted)
                        : jdbi.inTransaction(TransactionIsolationLevel.READ_COMMITTED, counted);
            } catch (UnreadableRow e) {
                // The work met a row it cannot read and changed nothing (a transaction rolled back; a
                // statement on its own failed before it wrote): mend that row, then do the work again.
                if (++mended > MAX_ROWS_MENDED_PER_CALL) {
                    throw new StoreFailureException(
                            "more than " + MAX_ROWS_MENDED_PER_CALL + " unreadable job rows met in one call; "
                                    + e.getMessage(),
                            e);
                }
                mender.accept(e);
                attempt = 0;
            } catch (JobsException | IllegalArgumentException e) {
                throw e;
            } catch (JdbiException e) {
                SQLException sql = sqlCause(e);
                if (sql != null && dialect.isRetryable(sql) && attempt < MAX_TRANSACTION_ATTEMPTS) {
                    log.debug("transaction hit {} ({}); running it again", sql.getSQLState(), sql.getMessage());
                    continue;
                }
                throw translated(e, sql);
            }
        }
    }

    /**
     * An outage (the database unreachable, timed out, too contended) is {@link
     * StoreUnavailableException}, which callers retry; the database refusing the statement is
     * {@link StoreFailureException}, a bug to look at, since trying again would fail the same way.
     */
    private JobsException translated(JdbiException e, SQLException sql) {
        // Jdbi's message names the statement (StatementErrors) but, for a failed commit, not why.
        String message =
                sql == null || sql.getMessage() == null || e.getMessage().contains(sql.getMessage())
                        ? e.getMessage()
                        : e.getMessage() + ": " + sql.getMessage();
        if (e instanceof org.jdbi.v3.core.ConnectionException || dialect.isUnavailable(e)) {
            return new StoreUnavailableException("the " + dialect.name() + " job store is unavailable: " + message, e);
        }
        String state = sql == null ? "" : " (SQLSTATE " + sql.getSQLState() + ")";
        return new StoreFailureException(
                "the " + dialect.name() + " job store refused the operation" + state + ": " + message, e);
    }

    private static SQLException sqlCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql) {
                return sql;
            }
        }
        return null;
    }

    /**
     * Whether the pool's connections start at READ COMMITTED, as PostgreSQL's and H2's do and the
     * store's own pool is configured to. Then transactions need not ask for it: asking costs the
     * driver a query for the current level, and another to restore it, on every transaction.
     */
    private static boolean readCommittedByDefault(Jdbi jdbi) {
        return jdbi.withHandle(h -> {
            try {
                return h.getConnection().getTransactionIsolation() == Connection.TRANSACTION_READ_COMMITTED;
            } catch (SQLException e) {
                throw new StoreUnavailableException(
                        "could not read the connection's isolation level: " + e.getMessage(), e);
            }
        });
    }
}
