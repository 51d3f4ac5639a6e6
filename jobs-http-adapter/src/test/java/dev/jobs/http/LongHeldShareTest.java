package dev.jobs.http;

import static dev.jobs.testing.JobsTesting.EVENTUALLY;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jobs.core.JobEngine;
import dev.jobs.testing.ReliabilityFigures;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a request holds for long (an acquire waiting for work, an event stream) is a bounded share,
 * in all and per token: one token's six hundred long polls cannot take the slots other clients
 * create and list with, and the cap on event streams holds however many open at once.
 */
class LongHeldShareTest {
    private static final String ATTACKER = "worker-token-attacker-0123";
    private static final String ADMIN = "admin-token-0123456789";
    private static final String VIEWERS = "viewer-token-%d-0123456789";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The attacker's polls wait this long: a request queued behind them would take as long. */
    private static final Duration POLL_WAIT = Duration.ofSeconds(30);

    private final JobEngine engine = JobEngine.builder()
            .queue("default", 1)
            .register("noop", ctx -> null)
            .build();
    private final HttpClient client = HttpClient.newBuilder()
            .executor(Executors.newVirtualThreadPerTaskExecutor())
            .build();
    private JobsHttpServer server;

    @AfterEach
    void stop() {
        client.shutdownNow();
        if (server != null) {
            server.close();
        }
        engine.close();
    }

    @Test
    void oneTokensLongPollsLeaveTheRestOfTheApiItsSlots() throws Exception {
        var builder = JobsHttpApi.builder()
                .engine(engine)
                .token(ATTACKER, Role.WORKER)
                .token(ADMIN, Role.ADMIN);
        server = JobsHttpServer.start(builder.build(), new InetSocketAddress("127.0.0.1", 0));
        var polls = new ArrayList<CompletableFuture<HttpResponse<String>>>();
        for (int i = 0; i < 600; i++) {
            polls.add(send(
                    ATTACKER,
                    "POST",
                    "/api/jobs/acquire",
                    "{\"workerId\":\"attacker-" + i + "\",\"queues\":[\"idle\"],\"waitMs\":" + POLL_WAIT.toMillis()
                            + "}"));
        }
        // Past its share the attacker is told at once, naming the setting; its share waits on, for
        // POLL_WAIT, long after EVENTUALLY bounds the refusals' arrival.
        int share = JobsHttpApi.DEFAULT_MAX_WAITING_ACQUIRES_PER_TOKEN;
        long deadline = System.nanoTime() + EVENTUALLY.toNanos();
        while (polls.stream().filter(CompletableFuture::isDone).count() < polls.size() - share) {
            assertThat(System.nanoTime())
                    .as("the polls past the share answered")
                    .isLessThan(deadline);
            Thread.sleep(10);
        }
        int refused = 0;
        for (var poll : polls) {
            if (poll.isDone()) {
                HttpResponse<String> answer = poll.join();
                assertThat(answer.statusCode()).as(answer.body()).isEqualTo(429);
                assertThat(answer.body()).contains("maxWaitingAcquiresPerToken");
                assertThat(answer.headers().firstValue("retry-after")).isPresent();
                refused++;
            }
        }
        assertThat(refused).isEqualTo(polls.size() - share);

        // Another token creates and lists as usual while the polls wait: answered, none shed, each
        // long before the polls end (a request that queued behind them would take POLL_WAIT).
        Duration slowest = Duration.ZERO;
        int rounds = 50;
        for (int i = 0; i < rounds; i++) {
            long start = System.nanoTime();
            HttpResponse<String> created =
                    send(ADMIN, "POST", "/api/jobs", "{\"type\":\"noop\"}").get();
            HttpResponse<String> listed =
                    send(ADMIN, "GET", "/api/jobs?limit=10", null).get();
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            assertThat(listed.statusCode()).as(listed.body()).isEqualTo(200);
            assertThat(took).isLessThan(POLL_WAIT.dividedBy(3));
            slowest = took.compareTo(slowest) > 0 ? took : slowest;
        }
        ReliabilityFigures.scenario("http-long-poll-exhaustion", "HTTP long polls from one token")
                .reproduce("./mvnw verify -pl jobs-http-adapter -am -Dtest=LongHeldShareTest"
                        + " -Dsurefire.failIfNoSpecifiedTests=false")
                .faults(
                        1,
                        polls.size() + " acquires waiting up to " + POLL_WAIT.toSeconds() + " s from one worker token")
                .figure("polls refused at once with 429", refused)
                .figure("polls left waiting (maxWaitingAcquiresPerToken)", polls.size() - refused)
                .figure("creates and listings by another token meanwhile", 2 * rounds)
                .figure("of those not answered 201 or 200", 0)
                .figure("slowest create and listing, one after the other", slowest)
                .write();
    }

    @Test
    void exactlyAsManyEventStreamsOpenAsTheCapAllows() throws Exception {
        var builder = JobsHttpApi.builder().engine(engine).maxEventStreams(256);
        for (int t = 0; t < 5; t++) {
            builder.token(VIEWERS.formatted(t), Role.READ);
        }
        server = JobsHttpServer.start(builder.build(), new InetSocketAddress("127.0.0.1", 0));
        var opens = new ArrayList<CompletableFuture<HttpResponse<InputStream>>>();
        for (int i = 0; i < 300; i++) {
            // 60 a token: within each token's share, so only the cap in all refuses.
            opens.add(client.sendAsync(
                    request(VIEWERS.formatted(i % 5), "GET", "/api/events", null), BodyHandlers.ofInputStream()));
        }
        List<HttpResponse<InputStream>> answers = new ArrayList<>();
        for (var open : opens) {
            answers.add(open.get());
        }
        try {
            long streaming = answers.stream().filter(a -> a.statusCode() == 200).count();
            long refused = answers.stream().filter(a -> a.statusCode() == 503).count();
            assertThat(streaming).isEqualTo(256);
            assertThat(refused).isEqualTo(44);
            for (var answer : answers) {
                if (answer.statusCode() == 503) {
                    assertThat(JSON.readTree(answer.body()).path("detail").asText())
                            .contains("maxEventStreams");
                }
            }
        } finally {
            for (var answer : answers) {
                answer.body().close();
            }
        }
    }

    private CompletableFuture<HttpResponse<String>> send(String token, String method, String path, String body) {
        return client.sendAsync(request(token, method, path, body), BodyHandlers.ofString());
    }

    private HttpRequest request(String token, String method, String path, String body) {
        var request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(POLL_WAIT.plus(EVENTUALLY))
                .header("Authorization", "Bearer " + token);
        if (body == null) {
            return request.method(method, HttpRequest.BodyPublishers.noBody()).build();
        }
        return request.header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body))
                .build();
    }
}
