package dev.jobs.examples;

import dev.jobs.core.JobEngine;
import dev.jobs.http.JobsHttpApi;
import dev.jobs.http.JobsHttpServer;
import dev.jobs.http.Role;
import dev.jobs.queue.redis.RedisJobQueue;
import dev.jobs.store.jdbc.JdbcJobStore;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The engine as a server in one command: a JDBC store (an H2 file under {@code ./data} unless
 * {@code JOBS_JDBC_URL} names PostgreSQL or MariaDB), in-process workers running the demo
 * handlers, and the HTTP API on port 8080. Stops gracefully on SIGTERM or Ctrl-C: running jobs
 * finish, or give their leases back when they do not in time. Settings: {@link Settings}.
 */
public final class ExampleServer implements AutoCloseable {
    private final Settings settings;
    private final String apiToken;
    private final JdbcJobStore store;
    private final JobEngine engine;
    private final JobsHttpServer http;

    private ExampleServer(
            Settings settings, String apiToken, JdbcJobStore store, JobEngine engine, JobsHttpServer http) {
        this.settings = settings;
        this.apiToken = apiToken;
        this.store = store;
        this.engine = engine;
        this.http = http;
    }

    public static void main(String[] args) {
        quietLibraryLogs();
        Settings settings;
        try {
            settings = Settings.parse(List.of(args), System.getenv());
        } catch (Settings.Invalid e) {
            System.err.println("jobs-example-server: " + e.getMessage());
            System.exit(2);
            return;
        }
        ExampleServer server;
        try {
            server = start(settings);
        } catch (RuntimeException e) {
            System.err.println("jobs-example-server: could not start: " + e.getMessage());
            System.exit(1);
            return;
        }
        var stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            System.out.println("stopping: letting running jobs finish…");
                            server.close();
                            System.out.println("stopped");
                            stopped.countDown();
                        },
                        "jobs-example-server-stop"));
        System.out.println(server.banner());
        if (settings.demo()) {
            int count = DemoJobs.enqueue(server.engine).size();
            System.out.println("enqueued " + count + " demo jobs on queue '" + DemoJobs.QUEUE + "'");
        }
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Starts everything the settings describe; throws with a readable message if something cannot start. */
    static ExampleServer start(Settings settings) {
        createDataDir(settings.dataDir());
        String token = settings.apiToken().orElseGet(() -> savedOrNewToken(settings.dataDir()));
        JdbcJobStore store = JdbcJobStore.builder()
                .jdbcUrl(
                        settings.jdbcUrl().orElse(h2Url(settings.dataDir())),
                        settings.jdbcUrl().isPresent() ? settings.jdbcUser() : "sa",
                        settings.jdbcUrl().isPresent() ? settings.jdbcPassword() : "")
                .build();
        JobEngine engine = null;
        try {
            var registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            JobEngine.Builder builder = JobEngine.builder().store(store).meterRegistry(registry);
            settings.redisUrl()
                    .ifPresent(url -> builder.queue(
                            observed -> RedisJobQueue.builder().uri(url).build(observed)));
            if (settings.workers() > 0) {
                DemoJobs.register(builder).queue(DemoJobs.QUEUE, settings.workers());
            }
            engine = builder.build().start();
            JobsHttpApi api = JobsHttpApi.builder()
                    .engine(engine)
                    .token(token, Role.ADMIN)
                    .prometheusScrape(registry::scrape)
                    .build();
            JobsHttpServer http = JobsHttpServer.start(api, new InetSocketAddress(settings.httpPort()));
            return new ExampleServer(settings, token, store, engine, http);
        } catch (RuntimeException e) {
            if (engine != null) {
                engine.close();
            }
            store.close();
            throw e;
        }
    }

    /** The port the API listens on. */
    int port() {
        return http.port();
    }

    String apiToken() {
        return apiToken;
    }

    String banner() {
        String base = "http://localhost:" + port();
        String database = settings.jdbcUrl()
                .map(url -> url.replaceAll("//[^/@]*@", "//"))
                .orElse("H2 file database in " + settings.dataDir());
        return String.join(
                System.lineSeparator(),
                "jobs example server is up",
                "  Dashboard:    " + base + "/   (sign in with the admin token)",
                "  API:          " + base + "/api/jobs   (contract: " + base + "/openapi.json)",
                "  Health:       " + base + "/health     Metrics: " + base + "/metrics",
                "  Admin token:  " + apiToken
                        + (settings.apiToken().isPresent()
                                ? "   (from JOBS_API_TOKEN)"
                                : "   (saved in " + tokenFile(settings.dataDir())
                                        + "; set JOBS_API_TOKEN to choose one)"),
                "  Database:     " + database,
                "  Dispatch:     "
                        + settings.redisUrl()
                                .map(url -> "Redis at " + url.replaceAll("//[^/@]*@", "//"))
                                .orElse("from the database (set JOBS_REDIS_URL to dispatch through Redis)"),
                "  Workers:      "
                        + (settings.workers() == 0
                                ? "none in this process (API only: remote workers take the jobs)"
                                : settings.workers() + " on queue '" + DemoJobs.QUEUE + "' (the demo handlers)"),
                "  Try:          curl -s -H 'Authorization: Bearer " + apiToken
                        + "' -H 'Content-Type: application/json' \\",
                "                  -d '{\"type\":\"demo.flaky\",\"queue\":\"demo\"}' " + base + "/api/jobs",
                "Stop with Ctrl-C: running jobs finish first.");
    }

    /** Stops taking requests, lets running jobs finish (or gives their leases back), closes the store. */
    @Override
    public void close() {
        http.close();
        engine.close();
        store.close();
    }

    private static String h2Url(Path dataDir) {
        // The store closes the database on stop; H2's own exit hook would close it under running jobs.
        return "jdbc:h2:file:" + dataDir.resolve("jobs") + ";DB_CLOSE_ON_EXIT=FALSE";
    }

    private static void createDataDir(Path dataDir) {
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "the data directory " + dataDir + " cannot be created: " + e.getMessage(), e);
        }
    }

    private static Path tokenFile(Path dataDir) {
        return dataDir.resolve("api-token");
    }

    /** The token saved by an earlier start, so it survives restarts; a new random one on first start. */
    private static String savedOrNewToken(Path dataDir) {
        Path file = tokenFile(dataDir);
        try {
            if (Files.exists(file)) {
                String saved = Files.readString(file, StandardCharsets.UTF_8).trim();
                if (saved.length() >= Settings.MIN_TOKEN_LENGTH) {
                    return saved;
                }
            }
            byte[] random = new byte[24];
            new SecureRandom().nextBytes(random);
            String token = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
            Files.writeString(file, token + System.lineSeparator(), StandardCharsets.UTF_8);
            if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            }
            return token;
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "the API token file " + file + " cannot be read or written: " + e.getMessage(), e);
        }
    }

    /** The connection pool and driver log every connection at info; the server's own lines matter more. */
    private static void quietLibraryLogs() {
        for (String logger : List.of("com.zaxxer.hikari", "org.jdbi")) {
            String property = "org.slf4j.simpleLogger.log." + logger;
            if (System.getProperty(property) == null) {
                System.setProperty(property, "warn");
            }
        }
    }
}
