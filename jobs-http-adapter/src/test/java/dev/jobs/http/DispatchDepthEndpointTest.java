package dev.jobs.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jobs.core.DispatchDepth;
import dev.jobs.core.Job;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobSpec;
import dev.jobs.core.StoreUnavailableException;
import dev.jobs.core.internal.StoreJobQueue;
import dev.jobs.core.spi.AcquireRequest;
import dev.jobs.core.spi.JobQueue;
import dev.jobs.core.spi.JobStore;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /api/queues} shows what a dispatch queue with state of its own (Redis) holds per queue,
 * and still answers with the store's counts when that queue cannot be reached.
 */
class DispatchDepthEndpointTest {
    private static final String READER = "reader-token-0123456789";

    /** Store dispatch that reports a depth for "mail" and is unreachable for "down". */
    private static final class ReportingQueue implements JobQueue {
        private final StoreJobQueue direct;

        ReportingQueue(JobStore store) {
            this.direct = new StoreJobQueue(store, Clock.systemUTC());
        }

        @Override
        public List<Job> acquire(AcquireRequest request) {
            return direct.acquire(request);
        }

        @Override
        public void publish(Collection<Job> jobs) {
            direct.publish(jobs);
        }

        @Override
        public void awaitWork(Set<String> queues, Duration maxWait) throws InterruptedException {
            direct.awaitWork(queues, maxWait);
        }

        @Override
        public Optional<DispatchDepth> depth(String queue) {
            return switch (queue) {
                case "mail" -> Optional.of(new DispatchDepth(3, 2, 1, false));
                case "down" -> throw new StoreUnavailableException("Redis does not answer", null);
                default -> Optional.empty();
            };
        }
    }

    private final JobEngine engine =
            JobEngine.builder().queue(ReportingQueue::new).build();
    private final JobsHttpServer server = JobsHttpServer.start(
            JobsHttpApi.builder().engine(engine).token(READER, Role.READ).build(),
            new InetSocketAddress("127.0.0.1", 0));

    @AfterEach
    void stop() {
        server.close();
        engine.close();
    }

    @Test
    void queuesShowTheDispatchDepthWhereTheQueueKeepsOne() throws Exception {
        engine.enqueue(JobSpec.of("t").withQueue("mail"));
        engine.enqueue(JobSpec.of("t").withQueue("down"));
        engine.enqueue(JobSpec.of("t").withQueue("plain"));

        var response = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/queues"))
                                .header("Authorization", "Bearer " + READER)
                                .build(),
                        BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode queues = new ObjectMapper().readTree(response.body()).get("queues");
        assertThat(byName(queues, "mail").get("dispatch").toString())
                .isEqualTo("{\"ready\":3,\"delayed\":2,\"inFlight\":1,\"paused\":false}");
        assertThat(byName(queues, "down").has("dispatch"))
                .as("Redis down: left out")
                .isFalse();
        assertThat(byName(queues, "down").get("counts").get("READY").asLong()).isEqualTo(1);
        assertThat(byName(queues, "plain").has("dispatch")).isFalse();
    }

    private static JsonNode byName(JsonNode queues, String name) {
        for (JsonNode queue : queues) {
            if (queue.get("name").asText().equals(name)) {
                return queue;
            }
        }
        throw new AssertionError("no queue " + name + " in " + queues);
    }
}
