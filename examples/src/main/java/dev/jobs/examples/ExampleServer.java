package dev.jobs.examples;

import dev.jobs.core.JobEngine;
import dev.jobs.core.JobEngineBuilder;
import dev.jobs.http.JobsHttpApi;
import dev.jobs.http.JobsHttpServer;
import dev.jobs.http.JwtSettings;
import dev.jobs.http.Role;
import dev.jobs.queue.redis.RedisJobQueue;
import dev.jobs.store.jdbc.JdbcJobStore;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The engine as a server in one command: a JDBC store (an H2 file under {@code ./data} unless
 * {@code JOBS_JDBC_URL} names PostgreSQL or MariaDB), in-process workers running the demo
 * handlers, and the HTTP API on port 8080 of the loopback address. Stops gracefully on SIGTERM or Ctrl-C: running jobs
 * finish, or give their leases back when they do not in time. Settings: {@link Settings}.
 */
public final class ExampleServer implements AutoCloseable {
    private final Settings settings;
    private final DataDirectory dataDir;
    private final DataDirectory.ApiToken apiToken;
    private final JdbcJobStore store;
    private final JobEngine engine;
    private final JobsHttpServer http;

    private ExampleServer(
            Settings settings,
            DataDirectory dataDir,
            DataDirectory.ApiToken apiToken,
            JdbcJobStore store,
            JobEngine engine,
            JobsHttpServer http) {
        this.settings = settings;
        this.dataDir = dataDir;
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
        DataDirectory dataDir = DataDirectory.open(settings.dataDir());
        dataDir.openToOthers().ifPresent(warning -> System.err.println("jobs-example-server: warning: " + warning));
        DataDirectory.ApiToken token = dataDir.token(settings.apiToken());
        JdbcJobStore store = JdbcJobStore.builder()
                .jdbcUrl(
                        settings.jdbcUrl().orElseGet(dataDir::h2Url),
                        settings.jdbcUrl().isPresent() ? settings.jdbcUser() : "sa",
                        settings.jdbcUrl().isPresent() ? settings.jdbcPassword() : "")
                .build();
        JobEngine engine = null;
        try {
            var registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            JobEngineBuilder builder = JobEngine.builder().store(store).meterRegistry(registry);
            settings.redisUrl()
                    .ifPresent(url -> builder.queue(
                            observed -> RedisJobQueue.builder().uri(url).build(observed)));
            if (settings.workers() > 0) {
                DemoJobs.register(builder).queue(DemoJobs.QUEUE, settings.workers());
            }
            engine = builder.build().start();
            JobsHttpApi.Builder apiBuilder = JobsHttpApi.builder()
                    .engine(engine)
                    .token(token.value(), Role.ADMIN)
                    .prometheusScrape(registry::scrape);
            settings.jwt()
                    .ifPresent(jwt -> apiBuilder.jwt(JwtSettings.builder()
                            .jwksUrl(jwt.jwksUrl())
                            .issuer(jwt.issuer())
                            .audience(jwt.audience())
                            .rolesClaim(jwt.rolesClaim())
                            .build()));
            JobsHttpApi api = apiBuilder.build();
            JobsHttpServer http =
                    JobsHttpServer.start(api, new InetSocketAddress(settings.httpHost(), settings.httpPort()));
            return new ExampleServer(settings, dataDir, token, store, engine, http);
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
        return apiToken.value();
    }

    /** The address the API listens on. */
    InetSocketAddress address() {
        return http.address();
    }

    String banner() {
        String base = "http://" + (loopbackOnly() ? "localhost" : hostName()) + ":" + port();
        String database = settings.jdbcUrl()
                .map(url -> url.replaceAll("//[^/@]*@", "//"))
                .orElse("H2 file database in " + settings.dataDir());
        return String.join(
                System.lineSeparator(),
                "jobs example server is up",
                "  Dashboard:    " + base + "/   (sign in with the admin token)",
                "  API:          " + base + "/api/jobs   (contract: " + base + "/openapi.json)",
                "  Health:       " + base + "/health     Metrics: " + base + "/metrics",
                "  Listening on: " + address().getAddress().getHostAddress() + " port " + port()
                        + (loopbackOnly()
                                ? "   (this machine only; set JOBS_HTTP_HOST=0.0.0.0 to accept others)"
                                : "   (every machine that can reach it: keep the token secret)"),
                "  Admin token:  " + tokenLine(),
                "  JWTs:         "
                        + settings.jwt()
                                .map(jwt -> "from " + jwt.issuer() + " for '" + jwt.audience() + "', roles in '"
                                        + jwt.rolesClaim() + "', keys at " + jwt.jwksUrl())
                                .orElse("not accepted (set JOBS_JWT_JWKS_URL, JOBS_JWT_ISSUER and JOBS_JWT_AUDIENCE)"),
                "  Database:     " + database,
                "  Dispatch:     "
                        + settings.redisUrl()
                                .map(url -> "Redis at " + url.replaceAll("//[^/@]*@", "//"))
                                .orElse("from the database (set JOBS_REDIS_URL to dispatch through Redis)"),
                "  Workers:      "
                        + (settings.workers() == 0
                                ? "none in this process (API only: remote workers take the jobs)"
                                : settings.workers() + " on queue '" + DemoJobs.QUEUE + "' (the demo handlers)"),
                "  Try:          curl -s -H \"Authorization: Bearer $T\" -H 'Content-Type: application/json' \\",
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

    /**
     * The token is printed only the once it is made: a token the user gave, or one saved by an
     * earlier start, stays out of the terminal's scrollback and any log the output goes to.
     */
    private String tokenLine() {
        return switch (apiToken.source()) {
            case GENERATED ->
                apiToken.value() + "   (new: saved in " + dataDir.tokenFile()
                        + ", readable by you only, and not printed again; set JOBS_API_TOKEN to choose one)";
            case SAVED -> "in " + dataDir.tokenFile() + "   (T=$(cat " + dataDir.tokenFile() + "))";
            case GIVEN -> "the one in JOBS_API_TOKEN   (T=\"$JOBS_API_TOKEN\")";
        };
    }

    private boolean loopbackOnly() {
        return address().getAddress().isLoopbackAddress();
    }

    private String hostName() {
        return address().getAddress().isAnyLocalAddress() ? "<this host>" : settings.httpHost();
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
