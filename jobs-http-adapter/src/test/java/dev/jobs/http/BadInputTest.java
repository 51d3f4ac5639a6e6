package dev.jobs.http;

import static dev.jobs.testing.JobsTesting.EVENTUALLY;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jobs.core.JobEngine;
import dev.jobs.core.QueueCounts;
import dev.jobs.core.memory.InMemoryJobStore;
import dev.jobs.testing.ReliabilityFigures;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Hundreds of generated bad requests (seeded, so a failure repeats): cut-off JSON, wrong types,
 * huge numbers, long strings, odd unicode, injection strings, missing and unknown fields. None may
 * get a 5xx, and the store must hold exactly the jobs the accepted requests made.
 */
@Tag("reliability")
class BadInputTest {
    private static final String TOKEN = "admin-token-0123456789";
    private static final long SEED = 20261123L;
    private static final int CASES = 400;

    private static final List<Object> ODD_VALUES = List.of(
            "",
            " ",
            "x".repeat(5000),
            "\u0000",
            "\u202e\u0301\uFEFF",
            "😀".repeat(300),
            "'; DROP TABLE jobs_job; --",
            "<script>alert(1)</script>",
            "${jndi:ldap://x}",
            "../../etc/passwd",
            "%00%0a",
            -1,
            0,
            Integer.MAX_VALUE,
            Long.MIN_VALUE,
            1.5,
            true,
            List.of(),
            List.of(1, 2),
            java.util.Map.of(),
            java.util.Map.of("a", List.of()));

    private static final List<String> RAW_NUMBERS =
            List.of("1e400", "-1e400", "99999999999999999999999999", "1" + "0".repeat(70), "NaN", "0x10", "01");

    private final ObjectMapper mapper = new ObjectMapper();
    private final HttpClient client = HttpClient.newHttpClient();
    private final SplittableRandom random = new SplittableRandom(SEED);
    private JobEngine engine;
    private JobsHttpServer server;

    @BeforeEach
    void start() {
        engine = JobEngine.builder()
                .store(new InMemoryJobStore(Clock.systemUTC()))
                .build();
        server = JobsHttpServer.start(
                JobsHttpApi.builder()
                        .engine(engine)
                        .token(TOKEN, Role.ADMIN)
                        .maxBodyBytes(32 * 1024)
                        .build(),
                new InetSocketAddress("127.0.0.1", 0));
    }

    @AfterEach
    void stop() {
        server.close();
        engine.close();
    }

    @Test
    void noBadRequestGetsA5xxAndOnlyAcceptedRequestsCreateJobs() throws Exception {
        String running = leasedJobId();
        long expectedJobs = 1;
        var statuses = new ArrayList<Integer>();
        for (int i = 0; i < CASES; i++) {
            String path = switch (random.nextInt(6)) {
                case 0, 1 -> "/api/jobs";
                case 2 -> "/api/jobs/batch";
                case 3 -> "/api/jobs/acquire";
                case 4 -> "/api/jobs/" + running + "/heartbeat";
                default -> "/api/jobs/" + running + "/fail";
            };
            String body = mutate(validBody(path));
            HttpResponse<String> response = post(path, body);
            int status = response.statusCode();
            statuses.add(status);
            assertThat(status)
                    .as("case %d: POST %s %s -> %s", i, path, abbreviate(body), response.body())
                    .isLessThan(500);
            if (status >= 400) {
                assertThat(response.headers().firstValue("Content-Type")).contains("application/problem+json");
                JsonNode problem = mapper.readTree(response.body());
                assertThat(problem.path("status").asInt()).isEqualTo(status);
                assertThat(response.body()).doesNotContain("at dev.jobs").doesNotContain("Exception:");
            } else if (status == 201) {
                JsonNode created = mapper.readTree(response.body());
                expectedJobs += created.has("jobs") ? created.path("jobs").size() : 1;
            }
        }

        long stored = engine.counts().stream().mapToLong(BadInputTest::total).sum();
        Map<Integer, Long> byStatus =
                statuses.stream().collect(Collectors.groupingBy(s -> s, TreeMap::new, Collectors.counting()));
        ReliabilityFigures.scenario("bad-input", "Bad input over HTTP")
                .reproduce("./mvnw verify -pl jobs-http-adapter -am -Dtest=BadInputTest"
                        + " -Dsurefire.failIfNoSpecifiedTests=false")
                .faults(CASES, "generated bad request (cut-off JSON, wrong types, huge numbers, odd unicode, ...)")
                .accepted(expectedJobs, Math.max(0, expectedJobs - stored))
                .figure("answers by status", (Object) byStatus)
                .figure("jobs stored beyond those the accepted requests made", Math.max(0, stored - expectedJobs))
                .figure(
                        "every limit through the Java API",
                        "EngineLimitsConformanceTest, on every store: at the limit stored whole, one past it"
                                + " rejected naming the field")
                .write();
        assertThat(stored).isEqualTo(expectedJobs);
        assertThat(statuses).filteredOn(s -> s >= 400).hasSizeGreaterThan(CASES / 2);
    }

    @Test
    void noBadRecurringJobGetsA5xxAndOnlyAcceptedOnesAreStored() throws Exception {
        var accepted = new TreeSet<String>();
        for (int i = 0; i < CASES / 2; i++) {
            String name = "report-" + random.nextInt(8);
            ObjectNode valid = mapper.createObjectNode();
            if (random.nextBoolean()) {
                valid.put("cron", "*/5 9-17 * * MON-FRI").put("zone", "Europe/Berlin");
            } else {
                valid.put("everyMs", 60_000).put("anchor", "2026-01-01T00:00:00Z");
            }
            valid.put("missed", "run_all").put("graceMs", 30_000).put("runAllLimit", 10);
            valid.putObject("job").put("type", "report.build").put("queue", "reports");
            String body = mutate(valid);
            HttpResponse<String> response = send("PUT", "/api/recurring/" + name, body);
            assertThat(response.statusCode())
                    .as("case %d: PUT %s %s -> %s", i, name, abbreviate(body), response.body())
                    .isLessThan(500);
            if (response.statusCode() == 200) {
                accepted.add(name);
            } else {
                assertThat(response.headers().firstValue("Content-Type")).contains("application/problem+json");
            }
        }

        JsonNode stored =
                mapper.readTree(send("GET", "/api/recurring", "").body()).path("recurring");
        var names = new TreeSet<String>();
        stored.forEach(r -> names.add(r.path("name").asText()));
        assertThat(accepted).as("some variations are still valid").isNotEmpty();
        assertThat(names).isEqualTo(accepted);
        assertThat(engine.counts()).as("saving a schedule creates no job").isEmpty();
    }

    @Test
    void noBadQueueLimitsGetA5xxAndOnlyAcceptedOnesAreStored() throws Exception {
        var accepted = new TreeMap<String, JsonNode>();
        for (int i = 0; i < CASES / 2; i++) {
            String queue = "partner-" + random.nextInt(8);
            ObjectNode valid = mapper.createObjectNode().put("maxRunning", 5).put("maxRunningPerKey", 2);
            valid.putObject("maxStarts").put("starts", 100).put("perMs", 60_000);
            String body = mutate(valid);
            HttpResponse<String> response = send("PUT", "/api/queues/" + queue + "/limits", body);
            assertThat(response.statusCode())
                    .as("case %d: PUT %s %s -> %s", i, queue, abbreviate(body), response.body())
                    .isLessThan(500);
            if (response.statusCode() == 200) {
                JsonNode limits = mapper.readTree(response.body()).path("limits");
                boolean none = limits.path("maxRunning").isNull()
                        && limits.path("maxStarts").isNull()
                        && limits.path("maxRunningPerKey").isNull();
                if (none) {
                    accepted.remove(queue); // setting no limit lifts them all
                } else {
                    accepted.put(queue, limits);
                }
            } else {
                assertThat(response.headers().firstValue("Content-Type")).contains("application/problem+json");
            }
        }

        assertThat(accepted).as("some variations are still valid").isNotEmpty();
        assertThat(engine.queueLimits().keySet()).isEqualTo(accepted.keySet());
        for (var entry : accepted.entrySet()) {
            JsonNode stored = mapper.readTree(send("GET", "/api/queues/" + entry.getKey() + "/limits", "")
                            .body())
                    .path("limits");
            assertThat(stored).as("limits of " + entry.getKey()).isEqualTo(entry.getValue());
        }
    }

    private String leasedJobId() throws Exception {
        assertThat(post("/api/jobs", "{\"type\":\"victim\"}").statusCode()).isEqualTo(201);
        JsonNode acquired = mapper.readTree(post("/api/jobs/acquire", "{\"workerId\":\"w\",\"queues\":[\"default\"]}")
                .body());
        return acquired.path("jobs").get(0).path("id").asText();
    }

    private ObjectNode validBody(String path) {
        ObjectNode body = mapper.createObjectNode();
        if (path.equals("/api/jobs")) {
            body.put("type", "email.send")
                    .put("queue", "mail")
                    .put("priority", "high")
                    .put("maxAttempts", 3)
                    .put("concurrencyKey", "customer-1");
            body.putObject("payload").put("to", "a@b.c");
            body.putObject("metadata").put("tenant", "t1");
        } else if (path.endsWith("/batch")) {
            var jobs = body.putArray("jobs");
            jobs.addObject().put("ref", "a").put("type", "t");
            jobs.addObject().put("type", "t").putArray("dependsOn").add("a");
        } else if (path.endsWith("/acquire")) {
            body.put("workerId", "w-" + random.nextInt(5)).put("limit", 1).put("leaseMs", 5000);
            body.putArray("queues").add("nothing-here");
        } else if (path.endsWith("/heartbeat")) {
            body.put("leaseToken", UUID.randomUUID().toString())
                    .put("progress", 10)
                    .put("message", "m");
        } else {
            body.put("leaseToken", UUID.randomUUID().toString()).put("retryable", true);
            body.putObject("error").put("message", "boom").put("type", "X");
        }
        return body;
    }

    /** One bad variation of a valid body. */
    private String mutate(ObjectNode body) throws Exception {
        List<String> fields = new ArrayList<>();
        body.fieldNames().forEachRemaining(fields::add);
        String field = fields.get(random.nextInt(fields.size()));
        return switch (random.nextInt(9)) {
            case 0 -> {
                body.remove(field);
                yield mapper.writeValueAsString(body);
            }
            case 1 -> {
                body.set(field, mapper.valueToTree(ODD_VALUES.get(random.nextInt(ODD_VALUES.size()))));
                yield mapper.writeValueAsString(body);
            }
            case 2 -> {
                body.put("unexpected" + random.nextInt(3), 1);
                yield mapper.writeValueAsString(body);
            }
            case 3 -> {
                String json = mapper.writeValueAsString(body);
                yield json.substring(0, random.nextInt(json.length()));
            }
            case 4 ->
                mapper.writeValueAsString(body)
                        .replaceFirst(
                                "\"" + field + "\":",
                                "\"" + field + "\":" + RAW_NUMBERS.get(random.nextInt(RAW_NUMBERS.size())) + ",\"_\":");
            case 5 -> "[".repeat(random.nextInt(60, 2000)) + "]".repeat(random.nextInt(2));
            case 6 -> {
                var bytes = new StringBuilder();
                for (int i = 0, n = random.nextInt(1, 200); i < n; i++) {
                    bytes.append((char) random.nextInt(1, 0xD7FF));
                }
                yield bytes.toString();
            }
            case 7 -> {
                body.put(field, "x".repeat(random.nextInt(1, 40_000)));
                yield mapper.writeValueAsString(body);
            }
            default -> {
                String json = mapper.writeValueAsString(body);
                yield json + "," + json;
            }
        };
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return send("POST", path, body);
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        return client.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                        .timeout(EVENTUALLY)
                        .header("Authorization", "Bearer " + TOKEN)
                        .header("Content-Type", "application/json")
                        .method(method, BodyPublishers.ofString(body))
                        .build(),
                BodyHandlers.ofString());
    }

    private static long total(QueueCounts counts) {
        return counts.byState().values().stream().mapToLong(Long::longValue).sum();
    }

    private static String abbreviate(String text) {
        return text.length() <= 300 ? text : text.substring(0, 300) + "…";
    }
}
