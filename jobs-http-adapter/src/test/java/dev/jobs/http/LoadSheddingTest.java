package dev.jobs.http;

import static dev.jobs.testing.JobsTesting.BULK_WORK;
import static dev.jobs.testing.JobsTesting.EVENTUALLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jobs.core.JobEngine;
import dev.jobs.core.memory.InMemoryJobStore;
import dev.jobs.core.spi.JobStore;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An HTTP API at its limit of requests in progress sheds the next ones with {@code 503} and
 * {@code Retry-After} at once, keeps answering {@code /health}, and serves again once the requests
 * in progress end.
 */
class LoadSheddingTest {
    private static final String TOKEN = "reader-token-0123456789";
    private static final int MAX_CONCURRENT = 2;

    /** Listings wait here, inside the store, so that requests stay in progress as long as the test wants. */
    private final CountDownLatch storeAnswers = new CountDownLatch(1);

    private final CountDownLatch listingsInStore = new CountDownLatch(MAX_CONCURRENT);
    private final HttpClient client = HttpClient.newHttpClient();
    private JobEngine engine;
    private JobsHttpServer server;

    @BeforeEach
    void start() {
        engine = JobEngine.builder().store(slowListings(new InMemoryJobStore())).build();
        var api = JobsHttpApi.builder()
                .engine(engine)
                .token(TOKEN, Role.READ)
                .maxConcurrentRequests(MAX_CONCURRENT)
                .build();
        server = JobsHttpServer.start(api, new InetSocketAddress("127.0.0.1", 0));
    }

    @AfterEach
    void stop() {
        storeAnswers.countDown();
        server.close();
        engine.close();
    }

    private JobStore slowListings(JobStore real) {
        return (JobStore) Proxy.newProxyInstance(
                JobStore.class.getClassLoader(), new Class<?>[] {JobStore.class}, (proxy, method, args) -> {
                    if (method.getName().equals("list")) {
                        listingsInStore.countDown();
                        // Held until the test lets the store answer, which it does within its own waits.
                        assertThat(storeAnswers.await(BULK_WORK.toSeconds(), TimeUnit.SECONDS))
                                .isTrue();
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private CompletableFuture<HttpResponse<String>> get(String path) {
        return client.sendAsync(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                        .timeout(BULK_WORK) // held until the test lets the store answer
                        .header("Authorization", "Bearer " + TOKEN)
                        .build(),
                BodyHandlers.ofString());
    }

    @Test
    void requestsPastTheLimitGet503AtOnceWhileHealthIsAnsweredAndServingResumesAfter() throws Exception {
        var held = new ArrayList<CompletableFuture<HttpResponse<String>>>();
        for (int i = 0; i < MAX_CONCURRENT; i++) {
            held.add(get("/api/jobs"));
        }
        assertThat(listingsInStore.await(EVENTUALLY.toSeconds(), TimeUnit.SECONDS))
                .as("the first requests are in progress")
                .isTrue();

        List<HttpResponse<String>> shed = new ArrayList<>();
        for (String path : List.of("/api/jobs", "/api/queues", "/api/workers")) {
            shed.add(get(path).get(EVENTUALLY.toSeconds(), TimeUnit.SECONDS));
        }
        HttpResponse<String> health = get("/health").get(EVENTUALLY.toSeconds(), TimeUnit.SECONDS);

        assertThat(shed).allSatisfy(response -> {
            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(response.headers().firstValue("Retry-After")).contains("1");
            assertThat(response.headers().firstValue("Content-Type")).contains("application/problem+json");
            assertThat(response.body())
                    .contains("Overloaded")
                    .contains(MAX_CONCURRENT + " requests are in progress")
                    .contains("maxConcurrentRequests");
        });
        assertThat(health.statusCode()).as("health, while overloaded").isEqualTo(200);
        assertThat(held).allSatisfy(request -> assertThat(request).isNotDone());

        storeAnswers.countDown();
        for (var request : held) {
            assertThat(request.get(EVENTUALLY.toSeconds(), TimeUnit.SECONDS).statusCode())
                    .isEqualTo(200);
        }
        assertThat(get("/api/queues")
                        .get(EVENTUALLY.toSeconds(), TimeUnit.SECONDS)
                        .statusCode())
                .as("served again once the requests in progress ended")
                .isEqualTo(200);
    }
}
