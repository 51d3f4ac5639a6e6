package dev.jobs.store.jdbc;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hears of new work that other processes announce (PostgreSQL's LISTEN/NOTIFY) on one connection
 * held open by one thread, and tells the store's subscribers which queue got claimable jobs.
 * Thread-safe.
 */
final class Notifications {
    private static final Logger log = LoggerFactory.getLogger(JdbcJobStore.class);

    /** Opens a connection; the caller closes it. */
    @FunctionalInterface
    interface ConnectionSource {
        Connection open() throws SQLException;
    }

    private final SqlDialect dialect;
    private final String channel;

    /**
     * Opens the connection that LISTENs for new jobs: one of the pool's, or a direct one when the
     * pool goes through a transaction pooler; empty when there is none to be had and workers poll.
     */
    private final Optional<ConnectionSource> listenConnections;

    private final boolean listensDirectly;
    private final List<Consumer<String>> subscribers = new CopyOnWriteArrayList<>();
    private volatile boolean listening;
    private Thread listener;

    Notifications(
            SqlDialect dialect, String channel, Optional<ConnectionSource> listenConnections, boolean listensDirectly) {
        this.dialect = dialect;
        this.channel = channel;
        this.listenConnections = listenConnections;
        this.listensDirectly = listensDirectly;
    }

    /**
     * Where the connection that LISTENs comes from: a direct one to {@code listenJdbcUrl} when given,
     * none behind a transaction pooler (a pooled connection holds a LISTEN only until its
     * transaction ends: notifications would go to whichever client the pooler hands that server
     * connection to next), else one of the pool's.
     */
    static Optional<ConnectionSource> listenConnections(
            SqlDialect dialect,
            String listenJdbcUrl,
            String user,
            String password,
            boolean behindTransactionPooler,
            DataSource pool) {
        if (listenJdbcUrl != null) {
            if (!dialect.supportsNotifications()) {
                throw new IllegalArgumentException(
                        "listenJdbcUrl is for PostgreSQL's LISTEN/NOTIFY; " + dialect.name() + " has none");
            }
            return Optional.of(() -> DriverManager.getConnection(listenJdbcUrl, user, password));
        }
        return behindTransactionPooler ? Optional.empty() : Optional.of(pool::getConnection);
    }

    /** See {@link dev.jobs.core.spi.JobStore#subscribe}. */
    boolean subscribe(Consumer<String> onQueueChanged) {
        if (!dialect.supportsNotifications()) {
            return false;
        }
        if (listenConnections.isEmpty()) {
            log.info("idle workers poll for new jobs: the store is behind a transaction pooler, where LISTEN"
                    + " cannot hold, and has no listenJdbcUrl for a direct connection");
            return false;
        }
        subscribers.add(onQueueChanged);
        synchronized (this) {
            if (listener == null) {
                listening = true;
                listener = Thread.ofPlatform()
                        .daemon()
                        .name("jobs-listen-" + channel)
                        .start(this::listen);
                log.info(
                        "idle workers wake on {} notifications (channel {}), heard on {}",
                        dialect.name(),
                        channel,
                        listensDirectly ? "a direct connection (listenJdbcUrl)" : "a connection of the pool");
            }
        }
        return true;
    }

    /** Holds one connection listening for new work; reconnects with back-off when it fails. */
    private void listen() {
        Duration backoff = Duration.ofMillis(100);
        while (listening) {
            try (Connection connection = listenConnections.orElseThrow().open()) {
                // Anything announced while we were away is unknown: let every waiter look.
                subscribers.forEach(s -> s.accept("*"));
                dialect.listen(
                        connection, channel, queue -> subscribers.forEach(s -> s.accept(queue)), () -> listening);
                backoff = Duration.ofMillis(100);
            } catch (SQLException | RuntimeException e) {
                if (!listening) {
                    return;
                }
                log.warn(
                        "listening for new jobs failed; workers poll until it reconnects in {}: {}",
                        backoff,
                        e.toString());
                LockSupport.parkNanos(backoff.toNanos());
                backoff = backoff.multipliedBy(2).compareTo(Duration.ofSeconds(5)) > 0
                        ? Duration.ofSeconds(5)
                        : backoff.multipliedBy(2);
            }
        }
    }

    /** Stops listening and waits a while for the listening thread to end. */
    void stop() {
        Thread running;
        synchronized (this) {
            listening = false;
            running = listener;
        }
        if (running != null) {
            try {
                running.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
