package dev.jobs.store.jdbc;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.IntSupplier;
import org.jdbi.v3.core.ConnectionException;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the versioned schema files ({@code schema/<database>/V<n>__<what>.sql}) that this
 * database has not seen yet, each once, recording them in {@code <prefix>schema_version}. Runs
 * under the dialect's migration lock, so ten instances starting at once apply each step once: the
 * first migrates, the others wait, then find nothing left to do.
 *
 * <p>The same files are what a host that runs Flyway or Liquibase itself applies, with {@code
 * ${prefix}} replaced by its table prefix.
 */
final class SchemaMigrator {
    private static final Logger log = LoggerFactory.getLogger(SchemaMigrator.class);

    /** Every migration, in order; a new one is appended, never edited once released. */
    static final List<String> MIGRATIONS = List.of(
            "V1__jobs.sql",
            "V2__worker_liveness.sql",
            "V3__idempotency_keys.sql",
            "V4__attempt_history.sql",
            "V5__finished_index.sql",
            "V6__claim_order.sql",
            "V7__live_apart_from_history.sql",
            "V8__lease_index_on_leases.sql",
            "V9__recurring.sql",
            "V10__queue_limits.sql",
            "V11__stored_claim_column.sql",
            "V12__worker_owner.sql",
            "V13__worker_stopped.sql",
            "V14__dependents_flag.sql",
            "V15__finished_counts.sql",
            "V16__unannounced.sql",
            "V17__steps.sql",
            "V18__checkpoints.sql",
            "V19__dependency_names.sql");

    private final Jdbi jdbi;
    private final SqlDialect dialect;
    private final String prefix;
    private final List<String> migrations;

    SchemaMigrator(Jdbi jdbi, SqlDialect dialect, String prefix) {
        this(jdbi, dialect, prefix, MIGRATIONS);
    }

    /** A migrator that knows only {@code migrations}, the first of {@link #MIGRATIONS}, as an older release did. */
    SchemaMigrator(Jdbi jdbi, SqlDialect dialect, String prefix, List<String> migrations) {
        this.jdbi = jdbi;
        this.dialect = dialect;
        this.prefix = prefix;
        this.migrations = List.copyOf(migrations);
    }

    /** Brings the schema up to date; returns how many migrations it applied. */
    int migrate() {
        String lock = "jobs-schema-" + prefix;
        return jdbi.withHandle(handle -> withoutNetworkTimeout(
                handle.getConnection(), () -> dialect.migrateExclusively(handle, lock, this::applyMissing)));
    }

    /**
     * Runs {@code migration} with the connection's network timeout lifted: building an index on a
     * big table, or waiting for another instance's migration, may rightly take longer than any
     * answer of the store's everyday statements.
     */
    private static int withoutNetworkTimeout(Connection connection, IntSupplier migration) {
        int timeout;
        try {
            timeout = connection.getNetworkTimeout();
            if (timeout > 0) {
                connection.setNetworkTimeout(Runnable::run, 0);
            }
        } catch (SQLException e) {
            throw new ConnectionException(e);
        }
        try {
            return migration.getAsInt();
        } finally {
            if (timeout > 0) {
                try {
                    connection.setNetworkTimeout(Runnable::run, timeout);
                } catch (SQLException e) {
                    log.warn("could not restore the network timeout of a connection after migrating", e);
                }
            }
        }
    }

    private int applyMissing(Handle handle) {
        String versionTable = prefix + "schema_version";
        handle.execute("CREATE TABLE IF NOT EXISTS " + versionTable
                + " (version integer PRIMARY KEY, script varchar(255) NOT NULL, applied_at "
                + dialect.timestampType() + " NOT NULL)");
        Set<Integer> applied = new HashSet<>(handle.createQuery("SELECT version FROM " + versionTable)
                .mapTo(Integer.class)
                .list());
        int count = 0;
        for (int i = 0; i < migrations.size(); i++) {
            int version = i + 1;
            if (applied.contains(version)) {
                continue;
            }
            String script = migrations.get(i);
            for (String statement : statements(script)) {
                handle.execute(statement);
            }
            handle.createUpdate("INSERT INTO " + versionTable
                            + " (version, script, applied_at) VALUES (:version, :script, :at)")
                    .bind("version", version)
                    .bind("script", script)
                    .bind("at", LocalDateTime.now(ZoneOffset.UTC))
                    .execute();
            log.info("applied schema migration {} ({}) with table prefix '{}'", script, dialect.name(), prefix);
            count++;
        }
        return count;
    }

    /** The statements of one script for this database, with the table prefix filled in. */
    List<String> statements(String script) {
        String path = "schema/" + dialect.name() + "/" + script;
        try (InputStream in = SchemaMigrator.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("migration " + path + " is missing from the jar");
            }
            String sql = new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("${prefix}", prefix);
            return Arrays.stream(sql.split(";\\s*(\\n|$)"))
                    .map(SchemaMigrator::withoutComments)
                    .filter(s -> !s.isBlank())
                    .toList();
        } catch (IOException e) {
            throw new IllegalStateException("could not read migration " + path, e);
        }
    }

    private static String withoutComments(String statement) {
        return statement.lines().filter(line -> !line.strip().startsWith("--")).reduce("", (a, b) -> a + b + "\n");
    }
}
