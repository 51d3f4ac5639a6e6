package dev.jobs.bench;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * PostgreSQL with no engine at all: one single-row INSERT and COMMIT per call, the ceiling for any
 * engine that commits each job it is given. Reported beside the one-per-call enqueue figures.
 */
final class CommitBaseline {
    private static final String TABLE = "bench_commit_baseline";
    private final Servers.Database db;

    CommitBaseline(Servers servers) {
        this.db = servers.postgres();
    }

    static final String NAME = "PostgreSQL alone: INSERT + COMMIT per row";

    /** Inserts {@code rows} rows, each committed on its own, from {@code threads} threads at once. */
    Duration insertsCommitted(int rows, int threads) throws Exception {
        try (Connection connection = DriverManager.getConnection(db.url(), db.user(), db.password());
                Statement statement = connection.createStatement()) {
            statement.execute("DROP TABLE IF EXISTS " + TABLE);
            statement.execute("CREATE TABLE " + TABLE + " (id bigserial PRIMARY KEY, payload text NOT NULL)");
        }
        try (HikariDataSource pool = Load.pool(db, threads, "commit-baseline")) {
            return Load.concurrently(rows, threads, i -> insert(pool));
        }
    }

    private static void insert(HikariDataSource pool) throws SQLException {
        try (Connection connection = pool.getConnection();
                PreparedStatement insert =
                        connection.prepareStatement("INSERT INTO " + TABLE + " (payload) VALUES ('{}')")) {
            insert.executeUpdate(); // auto-commit: the row is committed when this returns
        }
    }
}
