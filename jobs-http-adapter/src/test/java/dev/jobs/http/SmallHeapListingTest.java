package dev.jobs.http;

import static dev.jobs.testing.JobsTesting.BULK_WORK;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobSpec;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Runs in a JVM of its own with a 256 MiB heap (the {@code small-heap} execution in this module's
 * POM): twelve listings at once of 500 jobs with 100 KB payloads would be about 600 MB of response
 * built whole, and are served because they are written as they are read.
 */
class SmallHeapListingTest {
    private static final String READER = "reader-token-0123456789";
    private static final int JOBS = 500;
    private static final int PAYLOAD_CHARS = 100 * 1024;
    private static final int LISTINGS = 12;
    private static final ObjectMapper JSON = new ObjectMapper();

    // No queue is served: the jobs stay READY, each with its payload, in the store's memory (50 MB).
    private final JobEngine engine = JobEngine.builder().build();
    private final JobsHttpServer server = JobsHttpServer.start(
            JobsHttpApi.builder().engine(engine).token(READER, Role.READ).build(),
            new InetSocketAddress("127.0.0.1", 0));
    private final HttpClient client = HttpClient.newBuilder()
            .executor(Executors.newVirtualThreadPerTaskExecutor())
            .build();

    @AfterEach
    void stop() {
        client.shutdownNow();
        server.close();
        engine.close();
    }

    @Test
    void twelveListingsOfLargeJobsAtOnceAreServedWithinASmallHeap() throws Exception {
        assertThat(Runtime.getRuntime().maxMemory()).as("the fork's heap").isLessThanOrEqualTo(300L << 20);
        String text = "x".repeat(PAYLOAD_CHARS);
        for (int i = 0; i < JOBS; i++) {
            engine.enqueue(JobSpec.of("report.build", Map.of("n", i, "text", text)));
        }
        var listings = new ArrayList<CompletableFuture<HttpResponse<InputStream>>>();
        for (int i = 0; i < LISTINGS; i++) {
            listings.add(client.sendAsync(listing(), BodyHandlers.ofInputStream()));
        }
        // Read all twelve at once, each a little at a time, as slow clients would.
        var counts = new ArrayList<CompletableFuture<Integer>>();
        for (var listing : listings) {
            HttpResponse<InputStream> response = listing.get();
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("content-type"))
                    .hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
            counts.add(CompletableFuture.supplyAsync(
                    () -> jobsIn(response.body()), Executors.newVirtualThreadPerTaskExecutor()));
        }
        for (var count : counts) {
            assertThat(count.get()).isEqualTo(JOBS);
        }
    }

    private HttpRequest listing() {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/jobs?limit=" + JOBS))
                .timeout(BULK_WORK)
                .header("Authorization", "Bearer " + READER)
                .build();
    }

    /** Counts the listing's jobs as it streams past, checking each has its whole payload. */
    private static int jobsIn(InputStream body) {
        try (body;
                JsonParser parser = JSON.getFactory().createParser(body)) {
            int jobs = 0;
            boolean sawCursor = false;
            assertThat(parser.nextToken()).isEqualTo(JsonToken.START_OBJECT);
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                parser.nextToken();
                if (field.equals("jobs")) {
                    while (parser.nextToken() == JsonToken.START_OBJECT) {
                        Map<?, ?> job = JSON.readValue(parser, Map.class);
                        Map<?, ?> payload = (Map<?, ?>) job.get("payload");
                        assertThat(((String) payload.get("text"))).hasSize(PAYLOAD_CHARS);
                        jobs++;
                    }
                } else if (field.equals("nextCursor")) {
                    sawCursor = true;
                    assertThat(parser.currentToken()).isEqualTo(JsonToken.VALUE_NULL);
                } else {
                    parser.skipChildren();
                }
            }
            assertThat(sawCursor).isTrue();
            return jobs;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
