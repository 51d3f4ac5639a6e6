package dev.jobs.store.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.jobs.core.StoreUnavailableException;
import java.time.Duration;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connections the store works on: the HikariCP pool it creates for itself, configured for its
 * database, and what a transaction pooler in front of the database asks of any pool.
 */
final class StorePool {
    private static final Logger log = LoggerFactory.getLogger(JdbcJobStore.class);

    /**
     * Every statement planned for the values it runs with and the tables as they are, never from a
     * generic plan that the driver's prepared statements would freeze after five runs. A generic plan
     * made in a new database's first seconds, when the tables were nearly empty and never analysed,
     * scans them whole; it stays for the connection's life, and with autovacuum late or off nothing
     * replaces it: a claim took 57 ms instead of a tenth of one on a history of 300,000 jobs. Planning
     * each run costs a fraction of a millisecond of the server's time. Behind a transaction pooler
     * the driver prepares nothing, so every statement is planned so already.
     */
    static final String PLAN_CACHE_MODE = "force_custom_plan";

    private StorePool() {}

    /**
     * The store's own pool of {@code poolSize} connections to {@code jdbcUrl}.
     *
     * @throws StoreUnavailableException if the database cannot be reached
     */
    static HikariDataSource open(
            String jdbcUrl,
            String username,
            String password,
            int poolSize,
            String tablePrefix,
            Duration networkTimeout,
            boolean behindTransactionPooler) {
        var config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setUsername(username);
        config.setPassword(password);
        config.setMaximumPoolSize(poolSize);
        config.setPoolName("jobs-" + tablePrefix.replace("_", ""));
        limitNetworkWaits(config, jdbcUrl, networkTimeout, behindTransactionPooler);
        if (jdbcUrl.startsWith("jdbc:postgresql:")) {
            // The server's detail of an error can quote a row's values ("Key (unique_key)=(...)
            // already exists"); the messages the store logs keep to the error itself. A
            // setting in the URL wins.
            config.addDataSourceProperty("logServerErrorDetail", "false");
            if (!behindTransactionPooler) {
                config.addDataSourceProperty("options", "-c plan_cache_mode=" + PLAN_CACHE_MODE);
            }
        }
        if (behindTransactionPooler) {
            // PgBouncer before 1.21 cannot follow named statements across server connections;
            // a prepareThreshold in the URL (for a pooler that can) wins over this.
            config.addDataSourceProperty("prepareThreshold", "0");
        } else {
            config.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
        }
        try {
            return new HikariDataSource(config);
        } catch (RuntimeException e) {
            throw new StoreUnavailableException("could not connect to " + jdbcUrl + ": " + e.getMessage(), e);
        }
    }

    /**
     * Bounds each wait on the network, in the driver's own terms (a setting in the URL wins),
     * and has the server end a session left idle inside a transaction for as long: a worker cut
     * off in the middle of a transaction would otherwise hold its row locks until the server's
     * TCP keepalive gives up on it, hours later, and the jobs it locked could not be reclaimed.
     */
    private static void limitNetworkWaits(
            HikariConfig config, String jdbcUrl, Duration networkTimeout, boolean behindTransactionPooler) {
        if (networkTimeout.isZero()) {
            return;
        }
        long millis = networkTimeout.toMillis();
        if (jdbcUrl.startsWith("jdbc:postgresql:")) {
            String seconds = Long.toString(networkTimeout.toSeconds());
            config.addDataSourceProperty("socketTimeout", seconds);
            config.addDataSourceProperty("connectTimeout", seconds);
            config.addDataSourceProperty("tcpKeepAlive", "true");
            if (!behindTransactionPooler) {
                // A pooler in transaction mode would carry a session setting over to other clients.
                config.setConnectionInitSql("SET idle_in_transaction_session_timeout = " + millis);
            }
        } else if (jdbcUrl.startsWith("jdbc:mariadb:") || jdbcUrl.startsWith("jdbc:mysql:")) {
            config.addDataSourceProperty("socketTimeout", Long.toString(millis));
            config.addDataSourceProperty("connectTimeout", Long.toString(millis));
            if (jdbcUrl.startsWith("jdbc:mariadb:")) {
                // MariaDB's own variable (10.3 and later); MySQL has none like it.
                config.setConnectionInitSql(
                        "SET SESSION idle_transaction_timeout = " + Math.max(1, networkTimeout.toSeconds()));
            }
        }
        config.setConnectionTimeout(millis);
    }

    /**
     * Behind a transaction pooler each transaction may run on a different server connection, so
     * nothing may rest on session state: the store takes no session locks (migrations lock per
     * transaction) and never changes a session's isolation level, which needs the database's
     * default to be READ COMMITTED. Server-side prepared statements, which pgjdbc makes after a
     * statement's fifth run, need a pooler that tracks them (PgBouncer 1.21+, {@code
     * max_prepared_statements}).
     */
    static void requireNoSessionState(Jdbi jdbi, SqlDialect dialect, boolean readCommittedByDefault) {
        if (!(dialect instanceof PostgresDialect)) {
            throw new IllegalArgumentException(
                    "behindTransactionPooler is for PostgreSQL behind PgBouncer or the like, not " + dialect.name());
        }
        if (!readCommittedByDefault) {
            throw new IllegalArgumentException("behind a transaction pooler the database's"
                    + " default_transaction_isolation must be 'read committed': the store cannot set it per"
                    + " session there");
        }
        int prepareThreshold = jdbi.withHandle(h -> PostgresDialect.prepareThreshold(h.getConnection()));
        if (prepareThreshold > 0) {
            log.warn(
                    "the store's connections go through a transaction pooler but use server-side prepared"
                            + " statements (prepareThreshold={}): that needs PgBouncer 1.21+ with max_prepared_statements"
                            + " set; with an older pooler add prepareThreshold=0 to the JDBC URL",
                    prepareThreshold);
        }
    }
}
