package dev.jobs.http;

import static dev.jobs.testing.JobsTesting.EVENTUALLY;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jobs.core.JobEngine;
import dev.jobs.core.QueueCounts;
import dev.jobs.store.jdbc.JdbcJobStore;
import dev.jobs.store.jdbc.TestDatabase;
import dev.jobs.testing.ReliabilityFigures;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The HTTP API on PostgreSQL under a flood of job creations, many more at once than it allows in
 * progress, while a monitor asks {@code /health} every 50 ms. The API must shed what it cannot
 * take with {@code 503} rather than fail or fall over, answer every health probe, and store
 * exactly the jobs it said it created: none lost, none from a shed request half-written.
 */
@Tag("reliability")
class HttpFloodTest {
    private static final String TOKEN = "admin-token-0123456789";
    private static final int REQUESTS = 20_000;
    private static final int IN_FLIGHT = 256;
    private static final int MAX_CONCURRENT = 32;

    private final TestDatabase database = TestDatabase.postgres();
    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    private final ObjectMapper mapper = new ObjectMapper();
    private JdbcJobStore store;
    private JobEngine engine;
    private JobsHttpServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (engine != null) {
            engine.close();
        }
        if (store != null) {
            store.close();
        }
        database.dropTables();
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(EVENTUALLY) // answered or shed in milliseconds
                .header("Authorization", "Bearer " + TOKEN);
    }

    @Test
    void aFloodOfCreatesIsShedWith503WhileHealthIsAnsweredAndNothingIsHalfWritten() throws Exception {
        store = database.emptyStore(Clock.systemUTC());
        engine = JobEngine.builder().store(store).build();
        server = JobsHttpServer.start(
                JobsHttpApi.builder()
                        .engine(engine)
                        .token(TOKEN, Role.ADMIN)
                        .maxConcurrentRequests(MAX_CONCURRENT)
                        .build(),
                new InetSocketAddress("127.0.0.1", 0));

        var created = ConcurrentHashMap.<UUID>newKeySet();
        var statuses = new ConcurrentHashMap<Integer, AtomicInteger>();
        var failures = new ConcurrentLinkedQueue<String>();
        var monitoring = new AtomicBoolean(true);
        var probes = new AtomicInteger();
        var unhealthy = new ConcurrentLinkedQueue<String>();
        var slowestProbeNanos = new AtomicLong();
        Thread monitor = Thread.ofPlatform().start(() -> {
            while (monitoring.get()) {
                long start = System.nanoTime();
                try {
                    HttpResponse<String> health = client.send(request("/health").build(), BodyHandlers.ofString());
                    if (health.statusCode() != 200) {
                        unhealthy.add(health.statusCode() + " " + health.body());
                    }
                } catch (Exception e) {
                    unhealthy.add(e.toString());
                }
                slowestProbeNanos.accumulateAndGet(System.nanoTime() - start, Math::max);
                probes.incrementAndGet();
                sleepQuietly(50);
            }
        });

        var permits = new Semaphore(IN_FLIGHT);
        long start = System.nanoTime();
        for (int i = 0; i < REQUESTS; i++) {
            permits.acquire();
            String body = "{\"type\":\"flood\",\"payload\":{\"n\":" + i + "}}";
            client.sendAsync(
                            request("/api/jobs")
                                    .header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString(body))
                                    .build(),
                            BodyHandlers.ofString())
                    .whenComplete((response, error) -> {
                        try {
                            if (error != null) {
                                failures.add(error.toString());
                                return;
                            }
                            statuses.computeIfAbsent(response.statusCode(), s -> new AtomicInteger())
                                    .incrementAndGet();
                            if (response.statusCode() == 201) {
                                created.add(UUID.fromString(mapper.readTree(response.body())
                                        .get("id")
                                        .asText()));
                            } else if (response.statusCode() != 503) {
                                failures.add(response.statusCode() + " " + response.body());
                            }
                        } catch (Exception e) {
                            failures.add(e.toString());
                        } finally {
                            permits.release();
                        }
                    });
        }
        assertThat(permits.tryAcquire(IN_FLIGHT, 2, TimeUnit.MINUTES))
                .as("every request answered")
                .isTrue();
        Duration flood = Duration.ofNanos(System.nanoTime() - start);
        monitoring.set(false);
        monitor.join();

        long stored = store.counts().stream().mapToLong(QueueCounts::unfinished).sum();
        long missing = created.stream().filter(id -> store.get(id).isEmpty()).count();
        int shed = statuses.getOrDefault(503, new AtomicInteger()).get();
        ReliabilityFigures.scenario("http-flood", "HTTP flood")
                .reproduce("./mvnw verify -pl jobs-http-adapter -am -Dtest=HttpFloodTest"
                        + " -Dsurefire.failIfNoSpecifiedTests=false")
                .faults(
                        1,
                        REQUESTS + " job creations over HTTP, " + IN_FLIGHT + " at a time, against a limit of "
                                + MAX_CONCURRENT + " in progress")
                .accepted(created.size(), missing)
                .figure("answers by status", new TreeMap<>(Map.copyOf(statuses)))
                .figure("requests that failed otherwise (errors, other statuses)", failures.size())
                .figure("jobs the API said it created", created.size())
                .figure("jobs in the store", stored)
                .figure("created jobs missing from the store", missing)
                .figure("health probes during the flood", probes.get())
                .figure("health probes not answered 200", unhealthy.size())
                .figure("slowest health probe", Duration.ofNanos(slowestProbeNanos.get()))
                .figure("time the flood took", flood)
                .write();
        assertThat(failures).as("answers other than 201 and 503").isEmpty();
        assertThat(shed).as("requests shed").isPositive();
        assertThat(unhealthy).as("health probes not answered 200").isEmpty();
        assertThat(missing).as("created jobs missing from the store").isZero();
        assertThat(stored).as("jobs in the store: those created, no more").isEqualTo(created.size());
        assertThat(Set.copyOf(statuses.keySet())).containsOnly(201, 503);
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
