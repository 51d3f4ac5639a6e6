package dev.jobs.store.jdbc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A PgBouncer of the tests' own in transaction mode, on a free loopback port, in front of a
 * PostgreSQL {@link TestDatabase}: consecutive transactions of one client may run on different
 * server connections, as in production behind a pooler. Its server pool is kept small so that
 * they do. The binary is {@code JOBS_TEST_PGBOUNCER}, else Debian's {@code /usr/sbin/pgbouncer},
 * else {@code pgbouncer} on the PATH; without it the test fails and says so. Started once per test
 * JVM and stopped when it exits.
 */
final class PgBouncer {
    /** How long PgBouncer may take to accept connections after it starts: it starts in milliseconds. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

    /** Server connections per database and user: fewer than the clients, so sessions get shuffled. */
    static final int SERVER_POOL_SIZE = 4;

    private static PgBouncer running;

    private final int port;
    private final String database;

    private PgBouncer(int port, String database) {
        this.port = port;
        this.database = database;
    }

    /** The shared PgBouncer in front of {@code server}, started on first use. */
    static synchronized PgBouncer in(TestDatabase server) {
        if (running == null) {
            running = start(server);
        }
        return running;
    }

    /** A JDBC URL to the database through the pooler, with no server-side prepared statements (PgBouncer 1.18). */
    String url() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database + "?prepareThreshold=0";
    }

    private static PgBouncer start(TestDatabase server) {
        URI target = URI.create(server.url().substring("jdbc:".length()));
        String database = target.getPath().substring(1);
        int port = freePort();
        try {
            Path dir = Files.createTempDirectory("jobs-pgbouncer");
            // Open to the unprivileged user PgBouncer switches to when started as root, for its log.
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
            Path users = dir.resolve("users.txt");
            Files.writeString(users, "\"" + server.user() + "\" \"" + server.password() + "\"\n");
            Path config = dir.resolve("pgbouncer.ini");
            Files.writeString(
                    config,
                    String.join(
                            "\n",
                            "[databases]",
                            database + " = host=" + target.getHost() + " port=" + target.getPort() + " dbname="
                                    + database,
                            "[pgbouncer]",
                            "listen_addr = 127.0.0.1",
                            "listen_port = " + port,
                            "unix_socket_dir =",
                            "auth_type = trust",
                            "auth_file = " + users,
                            "pool_mode = transaction",
                            "default_pool_size = " + SERVER_POOL_SIZE,
                            "max_client_conn = 500",
                            // pgjdbc sends it at start-up; PgBouncer before 1.20 refuses what it does not know.
                            "ignore_startup_parameters = extra_float_digits",
                            "logfile = " + dir.resolve("pgbouncer.log"),
                            ""));
            var command = new ArrayList<>(List.of(binary()));
            if ("root".equals(System.getProperty("user.name"))) {
                command.addAll(List.of("-u", "nobody")); // PgBouncer will not run as root
            }
            command.add(config.toString());
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("stdout.log").toFile())
                    .start();
            Runtime.getRuntime().addShutdownHook(new Thread(process::destroy));
            awaitListening(port, process, dir);
            return new PgBouncer(port, database);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "could not start PgBouncer (" + e.getMessage()
                            + "): install Debian's pgbouncer package or set JOBS_TEST_PGBOUNCER to its binary",
                    e);
        }
    }

    private static String binary() {
        return Optional.ofNullable(System.getenv("JOBS_TEST_PGBOUNCER"))
                .filter(v -> !v.isBlank())
                .or(() -> Optional.of("/usr/sbin/pgbouncer").filter(p -> Files.isExecutable(Path.of(p))))
                .orElse("pgbouncer");
    }

    private static void awaitListening(int port, Process process, Path dir) throws IOException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("PgBouncer exited at start (code " + process.exitValue() + "): "
                        + log(dir) + "; install Debian's pgbouncer package or set JOBS_TEST_PGBOUNCER");
            }
            try (var socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                sleep();
            }
        }
        process.destroyForcibly();
        throw new IllegalStateException(
                "PgBouncer did not listen on port " + port + " within " + START_TIMEOUT + ": " + log(dir));
    }

    private static String log(Path dir) throws IOException {
        var text = new StringBuilder();
        for (String name : List.of("stdout.log", "pgbouncer.log")) {
            Path file = dir.resolve(name);
            if (Files.exists(file)) {
                text.append(Files.readString(file).strip()).append(' ');
            }
        }
        return text.toString().strip();
    }

    private static void sleep() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting PgBouncer", e);
        }
    }

    private static int freePort() {
        try (var socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
