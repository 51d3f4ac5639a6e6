package dev.jobs.queue.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A {@code redis-server} of a test's own, on a free loopback port, so the test can flush, stop and
 * restart it without touching any other test's server. Without persistence: a restart loses
 * everything, as a cache-only Redis does. The binary is {@code JOBS_TEST_REDIS_SERVER}, else {@code
 * redis-server} on the PATH; without it the test fails and says so.
 */
final class RedisServerProcess implements AutoCloseable {
    /** How long a server may take to answer after it starts: it starts in milliseconds, empty. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

    private final int port;
    private final List<String> extraArgs;
    /** A Sentinel's configuration (it rewrites the file as it learns), or null for a server. */
    private final String sentinelConfig;

    private final Path dir;
    private Process process;

    private RedisServerProcess(int port, List<String> extraArgs, String sentinelConfig) {
        this.port = port;
        this.extraArgs = List.copyOf(extraArgs);
        this.sentinelConfig = sentinelConfig;
        try {
            this.dir = Files.createTempDirectory("jobs-redis-" + port);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts a standalone server. */
    static RedisServerProcess start() {
        return start(List.of());
    }

    static RedisServerProcess start(List<String> extraArgs) {
        var server = new RedisServerProcess(freePort(), extraArgs, null);
        server.startProcess();
        return server;
    }

    /** How long a Sentinel started here waits, without an answer, before it calls a master down. */
    static final Duration SENTINEL_DOWN_AFTER = Duration.ofSeconds(1);

    /** Starts a Sentinel watching the master on {@code masterPort}, quick to declare it down. */
    static RedisServerProcess sentinel(String masterName, int masterPort) {
        String config = String.join(
                "\n",
                "sentinel monitor " + masterName + " 127.0.0.1 " + masterPort + " 1",
                "sentinel down-after-milliseconds " + masterName + " " + SENTINEL_DOWN_AFTER.toMillis(),
                "sentinel failover-timeout " + masterName + " 5000",
                "");
        var sentinel = new RedisServerProcess(freePort(), List.of(), config);
        sentinel.startProcess();
        return sentinel;
    }

    static int freePort() {
        try (var socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int port() {
        return port;
    }

    String uri() {
        return "redis://127.0.0.1:" + port;
    }

    /** Stops the server the hard way (as a crash would) and starts it again, empty, on the same port. */
    void restart() {
        stop();
        startProcess();
    }

    void stop() {
        if (process != null) {
            process.destroyForcibly();
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            process = null;
        }
    }

    void startProcess() {
        String binary = Optional.ofNullable(System.getenv("JOBS_TEST_REDIS_SERVER"))
                .filter(v -> !v.isBlank())
                .orElse("redis-server");
        var command = new ArrayList<String>();
        command.add(binary);
        if (sentinelConfig != null) {
            Path config = dir.resolve("sentinel.conf");
            if (!Files.exists(config)) {
                try {
                    Files.writeString(config, sentinelConfig);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            command.addAll(List.of(config.toString(), "--sentinel"));
        } else {
            command.addAll(List.of("--save", "", "--appendonly", "no"));
        }
        command.addAll(List.of("--port", Integer.toString(port), "--bind", "127.0.0.1", "--dir", dir.toString()));
        command.addAll(extraArgs);
        try {
            process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("server.log").toFile())
                    .start();
        } catch (IOException e) {
            throw new IllegalStateException(
                    "cannot run " + binary + " (" + e.getMessage() + "): install Redis (.ci/run does) or set"
                            + " JOBS_TEST_REDIS_SERVER to the redis-server binary",
                    e);
        }
        awaitUp();
    }

    private void awaitUp() {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        RedisClient client = RedisClient.create(RedisURI.create(uri()));
        try {
            while (true) {
                try (var connection = client.connect()) {
                    connection.sync().ping();
                    return;
                } catch (RuntimeException e) {
                    if (!process.isAlive() || System.nanoTime() > deadline) {
                        throw new IllegalStateException(
                                "redis-server on port " + port + " did not start; its log: " + log(), e);
                    }
                    sleep(Duration.ofMillis(50));
                }
            }
        } finally {
            client.shutdown();
        }
    }

    private String log() {
        try {
            return Files.readString(dir.resolve("server.log"));
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public void close() {
        stop();
    }
}
