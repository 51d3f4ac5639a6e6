package dev.jobs.http;

import static dev.jobs.testing.JobsTesting.EVENTUALLY;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobState;
import dev.jobs.core.QueueCounts;
import dev.jobs.core.spi.JobStore;
import dev.jobs.store.jdbc.TestDatabase;
import dev.jobs.testing.JobsTesting;
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
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Hundreds of generated bad requests (seeded, so a failure repeats): cut-off JSON, wrong types,
 * huge numbers, long strings, odd unicode (NUL and lone surrogates at any depth), injection
 * strings, missing and unknown fields, payloads of every JSON type. None may get a 5xx, the store
 * must hold exactly the jobs the accepted requests made, and afterwards every queue still claims,
 * each accepted payload comes back exactly as its result, and the maintenance tasks run without a
 * failure. A store's test class extends this and says how to make a fresh, empty store.
 */
@Tag("reliability")
abstract class BadInputTest {
    private static final String TOKEN = "admin-token-0123456789";
    private static final long SEED = 20261123L;
    private static final int CASES = 400;

    private static final List<Object> ODD_VALUES = List.of(
            "",
            " ",
            "x".repeat(5000),
            "\u0000",
            "a\u0000b",
            "line\nbreak\r\u2028",
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
            java.util.Map.of("a", List.of()),
            java.util.Map.of("deep", List.of(java.util.Map.of("k", "x\u0000y"))),
            java.util.Map.of("key\u0000", 1),
            java.util.Map.of("type", "t", "payload", List.of("\u0000")));

    /** JSON text spliced into a body as a field's value: numbers no double holds, escapes a string cannot carry raw. */
    private static final List<String> RAW_VALUES = List.of(
            "1e400",
            "-1e400",
            "1e999999999",
            "99999999999999999999999999",
            "1" + "0".repeat(70),
            "NaN",
            "0x10",
            "01",
            "-0",
            "\"\\ud800\"",
            "\"x\\udc00y\"",
            "\"\\u0000\"",
            "{\"deep\":[{\"k\\u0000\":\"\\ud83d\"}]}",
            "[\"\\ud83d\\ude00\", 1e-400]");

    private final ObjectMapper mapper = new ObjectMapper();
    private final HttpClient client = HttpClient.newHttpClient();
    private final SplittableRandom random = new SplittableRandom(SEED);
    private final ListAppender<ILoggingEvent> maintenanceLog = new ListAppender<>();

    /** The logger each maintenance task (lease reclaimer, dead worker reaper, ...) reports its failures to. */
    private static final String MAINTENANCE_LOGGER = "dev.jobs.core.internal.maintenance.MaintenanceTask";

    private JobStore store;
    private JobEngine engine;
    private JobsHttpServer server;

    /** The database under test; each test works under tables of its own there. */
    abstract TestDatabase database();

    /** The store's name in the reliability figures. */
    abstract String storeName();

    private final TestDatabase database = database();

    @BeforeEach
    void start() {
        maintenanceLog.start();
        ((Logger) LoggerFactory.getLogger(MAINTENANCE_LOGGER)).addAppender(maintenanceLog);
        store = database.emptyStore(Clock.systemUTC());
        engine = JobEngine.builder().store(store).build();
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
        store.close();
        database.dropTables();
        ((Logger) LoggerFactory.getLogger(MAINTENANCE_LOGGER)).detachAppender(maintenanceLog);
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
                assertThat(response.body())
                        .as("case %d: no Java words in %s", i, response.body())
                        .doesNotContain("at dev.jobs")
                        .doesNotContainPattern("Exception|`|java\\.|JsonToken|[Cc]oercion|Creator|Source:");
            } else if (status == 201) {
                JsonNode created = mapper.readTree(response.body());
                expectedJobs += created.has("jobs") ? created.path("jobs").size() : 1;
            }
        }

        long stored = engine.counts().stream().mapToLong(BadInputTest::total).sum();
        Map<Integer, Long> byStatus =
                statuses.stream().collect(Collectors.groupingBy(s -> s, TreeMap::new, Collectors.counting()));
        assertThat(stored).isEqualTo(expectedJobs);
        assertThat(statuses).filteredOn(s -> s >= 400).hasSizeGreaterThan(CASES / 2);
        int roundTrips = everyQueueStillClaimsAndEachPayloadComesBackAsItsResult();
        assertThat(send("GET", "/api/jobs.csv", "").statusCode())
                .as("the export")
                .isEqualTo(200);
        leaseReclaimAndTheReaperStillRun();

        ReliabilityFigures.scenario(
                        "bad-input-" + storeName().toLowerCase(Locale.ROOT), "Bad input over HTTP on " + storeName())
                .reproduce("./mvnw verify -pl jobs-http-adapter -am -Dtest="
                        + getClass().getSimpleName() + " -Dsurefire.failIfNoSpecifiedTests=false")
                .faults(
                        CASES,
                        "generated bad request (cut-off JSON, wrong types, huge numbers, NUL and lone"
                                + " surrogates at depth, any JSON type as payload, ...)")
                .accepted(expectedJobs, Math.max(0, expectedJobs - stored))
                .figure("answers by status", (Object) byStatus)
                .figure("jobs stored beyond those the accepted requests made", Math.max(0, stored - expectedJobs))
                .figure("accepted payloads claimed afterwards and returned exactly as results", roundTrips)
                .figure("maintenance failures afterwards", 0)
                .figure(
                        "every limit through the Java API",
                        "EngineLimitsConformanceTest, on every store: at the limit stored whole, one past it"
                                + " rejected naming the field; what no store holds refused before it is reached")
                .write();
    }

    /**
     * Claims every job left on every queue over HTTP and completes each with its own payload as the
     * result, then reads each back: whatever the accepted requests stored, no queue is wedged and
     * every payload is what was sent.
     *
     * @return how many jobs made the round trip
     */
    private int everyQueueStillClaimsAndEachPayloadComesBackAsItsResult() throws Exception {
        int roundTrips = 0;
        for (QueueCounts counts : engine.counts()) {
            long claimable = counts.byState().getOrDefault(JobState.READY, 0L);
            while (claimable > 0) {
                ObjectNode request =
                        mapper.createObjectNode().put("workerId", "drain").put("limit", 100);
                request.putArray("queues").add(counts.queue());
                HttpResponse<String> acquired = post("/api/jobs/acquire", mapper.writeValueAsString(request));
                assertThat(acquired.statusCode())
                        .as("acquire from %s: %s", counts.queue(), acquired.body())
                        .isEqualTo(200);
                JsonNode jobs = mapper.readTree(acquired.body()).path("jobs");
                assertThat(jobs.size())
                        .as("queue %s still hands out its jobs", counts.queue())
                        .isPositive();
                for (JsonNode job : jobs) {
                    ObjectNode complete = mapper.createObjectNode()
                            .put("leaseToken", job.path("leaseToken").asText());
                    complete.set("result", job.path("payload"));
                    String id = job.path("id").asText();
                    HttpResponse<String> done =
                            post("/api/jobs/" + id + "/complete", mapper.writeValueAsString(complete));
                    assertThat(done.statusCode())
                            .as("complete %s: %s", id, done.body())
                            .isEqualTo(200);
                    JsonNode read =
                            mapper.readTree(send("GET", "/api/jobs/" + id, "").body());
                    assertThat(read.path("result")).as("job %s", id).isEqualTo(job.path("payload"));
                    roundTrips++;
                }
                claimable -= jobs.size();
            }
        }
        return roundTrips;
    }

    /**
     * A job leased for the shortest lease to a worker that then goes silent is taken back once
     * maintenance runs (bound: the lease, 1 s, and the registry's third more; waited for, not
     * slept), and no maintenance task logged a failure meanwhile.
     */
    private void leaseReclaimAndTheReaperStillRun() throws Exception {
        assertThat(post("/api/jobs", "{\"type\":\"t\",\"queue\":\"silent\"}").statusCode())
                .isEqualTo(201);
        JsonNode leased = mapper.readTree(
                        post("/api/jobs/acquire", "{\"workerId\":\"silent\",\"queues\":[\"silent\"],\"leaseMs\":1000}")
                                .body())
                .path("jobs")
                .get(0);
        UUID id = UUID.fromString(leased.path("id").asText());
        JobsTesting.await("job " + id + " taken back from its silent worker", EVENTUALLY, () -> {
            JobsTesting.runMaintenance(engine);
            return Optional.of(engine.get(id).orElseThrow().state()).filter(state -> state != JobState.RUNNING);
        });
        assertThat(maintenanceLog.list)
                .as("maintenance failures")
                .filteredOn(event -> event.getLevel().isGreaterOrEqual(Level.WARN))
                .isEmpty();
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
                                Matcher.quoteReplacement("\"" + field + "\":"
                                        + RAW_VALUES.get(random.nextInt(RAW_VALUES.size()))
                                        + ",\"_\":"));
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
