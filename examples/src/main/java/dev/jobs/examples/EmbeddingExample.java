package dev.jobs.examples;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.jobs.core.Job;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobSpec;
import dev.jobs.store.jdbc.JdbcJobStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import javax.sql.DataSource;

/**
 * The engine as a library inside a host application that already has a database: the job store
 * shares the host's {@link DataSource}, an order and the job that emails its receipt are written
 * in one transaction (the job exists only if the order does), and a handler in the same process
 * runs it.
 *
 * <p>Run it (with Java 21 or newer) as {@code java -cp examples/target/jobs-example-server.jar
 * dev.jobs.examples.EmbeddingExample}.
 */
public final class EmbeddingExample {
    /** The receipt job's payload. */
    public record Receipt(long orderId, String email) {}

    private EmbeddingExample() {}

    public static void main(String[] args) throws Exception {
        try (HikariDataSource dataSource = hostDataSource()) {
            Job done = placeOrderAndSendReceipt(dataSource, "ada@example.com");
            System.out.println("receipt job " + done.id() + " " + done.state() + ": "
                    + done.result().orElseThrow());
        }
    }

    /**
     * Places an order and enqueues its receipt in the host's transaction, then waits for the
     * in-process worker to send it.
     */
    static Job placeOrderAndSendReceipt(DataSource dataSource, String email) throws SQLException {
        // The host's schema; the store adds its own tables (prefix jobs_) beside it.
        try (Connection connection = dataSource.getConnection()) {
            connection
                    .createStatement()
                    .execute("CREATE TABLE IF NOT EXISTS orders (id BIGINT PRIMARY KEY, email VARCHAR(255))");
        }
        try (JdbcJobStore store = JdbcJobStore.builder().dataSource(dataSource).build();
                JobEngine engine = JobEngine.builder()
                        .store(store)
                        .register(
                                "receipt.send",
                                Receipt.class,
                                ctx -> "sent receipt of order " + ctx.payload().orderId() + " to "
                                        + ctx.payload().email())
                        .build()
                        .start()) {
            Job job;
            try (Connection connection = dataSource.getConnection()) {
                connection.setAutoCommit(false);
                long orderId = 42;
                try (PreparedStatement insert =
                        connection.prepareStatement("INSERT INTO orders (id, email) VALUES (?, ?)")) {
                    insert.setLong(1, orderId);
                    insert.setString(2, email);
                    insert.executeUpdate();
                }
                job = store.enqueueIn(
                                connection, engine, List.of(JobSpec.of("receipt.send", new Receipt(orderId, email))))
                        .get(0);
                connection.commit(); // the order and its job, or neither
            }
            return engine.await(job.id(), Duration.ofSeconds(30));
        }
    }

    /** Stands in for the pool a host application already has: an in-memory H2 database. */
    private static HikariDataSource hostDataSource() {
        var config = new HikariConfig();
        config.setJdbcUrl("jdbc:h2:mem:shop;DB_CLOSE_DELAY=-1");
        config.setUsername("sa");
        config.setPassword("");
        config.setMaximumPoolSize(4);
        return new HikariDataSource(config);
    }
}
