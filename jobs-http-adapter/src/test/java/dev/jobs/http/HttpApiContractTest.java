package dev.jobs.http;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jobs.core.Job;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobEngineBuilder;
import dev.jobs.core.JobLimits;
import dev.jobs.core.JobQuery;
import dev.jobs.core.JobSpec;
import dev.jobs.core.JobState;
import dev.jobs.core.StoreFailureException;
import dev.jobs.core.StoreUnavailableException;
import dev.jobs.core.WorkerInfo;
import dev.jobs.core.spi.JobStore;
import dev.jobs.testing.JobsTesting;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The wire contract over real HTTP: every endpoint and every error status, against an engine on
 * the store a subclass gives.
 */
abstract class HttpApiContractTest {
    /**
     * The most a request is waited for: a long poll holds it up to {@link JobLimits#MAX_ACQUIRE_WAIT}
     * (thirty seconds) and every other answer takes milliseconds; twice the longest poll.
     */
    private static final Duration REQUEST_TIMEOUT = JobLimits.MAX_ACQUIRE_WAIT.multipliedBy(2);

    static final String ADMIN = "admin-token-0123456789";
    static final String WORKER = "worker-token-0123456789";
    static final String OTHER_WORKER = "other-worker-token-0123456789";
    static final String READER = "reader-token-0123456789";
    static final int MAX_EVENT_STREAMS = 2;

    /** What a remote worker told to stop has before its attempt ends; short, so the test is. */
    static final Duration CANCELLATION_GRACE = Duration.ofSeconds(1);

    private final ObjectMapper mapper = new ObjectMapper();
    private final HttpClient client = HttpClient.newHttpClient();
    private JobStore store;
    private JobEngine engine;
    private JobsHttpServer server;

    /** A store holding no jobs. */
    abstract JobStore newStore();

    /** Closes or cleans up what {@link #newStore()} made. */
    abstract void discard(JobStore store);

    /** The engine's builder on {@code store}; a subclass may put a dispatch queue in front. */
    JobEngineBuilder engineOn(JobStore store) {
        return JobEngine.builder().store(store);
    }

    /** While set, every store call fails as a store that cannot be reached does. */
    private final AtomicBoolean storeDown = new AtomicBoolean();

    private final AtomicBoolean storeRefuses = new AtomicBoolean();

    @BeforeEach
    void start() {
        store = newStore();
        // Not started: remote workers over HTTP are the only ones taking jobs.
        engine = engineOn(outageSwitch(store))
                .cancellationGrace(CANCELLATION_GRACE)
                .build();
        var api = JobsHttpApi.builder()
                .engine(engine)
                .token(ADMIN, Role.ADMIN)
                .token(WORKER, Role.WORKER)
                .token(OTHER_WORKER, Role.WORKER)
                .token(READER, Role.READ)
                .maxBodyBytes(64 * 1024)
                .maxEventStreams(MAX_EVENT_STREAMS)
                .build();
        server = JobsHttpServer.start(api, new InetSocketAddress("127.0.0.1", 0));
    }

    /**
     * {@code real}, failing with {@link StoreUnavailableException} while {@link #storeDown} is set
     * and with {@link StoreFailureException} while {@link #storeRefuses} is.
     */
    private JobStore outageSwitch(JobStore real) {
        return (JobStore) Proxy.newProxyInstance(
                JobStore.class.getClassLoader(), new Class<?>[] {JobStore.class}, (proxy, method, args) -> {
                    if (storeDown.get() && !method.getName().equals("close")) {
                        throw new StoreUnavailableException(
                                "the test cut the store off", new ConnectException("refused"));
                    }
                    if (storeRefuses.get() && !method.getName().equals("close")) {
                        throw new StoreFailureException(
                                "the test's store refused it (SQLSTATE 23514)", new SQLException("check", "23514"));
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @AfterEach
    void stop() {
        server.close();
        engine.close();
        discard(store);
    }

    record Reply(int status, String contentType, Map<String, List<String>> headers, JsonNode body) {}

    Reply call(String method, String path, String token, String body) throws Exception {
        return call(method, path, token, body, "application/json");
    }

    Reply call(String method, String path, String token, String body, String contentType) throws Exception {
        var headers = new HashMap<String, String>();
        if (body != null && contentType != null) {
            headers.put("Content-Type", contentType);
        }
        return call(method, path, token, body, headers);
    }

    Reply call(String method, String path, String token, String body, Map<String, String> headers) throws Exception {
        var request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(REQUEST_TIMEOUT)
                .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        headers.forEach(request::header);
        HttpResponse<String> response = client.send(request.build(), BodyHandlers.ofString());
        String text = response.body();
        JsonNode json = text.isEmpty() ? mapper.nullNode() : mapper.readTree(text);
        return new Reply(
                response.statusCode(),
                response.headers().firstValue("Content-Type").orElse(""),
                response.headers().map(),
                json);
    }

    private JsonNode created(String body) throws Exception {
        Reply reply = call("POST", "/api/jobs", ADMIN, body);
        assertThat(reply.status()).as(reply.body().toString()).isEqualTo(201);
        return reply.body();
    }

    private static void assertProblem(Reply reply, int status) {
        assertThat(reply.status()).as(reply.body().toString()).isEqualTo(status);
        assertThat(reply.contentType()).isEqualTo("application/problem+json");
        assertThat(reply.body().path("status").asInt()).isEqualTo(status);
        assertThat(reply.body().path("title").asText()).isNotBlank();
        assertThat(reply.body().path("detail").asText()).isNotBlank();
        assertThat(reply.body().toString())
                .doesNotContain("at dev.jobs")
                .doesNotContainPattern("Exception|`|java\\.|JsonToken|[Cc]oercion|Creator|Source:");
    }

    /** Each body, PUT to {@code path} by an admin, is a 400 naming the field it maps to. */
    private void assertEachPutIsRefusedNamingItsField(String path, Map<String, String> fieldByBody) throws Exception {
        for (Map.Entry<String, String> bad : fieldByBody.entrySet()) {
            Reply reply = call("PUT", path, ADMIN, bad.getKey());
            assertProblem(reply, 400);
            assertThat(fields(reply)).as(bad.getKey()).contains(bad.getValue());
        }
    }

    private static List<String> fields(Reply reply) {
        var fields = new ArrayList<String>();
        reply.body().path("errors").forEach(e -> fields.add(e.path("field").asText()));
        return fields;
    }

    @Test
    void createGetAndListAJobWithEveryField() throws Exception {
        String parent = created("{\"type\":\"report.build\"}").path("id").asText();
        JsonNode job = created("{\"type\":\"email.send\",\"queue\":\"mail\",\"payload\":{\"to\":\"a@b.c\"},"
                + "\"priority\":\"high\",\"delayMs\":60000,\"maxAttempts\":3,\"timeoutMs\":5000,"
                + "\"dependsOn\":[\"" + parent + "\"],\"onDependencyFailure\":\"run\",\"uniqueKey\":\"k1\","
                + "\"metadata\":{\"tenant\":\"t1\"}}");

        assertThat(job.path("state").asText()).isEqualTo("PENDING");
        assertThat(job.path("priority").asInt()).isEqualTo(25);
        assertThat(job.path("queue").asText()).isEqualTo("mail");
        assertThat(job.path("payload").path("to").asText()).isEqualTo("a@b.c");
        assertThat(job.path("maxAttempts").asInt()).isEqualTo(3);
        assertThat(job.path("timeoutMs").asLong()).isEqualTo(5000);
        assertThat(job.path("onDependencyFailure").asText()).isEqualTo("run");
        assertThat(job.path("metadata").path("tenant").asText()).isEqualTo("t1");
        assertThat(job.has("leaseToken")).isFalse();

        Reply got = call("GET", "/api/jobs/" + job.path("id").asText(), READER, null);
        assertThat(got.status()).isEqualTo(200);
        assertThat(got.body()).isEqualTo(job);

        Reply page = call("GET", "/api/jobs?queue=mail&state=pending&limit=10", READER, null);
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.body().path("jobs")).hasSize(1);
        assertThat(page.body().path("jobs").get(0).path("id")).isEqualTo(job.path("id"));

        Reply first = call("GET", "/api/jobs?limit=1", READER, null);
        String cursor = first.body().path("nextCursor").asText();
        Reply second = call("GET", "/api/jobs?limit=1&cursor=" + cursor, READER, null);
        assertThat(second.body().path("jobs").get(0).path("id").asText()).isEqualTo(parent);
        assertThat(second.body().path("nextCursor").isNull()).isTrue();
    }

    @Test
    void idempotencyKeyMakesARepeatedCreateReturnTheSameJobWith200() throws Exception {
        var json = Map.of("Content-Type", "application/json");
        var keyed = Map.of("Content-Type", "application/json", "Idempotency-Key", "create-report-7");
        String body = "{\"type\":\"report.build\",\"payload\":{\"month\":\"2026-10\"},\"delayMs\":60000}";

        Reply first = call("POST", "/api/jobs", ADMIN, body, keyed);
        Reply repeat = call("POST", "/api/jobs", ADMIN, body, keyed);
        assertThat(first.status()).as(first.body().toString()).isEqualTo(201);
        assertThat(repeat.status()).as(repeat.body().toString()).isEqualTo(200);
        assertThat(repeat.body().path("id")).isEqualTo(first.body().path("id"));

        Reply reused = call("POST", "/api/jobs", ADMIN, body.replace("2026-10", "2026-11"), keyed);
        assertProblem(reused, 422);
        assertThat(fields(reused)).containsExactly("Idempotency-Key");
        assertThat(reused.body().path("detail").asText())
                .contains(first.body().path("id").asText());

        Reply tooLong = call(
                "POST",
                "/api/jobs",
                ADMIN,
                body,
                Map.of("Content-Type", "application/json", "Idempotency-Key", "k".repeat(256)));
        assertProblem(tooLong, 400);
        assertThat(fields(tooLong)).containsExactly("Idempotency-Key");
        Reply onBatch = call("POST", "/api/jobs/batch", ADMIN, "{\"jobs\":[" + body + "]}", keyed);
        assertProblem(onBatch, 400);
        assertThat(fields(onBatch)).containsExactly("Idempotency-Key");

        // Without a key, a unique key's holder is returned with 200 too: nothing new was made.
        assertThat(call("POST", "/api/jobs", ADMIN, "{\"type\":\"t\",\"uniqueKey\":\"u\"}", json)
                        .status())
                .isEqualTo(201);
        assertThat(call("POST", "/api/jobs", ADMIN, "{\"type\":\"t\",\"uniqueKey\":\"u\"}", json)
                        .status())
                .isEqualTo(200);
        assertThat(call("GET", "/api/jobs", READER, null).body().path("jobs")).hasSize(2);
    }

    private HttpRequest.Builder get(String path, String token) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(REQUEST_TIMEOUT)
                .header("Authorization", "Bearer " + token);
    }

    @Test
    void csvExportStreamsEveryMatchingJobAcrossPagesSafeToOpen() throws Exception {
        var specs = new ArrayList<JobSpec>();
        for (int i = 0; i < 1234; i++) {
            specs.add(JobSpec.of("export.row").withQueue("csv"));
        }
        engine.enqueueAll(specs);
        engine.enqueue(JobSpec.of("export.row").withQueue("csv").withUniqueKey("=HYPERLINK(\"x\"),1"));
        engine.enqueue(JobSpec.of("export.row").withQueue("csv").withUniqueKey("x;=cmd|' /C calc'!A0"));
        engine.enqueue(JobSpec.of("elsewhere"));

        HttpResponse<String> all =
                client.send(get("/api/jobs.csv?queue=csv", READER).build(), BodyHandlers.ofString());
        assertThat(all.statusCode()).isEqualTo(200);
        assertThat(all.headers().firstValue("Content-Type")).hasValue("text/csv; charset=utf-8");
        List<String> lines = all.body().lines().toList();
        assertThat(lines.get(0)).startsWith("\"id\",\"queue\",\"type\",\"state\",");
        assertThat(lines).hasSize(1 + 1236);
        assertThat(lines.stream().skip(1).map(line -> line.substring(1, 37)).distinct())
                .hasSize(1236);
        // Every cell is quoted, so a spreadsheet splitting on ';' or tabs keeps each value whole.
        assertThat(lines.stream().skip(1))
                .allSatisfy(
                        line -> assertThat(line).matches("^\"[0-9a-f-]{36}\",\"csv\",\"export\\.row\",\"READY\",.*"));
        assertThat(lines.stream()
                        .skip(1)
                        .flatMap(line -> List.of(line.split(",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)")).stream()))
                .allSatisfy(cell -> assertThat(cell).startsWith("\"").endsWith("\""));
        assertThat(all.body()).contains(",\"x;=cmd|' /C calc'!A0\",");
        // A formula is also defused with a leading quote, and the quotes inside the cell doubled.
        assertThat(all.body()).contains(",\"'=HYPERLINK(\"\"x\"\"),1\",");

        HttpResponse<String> limited =
                client.send(get("/api/jobs.csv?queue=csv&limit=3", READER).build(), BodyHandlers.ofString());
        assertThat(limited.body().lines()).hasSize(1 + 3);
        Reply badParent = call("GET", "/api/jobs?dependsOn=nobody", READER, null);
        assertProblem(badParent, 400);
        assertThat(fields(badParent)).containsExactly("dependsOn");
        Reply badCursor = call("GET", "/api/jobs?cursor=not-one-of-ours", READER, null);
        assertProblem(badCursor, 400);
        assertThat(fields(badCursor)).containsExactly("cursor");
        Reply badFilter = call("GET", "/api/jobs.csv?state=nope&limit=0", READER, null);
        assertProblem(badFilter, 400);
        assertThat(fields(badFilter)).containsExactlyInAnyOrder("state", "limit");
    }

    @Test
    void aWrongTypeIsNamedInJsonTermsWithoutTheReadersJavaWords() throws Exception {
        var cases = new LinkedHashMap<String, Map.Entry<String, String>>();
        cases.put(
                "{\"type\":\"t\",\"maxAttempts\":1.5}",
                Map.entry("maxAttempts", "must be a whole number, not a number with a fraction or exponent"));
        cases.put("{\"type\":[\"a\"]}", Map.entry("type", "must be a string, not an array"));
        cases.put("{\"type\":\"t\",\"dependsOn\":\"x\"}", Map.entry("dependsOn", "must be an array, not a string"));
        cases.put(
                "{\"type\":\"t\",\"metadata\":{\"a\":1}}",
                Map.entry("metadata.a", "must be a string, not a whole number"));
        cases.put("{\"type\":\"t\",\"metadata\":[1]}", Map.entry("metadata", "must be an object, not an array"));
        cases.put("{\"type\":\"t\",\"delayMs\":\"5\"}", Map.entry("delayMs", "must be a whole number, not a string"));
        cases.put("{\"type\":\"t\",\"delayMs\":true}", Map.entry("delayMs", "must be a whole number, not a boolean"));
        cases.put("[1]", Map.entry("(body)", "must be an object, not an array"));
        cases.put("\"x\"", Map.entry("(body)", "must be an object, not a string"));
        cases.put("{\"type\":\"t\",\"timeoutMs\":99999999999999999999}", Map.entry("timeoutMs", "is out of range"));
        cases.put(
                "{\"type\":\"t\",\"payload\":" + "[".repeat(100) + "]".repeat(100) + "}",
                Map.entry("payload", "is nested deeper than 64 levels"));
        cases.put("{\"type\":\"t\",\"payload\":{\"a\":[1,", Map.entry("payload", "is not well-formed JSON"));
        cases.put(
                "{\"type\":\"t\",\"type\":\"u\"}",
                Map.entry("(body)", "is not well-formed JSON: Duplicate field 'type'"));
        for (var bad : cases.entrySet()) {
            Reply reply = call("POST", "/api/jobs", ADMIN, bad.getKey());
            assertProblem(reply, 400);
            assertThat(fields(reply))
                    .as(bad.getKey())
                    .containsExactly(bad.getValue().getKey());
            assertThat(reply.body().path("errors").path(0).path("message").asText())
                    .as(bad.getKey())
                    .startsWith(bad.getValue().getValue());
        }
    }

    @Test
    void filtersGivenMoreThanOnceAreASet() throws Exception {
        Job mail = engine.enqueue(JobSpec.of("email.send").withQueue("mail"));
        Job report = engine.enqueue(JobSpec.of("report.build").withQueue("reports"));
        engine.enqueue(JobSpec.of("other").withQueue("elsewhere"));

        for (String path : List.of("/api/jobs", "/api/jobs.csv")) {
            String same = path + "?state=ready&state=ready&state=READY&queue=mail&queue=mail"
                    + "&type=email.send&type=email.send&limit=5&limit=5";
            HttpResponse<String> once = client.send(get(same, READER).build(), BodyHandlers.ofString());
            assertThat(once.statusCode()).as(same).isEqualTo(200);
            assertThat(once.body())
                    .contains(mail.id().toString())
                    .doesNotContain(report.id().toString());

            String both = path + "?queue=mail&queue=reports&type=email.send&type=report.build";
            HttpResponse<String> either = client.send(get(both, READER).build(), BodyHandlers.ofString());
            assertThat(either.statusCode()).as(both).isEqualTo(200);
            assertThat(either.body()).contains(mail.id().toString(), report.id().toString());

            Reply ambiguous = call("GET", path + "?limit=5&limit=6&cursor=a&cursor=a", READER, null);
            assertProblem(ambiguous, 400);
            assertThat(fields(ambiguous)).containsExactly("limit");
        }
        assertThat(engine.list(JobQuery.all()
                                .withStates(JobState.READY, JobState.READY)
                                .withQueues("mail", "reports", "mail"))
                        .jobs())
                .extracting(Job::id)
                .containsExactlyInAnyOrder(mail.id(), report.id());
    }

    @Test
    void eventsStreamTransitionsAndProgressOfTheQueuesAsked() throws Exception {
        HttpResponse<Stream<String>> response =
                client.send(get("/api/events?queue=mail", READER).build(), BodyHandlers.ofLines());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("text/event-stream; charset=utf-8");
        var lines = new LinkedBlockingQueue<String>();
        Thread reader = Thread.ofVirtual().start(() -> {
            try (Stream<String> body = response.body()) {
                body.forEach(lines::add);
            } catch (RuntimeException e) {
                // the stream ends when the test closes the server
            }
        });
        try {
            // The stream subscribes before its first lines: events from here on are not missed.
            assertThat(lines.poll(10, TimeUnit.SECONDS)).isEqualTo("retry: 2000");
            created("{\"type\":\"other.work\",\"queue\":\"reports\"}");
            String id = created("{\"type\":\"email.send\",\"queue\":\"mail\"}")
                    .path("id")
                    .asText();
            JsonNode leased = call("POST", "/api/jobs/acquire", WORKER, "{\"workerId\":\"w1\",\"queues\":[\"mail\"]}")
                    .body()
                    .path("jobs")
                    .get(0);
            String token = leased.path("leaseToken").asText();
            call(
                    "POST",
                    "/api/jobs/" + id + "/heartbeat",
                    WORKER,
                    "{\"leaseToken\":\"" + token + "\",\"progress\":40}");
            call("POST", "/api/jobs/" + id + "/complete", WORKER, "{\"leaseToken\":\"" + token + "\"}");

            var kinds = new ArrayList<String>();
            while (!kinds.contains("succeeded")) {
                String line = lines.poll(10, TimeUnit.SECONDS);
                assertThat(line).as("next event line after " + kinds).isNotNull();
                if (line.startsWith("data: ")) {
                    JsonNode event = mapper.readTree(line.substring(6));
                    assertThat(event.path("job").path("queue").asText()).isEqualTo("mail");
                    assertThat(event.path("job").path("id").asText()).isEqualTo(id);
                    assertThat(event.path("job").has("payload")).isFalse();
                    if (event.path("kind").asText().equals("progress")) {
                        assertThat(event.path("job").path("progress").asInt()).isEqualTo(40);
                    }
                    kinds.add(event.path("kind").asText());
                }
            }
            assertThat(kinds).containsExactly("created", "started", "progress", "succeeded");
        } finally {
            reader.interrupt();
        }
    }

    @Test
    void aStoreOutageIs503WithRetryAfterAndHealthSaysDownUntilItEnds() throws Exception {
        storeDown.set(true);
        Reply health = call("GET", "/health", null, null);
        Reply create = call("POST", "/api/jobs", ADMIN, "{\"type\":\"a\"}");
        Reply list = call("GET", "/api/jobs", READER, null);
        Reply acquire = call("POST", "/api/jobs/acquire", WORKER, "{\"workerId\":\"w1\",\"queues\":[\"default\"]}");
        storeDown.set(false);

        assertThat(health.status()).isEqualTo(503);
        assertThat(health.body().path("status").asText()).isEqualTo("down");
        for (Reply refused : List.of(create, list, acquire)) {
            assertProblem(refused, 503);
            assertThat(refused.headers().get("retry-after")).containsExactly("5");
        }
        assertThat(call("GET", "/health", null, null).status()).isEqualTo(200);
        assertThat(call("GET", "/api/jobs", READER, null).body().path("jobs")).isEmpty();
    }

    @Test
    void aStoreRefusingAnOperationIs500WithAnIncidentInTheBodyAndInOneLogLine() throws Exception {
        var logged = new ListAppender<ILoggingEvent>();
        var logger = (Logger) LoggerFactory.getLogger(JobsHttpApi.class);
        logged.start();
        logger.addAppender(logged);
        try {
            storeRefuses.set(true);
            Reply create = call("POST", "/api/jobs", ADMIN, "{\"type\":\"a\"}");
            storeRefuses.set(false);

            assertProblem(create, 500);
            assertThat(create.headers()).doesNotContainKey("retry-after");
            String detail = create.body().path("detail").asText();
            var incident =
                    java.util.regex.Pattern.compile("incident ([0-9a-f-]{36})").matcher(detail);
            assertThat(incident.find()).as("an incident id in %s", detail).isTrue();
            assertThat(detail).doesNotContain("SQLSTATE").doesNotContain("23514");
            List<ILoggingEvent> errors = logged.list.stream()
                    .filter(event -> event.getLevel() == Level.ERROR)
                    .toList();
            assertThat(errors).singleElement().satisfies(event -> {
                assertThat(event.getFormattedMessage())
                        .contains(incident.group(1))
                        .contains("SQLSTATE 23514")
                        .doesNotContain("\n");
                assertThat(event.getThrowableProxy())
                        .as("no stack trace at ERROR")
                        .isNull();
            });
            assertThat(call("GET", "/health", null, null).status()).isEqualTo(200);
        } finally {
            logger.detachAppender(logged);
        }
    }

    @Test
    void aWorkerIdBelongsToItsOwnerAndAnotherTokenUsingItIs409WithNothingLeased() throws Exception {
        call("POST", "/api/jobs", ADMIN, "{\"type\":\"a\",\"queue\":\"mail\"}");
        call("POST", "/api/jobs", ADMIN, "{\"type\":\"a\",\"queue\":\"mail\"}");
        String acquire = "{\"workerId\":\"py-1\",\"queues\":[\"mail\"],\"limit\":1}";
        JsonNode mine = call("POST", "/api/jobs/acquire", WORKER, acquire)
                .body()
                .path("jobs")
                .get(0);

        Reply takeover = call("POST", "/api/jobs/acquire", OTHER_WORKER, acquire);
        // An engine's own id (as GET /api/workers shows it) is no one else's either.
        Instant now = Instant.now();
        store.registerWorker(new WorkerInfo(
                "engine-a", WorkerInfo.ENGINE_OWNER, "app-1", Set.of("mail"), 4, 0, now, now, now.plusSeconds(60)));
        Reply engineId = call("POST", "/api/jobs/acquire", ADMIN, "{\"workerId\":\"engine-a\",\"queues\":[\"mail\"]}");

        for (Reply refused : List.of(takeover, engineId)) {
            assertProblem(refused, 409);
            assertThat(refused.body().path("errors").get(0).path("field").asText())
                    .isEqualTo("workerId");
            assertThat(refused.body().path("detail").asText()).contains("belongs to another owner");
        }
        assertThat(call("GET", "/api/jobs?queue=mail&state=ready", READER, null)
                        .body()
                        .path("jobs"))
                .as("nothing leased by the refused calls")
                .hasSize(1);
        assertThat(call("GET", "/api/workers", READER, null).body().path("workers"))
                .filteredOn(w -> w.path("id").asText().equals("engine-a"))
                .singleElement()
                .satisfies(w -> assertThat(w.path("running").asInt()).isZero());
        // Another token holding the lease token (leaked, say) still cannot report under the id.
        String id = mine.path("id").asText();
        String lease = "{\"leaseToken\":\"" + mine.path("leaseToken").asText() + "\"";
        for (String step : List.of("heartbeat", "complete", "fail")) {
            String body = step.equals("fail") ? lease + ",\"error\":{\"message\":\"x\"}}" : lease + "}";
            Reply refused = call("POST", "/api/jobs/" + id + "/" + step, OTHER_WORKER, body);
            assertProblem(refused, 409);
            assertThat(refused.body().path("detail").asText()).as(step).contains("'py-1' belongs to another owner");
        }
        assertThat(call("GET", "/api/jobs/" + id, READER, null)
                        .body()
                        .path("state")
                        .asText())
                .isEqualTo("RUNNING");
        // The owner carries on: its id still works for it, and its job is its to finish.
        assertThat(call("POST", "/api/jobs/acquire", WORKER, acquire).body().path("jobs"))
                .hasSize(1);
        Reply done = call(
                "POST",
                "/api/jobs/" + mine.path("id").asText() + "/complete",
                WORKER,
                "{\"leaseToken\":\"" + mine.path("leaseToken").asText() + "\"}");
        assertThat(done.status()).isEqualTo(200);
        assertThat(done.body().path("state").asText()).isEqualTo("SUCCEEDED");
    }

    @Test
    void aRemoteAttemptPastItsTimeoutIsToldToStopThenEndsAsATimeoutAndALateCompleteIs409() throws Exception {
        String id = call("POST", "/api/jobs", ADMIN, "{\"type\":\"slow\",\"queue\":\"slow\",\"timeoutMs\":1000}")
                .body()
                .path("id")
                .asText();
        JsonNode leased = call(
                        "POST",
                        "/api/jobs/acquire",
                        WORKER,
                        "{\"workerId\":\"py-slow\",\"queues\":[\"slow\"],\"leaseMs\":30000}")
                .body()
                .path("jobs")
                .get(0);
        assertThat(leased.path("timeoutMs").asLong()).isEqualTo(1000);
        String heartbeat = "{\"leaseToken\":\"" + leased.path("leaseToken").asText() + "\"}";

        // Bound: the timeout (1 s) and then the grace (1 s), each waited for, not slept.
        Reply told = awaitHeartbeat(
                id,
                heartbeat,
                reply -> reply.status() == 200
                        && reply.body().path("cancelRequested").asBoolean());
        assertThat(told.body().path("cancelReason").asText()).contains("ran past its timeout of PT1S");
        Reply ended = awaitHeartbeat(id, heartbeat, reply -> reply.status() == 409);
        assertProblem(ended, 409);
        assertThat(ended.body().path("detail").asText()).contains("recorded as a Timeout failure");

        JsonNode job = call("GET", "/api/jobs/" + id, READER, null).body();
        assertThat(job.path("state").asText()).isEqualTo("RETRYING");
        assertThat(job.path("timeoutMs").asLong()).isEqualTo(1000);
        assertThat(job.path("lastError").path("type").asText()).isEqualTo("Timeout");
        assertThat(job.path("lastError").path("message").asText()).contains("timeout of PT1S (1000 ms)");
        Reply late = call("POST", "/api/jobs/" + id + "/complete", WORKER, heartbeat);
        assertProblem(late, 409);
        assertThat(call("GET", "/api/jobs/" + id, READER, null)
                        .body()
                        .path("state")
                        .asText())
                .isEqualTo("RETRYING");
    }

    /** Heartbeats until {@code until} holds; every answer before must be a plain 200. */
    private Reply awaitHeartbeat(String id, String body, java.util.function.Predicate<Reply> until) throws Exception {
        return JobsTesting.await(
                "a heartbeat answer of the kind expected for job " + id, JobsTesting.EVENTUALLY, () -> {
                    Reply reply = call("POST", "/api/jobs/" + id + "/heartbeat", WORKER, body);
                    if (until.test(reply)) {
                        return Optional.of(reply);
                    }
                    assertThat(reply.status()).as(reply.body().toString()).isEqualTo(200);
                    return Optional.empty();
                });
    }

    @Test
    void aWorkerThatStopsCleanlyHandsItsJobsBackAndIsListedAsStopped() throws Exception {
        call("POST", "/api/jobs", ADMIN, "{\"type\":\"a\",\"queue\":\"stop\"}");
        call("POST", "/api/jobs", ADMIN, "{\"type\":\"a\",\"queue\":\"stop\"}");
        JsonNode leased = call(
                        "POST",
                        "/api/jobs/acquire",
                        WORKER,
                        "{\"workerId\":\"py-stop\",\"queues\":[\"stop\"],\"limit\":2}")
                .body()
                .path("jobs");
        assertThat(leased).hasSize(2);

        assertProblem(call("POST", "/api/workers/py-stop/stop", OTHER_WORKER, "{}"), 409);
        assertProblem(call("POST", "/api/workers/nobody/stop", WORKER, "{}"), 400);
        Reply stopped = call("POST", "/api/workers/py-stop/stop", WORKER, "{}");

        assertThat(stopped.status()).as(stopped.body().toString()).isEqualTo(200);
        assertThat(stopped.body().path("worker").path("status").asText()).isEqualTo("stopped");
        assertThat(stopped.body().path("handedBack")).hasSize(2);
        assertThat(call("GET", "/api/jobs?queue=stop&state=ready", READER, null)
                        .body()
                        .path("jobs"))
                .as("back in their queue at once, not when the leases lapse")
                .hasSize(2);
        JsonNode first = leased.get(0);
        Reply late = call(
                "POST",
                "/api/jobs/" + first.path("id").asText() + "/heartbeat",
                WORKER,
                "{\"leaseToken\":\"" + first.path("leaseToken").asText() + "\"}");
        assertProblem(late, 409);
        assertThat(call("GET", "/api/workers", READER, null).body().path("workers"))
                .filteredOn(w -> w.path("id").asText().equals("py-stop"))
                .singleElement()
                .satisfies(w -> assertThat(w.path("status").asText()).isEqualTo("stopped"));
        // Any id can be addressed, a '/' or a space in it too, percent-encoded as usual.
        call("POST", "/api/jobs/acquire", WORKER, "{\"workerId\":\"py/2 ü+\",\"queues\":[\"none\"]}");
        Reply odd = call(
                "POST",
                "/api/workers/"
                        + java.net.URLEncoder.encode("py/2 ü+", java.nio.charset.StandardCharsets.UTF_8)
                                .replace("+", "%20")
                        + "/stop",
                WORKER,
                "{}");
        assertThat(odd.status()).as(odd.body().toString()).isEqualTo(200);
        assertThat(odd.body().path("worker").path("id").asText()).isEqualTo("py/2 ü+");
        // Its id is free again: another token may take it.
        assertThat(call(
                                "POST",
                                "/api/jobs/acquire",
                                OTHER_WORKER,
                                "{\"workerId\":\"py-stop\",\"queues\":[\"stop\"],\"limit\":1}")
                        .status())
                .isEqualTo(200);
    }

    @Test
    void aRegistryOfAThousandWorkersIsReadPageByPage() throws Exception {
        Instant now = Instant.now();
        for (int i = 0; i < 1000; i++) {
            store.registerWorker(new WorkerInfo(
                    "w/" + i + " ü", "token:x", "h", Set.of("default"), 1, 0, now, now, now.plusSeconds(60)));
        }
        var seen = new java.util.HashSet<String>();
        int pages = 0;
        String path = "/api/workers?limit=300";
        while (path != null) {
            JsonNode page = call("GET", path, READER, null).body();
            page.path("workers")
                    .forEach(w -> assertThat(seen.add(w.path("id").asText())).isTrue());
            assertThat(page.path("workers").size()).isLessThanOrEqualTo(300);
            pages++;
            JsonNode next = page.path("nextCursor");
            path = next.isNull() ? null : "/api/workers?limit=300&cursor=" + next.asText();
        }
        assertThat(seen).hasSize(1000);
        assertThat(pages).isEqualTo(4);
        assertThat(call("GET", "/api/workers", READER, null)
                        .body()
                        .path("workers")
                        .size())
                .as("a page by default")
                .isEqualTo(100);
        assertProblem(call("GET", "/api/workers?cursor=***", READER, null), 400);
        assertProblem(call("GET", "/api/workers?limit=501", READER, null), 400);
    }

    @Test
    void eventStreamsBeyondTheLimitAre503() throws Exception {
        var open = new ArrayList<HttpResponse<Stream<String>>>();
        try {
            for (int i = 0; i < MAX_EVENT_STREAMS; i++) {
                HttpResponse<Stream<String>> stream =
                        client.send(get("/api/events", READER).build(), BodyHandlers.ofLines());
                open.add(stream);
                // Its first line means the server counts it.
                assertThat(stream.body().iterator().next()).isEqualTo("retry: 2000");
            }
            Reply refused = call("GET", "/api/events", READER, null);
            assertProblem(refused, 503);
            assertThat(refused.headers().get("retry-after")).containsExactly("30");
        } finally {
            open.forEach(stream -> stream.body().close());
        }
    }

    @Test
    void metricsAreNotFoundUntilTheHostEnablesThem() throws Exception {
        Reply metrics = call("GET", "/metrics", READER, null);
        assertProblem(metrics, 404);
        assertThat(metrics.body().path("detail").asText()).contains("prometheusScrape");
        assertProblem(call("GET", "/metrics", null, null), 401);
    }

    @Test
    void anyJsonValueIsAPayloadAndAResultAndItsQueueKeepsWorking() throws Exception {
        List<String> values = List.of("\"hello\"", "\"{}\"", "42", "[1,\"two\",null]", "true", "null", "{\"a\":1}");
        var sentById = new HashMap<String, JsonNode>();
        for (String value : values) {
            JsonNode job = created("{\"type\":\"echo\",\"payload\":" + value + "}");
            assertThat(job.path("payload")).as("payload %s as created", value).isEqualTo(mapper.readTree(value));
            sentById.put(job.path("id").asText(), mapper.readTree(value));
        }
        for (var sent : sentById.entrySet()) {
            Reply read = call("GET", "/api/jobs/" + sent.getKey(), READER, null);
            assertThat(read.body().path("payload")).as("payload read back").isEqualTo(sent.getValue());
        }
        assertThat(call("GET", "/api/jobs?queue=default", READER, null).body().path("jobs"))
                .hasSize(values.size());
        assertThat(client.send(get("/api/jobs.csv", READER).build(), BodyHandlers.ofString())
                        .body()
                        .lines())
                .as("CSV header and one row per job")
                .hasSize(values.size() + 1);

        Reply acquired = call(
                "POST",
                "/api/jobs/acquire",
                WORKER,
                "{\"workerId\":\"echo-1\",\"queues\":[\"default\"],\"limit\":20,\"leaseMs\":20000}");
        assertThat(acquired.body().path("jobs")).as("every job is claimed").hasSize(values.size());
        for (JsonNode job : acquired.body().path("jobs")) {
            String id = job.path("id").asText();
            JsonNode echoed = job.path("payload");
            assertThat(echoed).isEqualTo(sentById.get(id));
            Reply done = call(
                    "POST",
                    "/api/jobs/" + id + "/complete",
                    WORKER,
                    "{\"leaseToken\":\"" + job.path("leaseToken").asText() + "\",\"result\":" + echoed + "}");
            assertThat(done.status()).as(done.body().toString()).isEqualTo(200);
            assertThat(call("GET", "/api/jobs/" + id, READER, null).body().path("result"))
                    .as("result read back")
                    .isEqualTo(echoed);
        }
    }

    @Test
    void remoteWorkerRunsADagToTheEndOverHttp() throws Exception {
        Reply batch = call(
                "POST",
                "/api/jobs/batch",
                ADMIN,
                "{\"jobs\":["
                        + "{\"ref\":\"fetch\",\"type\":\"fetch\"},"
                        + "{\"ref\":\"thumbs\",\"type\":\"thumbs\",\"dependsOn\":[\"fetch\"]},"
                        + "{\"ref\":\"index\",\"type\":\"index\",\"dependsOn\":[\"fetch\"]},"
                        + "{\"type\":\"publish\",\"dependsOn\":[\"thumbs\",\"index\"]}]}");
        assertThat(batch.status()).as(batch.body().toString()).isEqualTo(201);
        assertThat(batch.body().path("jobs")).hasSize(4);

        var order = new ArrayList<String>();
        for (int round = 0; round < 10 && order.size() < 4; round++) {
            Reply acquired = call(
                    "POST",
                    "/api/jobs/acquire",
                    WORKER,
                    "{\"workerId\":\"py-1\",\"queues\":[\"default\"],\"limit\":10,\"leaseMs\":20000,\"waitMs\":1000}");
            assertThat(acquired.status()).isEqualTo(200);
            for (JsonNode job : acquired.body().path("jobs")) {
                String id = job.path("id").asText();
                String token = job.path("leaseToken").asText();
                Reply beat = call(
                        "POST",
                        "/api/jobs/" + id + "/heartbeat",
                        WORKER,
                        "{\"leaseToken\":\"" + token + "\",\"progress\":50,\"message\":\"half\"}");
                assertThat(beat.status()).isEqualTo(200);
                assertThat(beat.body().path("cancelRequested").asBoolean()).isFalse();
                Reply done = call(
                        "POST",
                        "/api/jobs/" + id + "/complete",
                        WORKER,
                        "{\"leaseToken\":\"" + token + "\",\"result\":{\"ok\":true}}");
                assertThat(done.status()).isEqualTo(200);
                assertThat(done.body().path("state").asText()).isEqualTo("SUCCEEDED");
                order.add(job.path("type").asText());
            }
        }

        assertThat(order).hasSize(4).startsWith("fetch").endsWith("publish");
        Reply workers = call("GET", "/api/workers", READER, null);
        assertThat(workers.body().path("workers").get(0).path("id").asText()).isEqualTo("py-1");
        assertThat(workers.body().path("workers").get(0).path("status").asText())
                .isEqualTo("alive");
    }

    private JsonNode acquireOne(String workerId) throws Exception {
        Reply acquired = call(
                "POST",
                "/api/jobs/acquire",
                WORKER,
                "{\"workerId\":\"" + workerId + "\",\"queues\":[\"default\"],\"waitMs\":2000}");
        assertThat(acquired.status()).as(acquired.body().toString()).isEqualTo(200);
        assertThat(acquired.body().path("jobs")).as("acquired").hasSize(1);
        return acquired.body().path("jobs").get(0);
    }

    @Test
    void aRemoteWorkerRecordsStepsAndACheckpointAndItsNextAttemptGetsThemBack() throws Exception {
        String id = created("{\"type\":\"order.ship\"}").path("id").asText();
        JsonNode first = acquireOne("py-1");
        assertThat(first.path("steps")).as("no steps yet").isEmpty();
        assertThat(first.path("checkpoint").isNull()).isTrue();
        assertThat(first.path("parents")).isEmpty();
        String token = first.path("leaseToken").asText();

        Reply step = call(
                "POST",
                "/api/jobs/" + id + "/steps/charge-card",
                WORKER,
                "{\"leaseToken\":\"" + token + "\",\"index\":0,\"result\":{\"receipt\":\"r-1\"}}");
        assertThat(step.status()).as(step.body().toString()).isEqualTo(200);
        assertThat(step.body().path("name").asText()).isEqualTo("charge-card");
        assertThat(step.body().path("result").path("receipt").asText()).isEqualTo("r-1");
        Reply saved = call(
                "PUT",
                "/api/jobs/" + id + "/checkpoint",
                WORKER,
                "{\"leaseToken\":\"" + token + "\",\"state\":{\"nextRow\":500}}");
        assertThat(saved.status()).as(saved.body().toString()).isEqualTo(200);
        assertThat(saved.body().path("state").path("nextRow").asInt()).isEqualTo(500);

        String stale = UUID.randomUUID().toString();
        assertProblem(
                call(
                        "POST",
                        "/api/jobs/" + id + "/steps/print-label",
                        WORKER,
                        "{\"leaseToken\":\"" + stale + "\",\"index\":1,\"result\":1}"),
                409);
        assertProblem(
                call(
                        "PUT",
                        "/api/jobs/" + id + "/checkpoint",
                        WORKER,
                        "{\"leaseToken\":\"" + stale + "\",\"state\":1}"),
                409);
        Reply reordered = call(
                "POST",
                "/api/jobs/" + id + "/steps/print-label",
                WORKER,
                "{\"leaseToken\":\"" + token + "\",\"index\":0,\"result\":1}");
        assertProblem(reordered, 409);
        assertThat(reordered.body().path("detail").asText()).contains("'charge-card'");
        assertProblem(
                call(
                        "POST",
                        "/api/jobs/" + id + "/steps/bad",
                        WORKER,
                        "{\"leaseToken\":\"" + token + "\",\"index\":1,\"result\":\"nul \\u0000\"}"),
                400);
        assertProblem(
                call("POST", "/api/jobs/" + id + "/steps/x", READER, "{\"leaseToken\":\"" + token + "\",\"index\":1}"),
                403);

        Reply failed = call(
                "POST",
                "/api/jobs/" + id + "/fail",
                WORKER,
                "{\"leaseToken\":\"" + token + "\",\"error\":{\"message\":\"carrier down\"},\"retryAfterMs\":0}");
        assertThat(failed.status()).isEqualTo(200);
        JsonNode second = acquireOne("py-2");
        assertThat(second.path("id").asText()).isEqualTo(id);
        assertThat(second.path("steps")).hasSize(1);
        assertThat(second.path("steps").get(0).path("index").asInt()).isZero();
        assertThat(second.path("steps").get(0).path("name").asText()).isEqualTo("charge-card");
        assertThat(second.path("steps").get(0).path("result").path("receipt").asText())
                .isEqualTo("r-1");
        assertThat(second.path("checkpoint").path("state").path("nextRow").asInt())
                .isEqualTo(500);
    }

    @Test
    void durableWorkOverHttpRefusesWhatCannotBeStoredAndAnotherOwnersLease() throws Exception {
        String id = created("{\"type\":\"order.ship\"}").path("id").asText();
        String token = acquireOne("py-1").path("leaseToken").asText();
        String lease = "\"leaseToken\":\"" + token + "\"";

        Reply otherOwner =
                call("POST", "/api/jobs/" + id + "/steps/a", OTHER_WORKER, "{" + lease + ",\"index\":0,\"result\":1}");
        assertProblem(otherOwner, 409);
        assertThat(fields(otherOwner)).containsExactly("workerId");
        assertProblem(call("PUT", "/api/jobs/" + id + "/checkpoint", OTHER_WORKER, "{" + lease + ",\"state\":1}"), 409);
        var byBody = new LinkedHashMap<String, String>();
        byBody.put("{" + lease + ",\"index\":100,\"result\":1}", "index");
        byBody.put("{" + lease + ",\"index\":-1}", "index");
        byBody.put("{" + lease + ",\"index\":\"0\"}", "index");
        byBody.put("{" + lease + "}", "index");
        byBody.put("{\"index\":0}", "leaseToken");
        byBody.put("{" + lease + ",\"index\":0,\"result\":1e400}", "result");
        byBody.put("{" + lease + ",\"index\":0,\"result\":\"lone \\ud800\"}", "result");
        byBody.forEach((body, field) -> {
            try {
                Reply refused = call("POST", "/api/jobs/" + id + "/steps/a", WORKER, body);
                assertProblem(refused, 400);
                assertThat(fields(refused))
                        .as(body.length() > 200 ? "a huge result" : body)
                        .contains(field);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        assertProblem(
                call(
                        "POST",
                        "/api/jobs/" + id + "/steps/a",
                        WORKER,
                        "{" + lease + ",\"index\":0,\"result\":\"" + "x".repeat(JobLimits.DEFAULT_MAX_PAYLOAD_BYTES)
                                + "\"}"),
                413);
        Reply controlName =
                call("POST", "/api/jobs/" + id + "/steps/line%0Abreak", WORKER, "{" + lease + ",\"index\":0}");
        assertProblem(controlName, 400);
        assertThat(fields(controlName)).containsExactly("step");
        assertProblem(call("PUT", "/api/jobs/" + id + "/checkpoint", WORKER, "{" + lease + "}"), 400);
        assertProblem(
                call("PUT", "/api/jobs/" + id + "/checkpoint", WORKER, "{" + lease + ",\"state\":\"nul \\u0000\"}"),
                400);
        assertProblem(call("GET", "/api/jobs/" + UUID.randomUUID() + "/steps", READER, null), 404);
        assertThat(call("GET", "/api/jobs/" + id + "/steps", READER, null)
                        .body()
                        .path("steps"))
                .as("nothing refused was recorded")
                .isEmpty();
    }

    @Test
    void aFanInJobAcquiredOverHttpCarriesItsParentsResultsByName() throws Exception {
        Reply batch = call(
                "POST",
                "/api/jobs/batch",
                ADMIN,
                "{\"jobs\":[{\"ref\":\"left\",\"type\":\"a\"},{\"ref\":\"right\",\"type\":\"b\"},"
                        + "{\"ref\":\"join\",\"type\":\"c\",\"dependsOn\":[\"left\",\"right\"]}]}");
        assertThat(batch.status()).as(batch.body().toString()).isEqualTo(201);
        for (int i = 0; i < 2; i++) {
            JsonNode parent = acquireOne("py-1");
            Reply done = call(
                    "POST",
                    "/api/jobs/" + parent.path("id").asText() + "/complete",
                    WORKER,
                    "{\"leaseToken\":\"" + parent.path("leaseToken").asText() + "\",\"result\":{\"from\":\""
                            + parent.path("type").asText() + "\"}}");
            assertThat(done.status()).isEqualTo(200);
        }

        JsonNode join = acquireOne("py-1");
        assertThat(join.path("type").asText()).isEqualTo("c");
        var byName = new java.util.TreeMap<String, String>();
        join.path("parents")
                .forEach(parent -> byName.put(
                        parent.path("name").asText(),
                        parent.path("state").asText() + ":"
                                + parent.path("result").path("from").asText()));
        assertThat(byName).containsExactly(Map.entry("left", "SUCCEEDED:a"), Map.entry("right", "SUCCEEDED:b"));
    }

    @Test
    void aWorkerThatLostItsLeaseGets409AndChangesNothing() throws Exception {
        String id = created("{\"type\":\"a\"}").path("id").asText();
        JsonNode leased = call("POST", "/api/jobs/acquire", WORKER, "{\"workerId\":\"w1\",\"queues\":[\"default\"]}")
                .body()
                .path("jobs")
                .get(0);
        String stale = UUID.randomUUID().toString();

        assertProblem(call("POST", "/api/jobs/" + id + "/complete", WORKER, "{\"leaseToken\":\"" + stale + "\"}"), 409);
        assertProblem(
                call("POST", "/api/jobs/" + id + "/heartbeat", WORKER, "{\"leaseToken\":\"" + stale + "\"}"), 409);
        assertProblem(
                call(
                        "POST",
                        "/api/jobs/" + id + "/fail",
                        WORKER,
                        "{\"leaseToken\":\"" + stale + "\",\"error\":{\"message\":\"x\"}}"),
                409);
        assertThat(call("GET", "/api/jobs/" + id, READER, null)
                        .body()
                        .path("state")
                        .asText())
                .isEqualTo("RUNNING");

        Reply failed = call(
                "POST",
                "/api/jobs/" + id + "/fail",
                WORKER,
                "{\"leaseToken\":\""
                        + leased.path("leaseToken").asText()
                        + "\",\"error\":{\"type\":\"Upstream\",\"message\":\"503 from api\"},\"retryAfterMs\":60000}");
        assertThat(failed.status()).isEqualTo(200);
        assertThat(failed.body().path("state").asText()).isEqualTo("RETRYING");
        assertThat(failed.body().path("lastError").path("message").asText()).isEqualTo("503 from api");
    }

    @Test
    void failWithoutRetryFailsForGoodAndOperatorRetryAndCancelFollowTheStateMachine() throws Exception {
        String id = created("{\"type\":\"a\"}").path("id").asText();
        String token = call("POST", "/api/jobs/acquire", WORKER, "{\"workerId\":\"w1\",\"queues\":[\"default\"]}")
                .body()
                .path("jobs")
                .get(0)
                .path("leaseToken")
                .asText();
        Reply failed = call(
                "POST",
                "/api/jobs/" + id + "/fail",
                WORKER,
                "{\"leaseToken\":\"" + token + "\",\"error\":{\"message\":\"bad\"},\"retryable\":false}");
        assertThat(failed.body().path("state").asText()).isEqualTo("FAILED");

        assertProblem(call("POST", "/api/jobs/" + id + "/cancel", ADMIN, null), 409);
        Reply retried = call("POST", "/api/jobs/" + id + "/retry", ADMIN, null);
        assertThat(retried.status()).isEqualTo(200);
        assertThat(retried.body().path("state").asText()).isEqualTo("READY");
        assertProblem(call("POST", "/api/jobs/" + id + "/retry", ADMIN, null), 409);

        Reply cancelled = call("POST", "/api/jobs/" + id + "/cancel", ADMIN, null);
        assertThat(cancelled.body().path("state").asText()).isEqualTo("CANCELLED");

        String running = created("{\"type\":\"b\"}").path("id").asText();
        call("POST", "/api/jobs/acquire", WORKER, "{\"workerId\":\"w1\",\"queues\":[\"default\"]}");
        Reply asked = call("POST", "/api/jobs/" + running + "/cancel", ADMIN, null);
        assertThat(asked.body().path("state").asText()).isEqualTo("RUNNING");
        assertThat(asked.body().path("cancelRequested").asBoolean()).isTrue();
    }

    @Test
    void queuesShowCountsAndPauseStopsAcquisition() throws Exception {
        created("{\"type\":\"a\",\"queue\":\"mail\"}");
        assertThat(call("POST", "/api/queues/mail/pause", ADMIN, null).status()).isEqualTo(200);

        Reply none = call("POST", "/api/jobs/acquire", WORKER, "{\"workerId\":\"w1\",\"queues\":[\"mail\"]}");
        Reply queues = call("GET", "/api/queues", READER, null);

        assertThat(none.body().path("jobs")).isEmpty();
        JsonNode mail = queues.body().path("queues").get(0);
        assertThat(mail.path("name").asText()).isEqualTo("mail");
        assertThat(mail.path("paused").asBoolean()).isTrue();
        assertThat(mail.path("counts").path("READY").asInt()).isEqualTo(1);
        assertThat(mail.path("successRate").isNull()).isTrue();
        assertThat(mail.path("averageRunMs").isNull()).isTrue();

        call("POST", "/api/queues/mail/resume", ADMIN, null);
        created("{\"type\":\"a\",\"queue\":\"mail\"}");
        JsonNode leased = call(
                        "POST", "/api/jobs/acquire", WORKER, "{\"workerId\":\"w1\",\"queues\":[\"mail\"],\"limit\":5}")
                .body()
                .path("jobs");
        assertThat(leased).hasSize(2);
        JsonNode ok = leased.get(0);
        JsonNode bad = leased.get(1);
        call(
                "POST",
                "/api/jobs/" + ok.path("id").asText() + "/complete",
                WORKER,
                "{\"leaseToken\":\"" + ok.path("leaseToken").asText() + "\"}");
        call(
                "POST",
                "/api/jobs/" + bad.path("id").asText() + "/fail",
                WORKER,
                "{\"leaseToken\":\"" + bad.path("leaseToken").asText()
                        + "\",\"error\":{\"message\":\"x\"},\"retryable\":false}");

        Reply stats = call("GET", "/api/queues?windowMinutes=5", READER, null);
        assertThat(stats.body().path("windowMinutes").asInt()).isEqualTo(5);
        JsonNode after = stats.body().path("queues").get(0);
        assertThat(after.path("succeeded").asInt()).isEqualTo(1);
        assertThat(after.path("failed").asInt()).isEqualTo(1);
        assertThat(after.path("successRate").asDouble()).isEqualTo(0.5);
        assertThat(after.path("averageRunMs").isNumber()).isTrue();
        assertThat(after.path("averageRunMs").asDouble()).isGreaterThanOrEqualTo(0);
        Reply throughput = call("GET", "/api/throughput?minutes=5", READER, null);
        JsonNode series = throughput.body().path("series");
        assertThat(series).hasSize(5);
        assertThat(series.get(4).path("succeeded").asInt()).isEqualTo(1);
        assertThat(series.get(4).path("failed").asInt()).isEqualTo(1);
        assertThat(series.get(0).path("succeeded").asInt()).isZero();
        assertThat(fields(call("GET", "/api/throughput?minutes=0", READER, null)))
                .containsExactly("minutes");
        Reply badWindow = call("GET", "/api/queues?windowMinutes=0", READER, null);
        assertProblem(badWindow, 400);
        assertThat(fields(badWindow)).containsExactly("windowMinutes");
    }

    @Test
    void recurringJobsArePutReadListedAndDeleted() throws Exception {
        String nightly = "{\"cron\":\"0 2 * * *\",\"zone\":\"Europe/Berlin\",\"missed\":\"run_all\","
                + "\"runAllLimit\":5,\"job\":{\"type\":\"report.build\",\"queue\":\"reports\","
                + "\"payload\":{\"region\":\"eu\"},\"priority\":\"high\",\"metadata\":{\"team\":\"sales\"}}}";

        Reply put = call("PUT", "/api/recurring/nightly-report", ADMIN, nightly);

        assertThat(put.status()).as(put.body().toString()).isEqualTo(200);
        JsonNode saved = put.body();
        assertThat(saved.path("name").asText()).isEqualTo("nightly-report");
        assertThat(saved.path("cron").asText()).isEqualTo("0 2 * * *");
        assertThat(saved.path("zone").asText()).isEqualTo("Europe/Berlin");
        assertThat(saved.path("missed").asText()).isEqualTo("run_all");
        assertThat(saved.path("runAllLimit").asInt()).isEqualTo(5);
        assertThat(saved.path("graceMs").asLong()).isEqualTo(60_000);
        assertThat(saved.path("job").path("queue").asText()).isEqualTo("reports");
        assertThat(saved.path("job").path("priority").asInt()).isEqualTo(25);
        assertThat(saved.path("job").path("payload").path("region").asText()).isEqualTo("eu");
        assertThat(saved.path("job").path("metadata").path("team").asText()).isEqualTo("sales");
        assertThat(saved.path("nextRuns")).hasSize(5);
        assertThat(saved.path("nextRuns").get(0).asText()).matches("\\d{4}-\\d{2}-\\d{2}T0[01]:00:00Z");

        assertThat(call("GET", "/api/recurring/nightly-report", READER, null).body())
                .isEqualTo(saved);
        assertThat(call("GET", "/api/recurring", READER, null).body().path("recurring"))
                .singleElement()
                .isEqualTo(saved);
        assertProblem(call("PUT", "/api/recurring/nightly-report", READER, nightly), 403);

        Reply replaced = call(
                "PUT",
                "/api/recurring/nightly-report",
                ADMIN,
                "{\"everyMs\":60000,\"job\":{\"type\":\"report.build\"}}");
        assertThat(replaced.status()).as(replaced.body().toString()).isEqualTo(200);
        assertThat(replaced.body().path("everyMs").asLong()).isEqualTo(60_000);
        assertThat(replaced.body().has("cron")).isFalse();
        assertThat(replaced.body().path("missed").asText()).isEqualTo("run_once");

        Reply deleted = call("DELETE", "/api/recurring/nightly-report", ADMIN, null);
        assertThat(deleted.status()).isEqualTo(204);
        assertProblem(call("GET", "/api/recurring/nightly-report", READER, null), 404);
        assertProblem(call("DELETE", "/api/recurring/nightly-report", ADMIN, null), 404);
        assertThat(call("GET", "/api/recurring", READER, null).body().path("recurring"))
                .isEmpty();
    }

    @Test
    void badRecurringJobsGetProblemsNamingTheFieldAndNothingIsSaved() throws Exception {
        Map<String, String> fieldByBody = Map.of(
                "{\"cron\":\"0 2 * * *\",\"everyMs\":1000,\"job\":{\"type\":\"a\"}}", "cron",
                "{\"job\":{\"type\":\"a\"}}", "cron",
                "{\"cron\":\"61 * * * *\",\"job\":{\"type\":\"a\"}}", "cron",
                "{\"cron\":\"0 2 * * *\",\"zone\":\"Mars/Olympus\",\"job\":{\"type\":\"a\"}}", "zone",
                "{\"everyMs\":500,\"job\":{\"type\":\"a\"}}", "everyMs",
                "{\"everyMs\":1000,\"missed\":\"sometimes\",\"job\":{\"type\":\"a\"}}", "missed",
                "{\"everyMs\":1000,\"job\":{\"type\":\"a\",\"delayMs\":5}}", "job.runAt",
                "{\"everyMs\":1000,\"job\":{\"type\":\"a\",\"queue\":\"Bad Queue\"}}", "job.queue",
                "{\"everyMs\":1000,\"graceMs\":10,\"job\":{\"type\":\"a\"}}", "graceMs",
                "{\"everyMs\":1000}", "job");
        assertEachPutIsRefusedNamingItsField("/api/recurring/broken", fieldByBody);
        Reply badName = call("PUT", "/api/recurring/Not.A.Name", ADMIN, "{\"everyMs\":1000,\"job\":{\"type\":\"a\"}}");
        assertProblem(badName, 400);
        assertThat(fields(badName)).containsExactly("name");

        assertThat(call("GET", "/api/recurring", READER, null).body().path("recurring"))
                .isEmpty();
    }

    @Test
    void queueLimitsAreSetReadAndLiftedAndRemoteWorkersAreHeldToThem() throws Exception {
        Reply put = call(
                "PUT",
                "/api/queues/partner/limits",
                ADMIN,
                "{\"maxRunning\":2,\"maxStarts\":{\"starts\":50,\"perMs\":60000},\"maxRunningPerKey\":1}");
        assertThat(put.status()).as(put.body().toString()).isEqualTo(200);
        JsonNode limits = put.body().path("limits");
        assertThat(limits.path("maxRunning").asInt()).isEqualTo(2);
        assertThat(limits.path("maxStarts").path("starts").asInt()).isEqualTo(50);
        assertThat(limits.path("maxStarts").path("perMs").asLong()).isEqualTo(60_000);
        assertThat(limits.path("maxRunningPerKey").asInt()).isEqualTo(1);
        assertThat(call("GET", "/api/queues/partner/limits", READER, null).body())
                .isEqualTo(put.body());
        assertProblem(call("PUT", "/api/queues/partner/limits", READER, "{\"maxRunning\":1}"), 403);

        for (String key : List.of("a", "a", "b", "c")) {
            Reply created = call(
                    "POST",
                    "/api/jobs",
                    ADMIN,
                    "{\"type\":\"t\",\"queue\":\"partner\",\"concurrencyKey\":\"" + key + "\"}");
            assertThat(created.body().path("concurrencyKey").asText()).isEqualTo(key);
        }
        Reply acquired = call(
                "POST", "/api/jobs/acquire", WORKER, "{\"workerId\":\"remote\",\"queues\":[\"partner\"],\"limit\":10}");
        assertThat(acquired.body().path("jobs")).hasSize(2);
        var keys = new ArrayList<String>();
        acquired.body()
                .path("jobs")
                .forEach(job -> keys.add(job.path("concurrencyKey").asText()));
        assertThat(keys).containsExactly("a", "b");
        assertThat(call("GET", "/api/queues", READER, null).body().path("queues"))
                .singleElement()
                .satisfies(queue -> assertThat(queue.path("limits")).isEqualTo(limits));

        assertThat(call("DELETE", "/api/queues/partner/limits", ADMIN, null).status())
                .isEqualTo(204);
        JsonNode lifted =
                call("GET", "/api/queues/partner/limits", READER, null).body().path("limits");
        assertThat(lifted.path("maxRunning").isNull()).isTrue();
        assertThat(lifted.path("maxStarts").isNull()).isTrue();
        assertThat(lifted.path("maxRunningPerKey").isNull()).isTrue();
        assertThat(engine.queueLimits()).isEmpty();
    }

    @Test
    void badQueueLimitsGetProblemsNamingTheFieldAndChangeNothing() throws Exception {
        Map<String, String> fieldByBody = Map.of(
                "{\"maxRunning\":0}", "maxRunning",
                "{\"maxRunning\":1000001}", "maxRunning",
                "{\"maxRunningPerKey\":-1}", "maxRunningPerKey",
                "{\"maxStarts\":{\"starts\":5,\"perMs\":10}}", "maxStarts.perMs",
                "{\"maxStarts\":{\"perMs\":1000}}", "maxStarts.starts",
                "{\"maxRunning\":\"many\"}", "maxRunning");
        assertEachPutIsRefusedNamingItsField("/api/queues/partner/limits", fieldByBody);
        Reply badName = call("PUT", "/api/queues/Bad%20Queue/limits", ADMIN, "{\"maxRunning\":1}");
        assertProblem(badName, 400);
        assertThat(fields(badName)).containsExactly("name");
        // One rule for a queue's name in the path, whichever route carries it.
        for (String[] route :
                new String[][] {{"GET", "limits"}, {"DELETE", "limits"}, {"POST", "pause"}, {"POST", "resume"}}) {
            Reply refused = call(route[0], "/api/queues/Bad%20Queue/" + route[1], ADMIN, null);
            assertProblem(refused, 400);
            assertThat(fields(refused)).as("%s %s", route[0], route[1]).containsExactly("name");
        }
        Reply longKey =
                call("POST", "/api/jobs", ADMIN, "{\"type\":\"t\",\"concurrencyKey\":\"" + "k".repeat(256) + "\"}");
        assertProblem(longKey, 400);
        assertThat(fields(longKey)).containsExactly("concurrencyKey");

        assertThat(engine.queueLimits()).isEmpty();
        assertThat(engine.counts()).isEmpty();
    }

    @Test
    void batchWithACycleOrAnUnknownRefCreatesNothing() throws Exception {
        Reply cycle = call(
                "POST",
                "/api/jobs/batch",
                ADMIN,
                "{\"jobs\":["
                        + "{\"ref\":\"a\",\"type\":\"t\",\"dependsOn\":[\"b\"]},"
                        + "{\"ref\":\"b\",\"type\":\"t\",\"dependsOn\":[\"a\"]}]}");
        Reply unknown = call(
                "POST",
                "/api/jobs/batch",
                ADMIN,
                "{\"jobs\":[" + "{\"ref\":\"a\",\"type\":\"t\"},{\"type\":\"t\",\"dependsOn\":[\"nope\"]}]}");
        Reply badItem = call(
                "POST",
                "/api/jobs/batch",
                ADMIN,
                "{\"jobs\":[" + "{\"type\":\"t\"},{\"type\":\"t\",\"queue\":\"Bad Queue\"}]}");

        assertProblem(cycle, 400);
        assertProblem(unknown, 400);
        assertThat(fields(unknown)).containsExactly("jobs[1].dependsOn[0]");
        assertProblem(badItem, 400);
        assertThat(fields(badItem)).containsExactly("jobs[1].queue");
        assertThat(engine.counts()).isEmpty();
    }

    @Test
    void authenticationAndRoles() throws Exception {
        Reply anonymous = call("GET", "/api/jobs", null, null);
        assertProblem(anonymous, 401);
        assertThat(anonymous.headers().get("www-authenticate")).containsExactly("Bearer");
        assertProblem(call("GET", "/api/jobs", "wrong-token-0123456789", null), 401);
        assertProblem(call("POST", "/api/jobs", READER, "{\"type\":\"a\"}"), 403);
        assertProblem(call("POST", "/api/jobs", WORKER, "{\"type\":\"a\"}"), 403);
        assertProblem(call("POST", "/api/jobs/acquire", READER, "{\"workerId\":\"w\",\"queues\":[\"default\"]}"), 403);
        assertProblem(call("POST", "/api/queues/default/pause", WORKER, null), 403);
        assertThat(call("GET", "/api/jobs", WORKER, null).status()).isEqualTo(200);
        assertThat(call("GET", "/health", null, null).status()).isEqualTo(200);
        assertThat(call("GET", "/openapi.json", null, null)
                        .body()
                        .path("openapi")
                        .asText())
                .isEqualTo("3.1.0");
        assertThat(engine.counts()).isEmpty();
    }

    @Test
    void badRequestsGetProblemsNamingTheField() throws Exception {
        var cases = new HashMap<String, String>();
        cases.put("{\"type\":\"a\",", "(body)");
        cases.put("{\"type\":\"a\",\"colour\":\"red\"}", "colour");
        cases.put("{\"type\":\"a\",\"maxAttempts\":\"3\"}", "maxAttempts");
        cases.put("{\"type\":\"a\",\"priority\":\"urgent\"}", "priority");
        cases.put("{\"type\":\"a\",\"priority\":1000}", "priority");
        cases.put("{\"type\":\"a\",\"runAt\":\"tomorrow\"}", "runAt");
        cases.put("{\"type\":\"a\",\"dependsOn\":[\"x\"]}", "dependsOn[0]");
        cases.put("{\"queue\":\"mail\"}", "type");
        cases.put("{\"type\":\"A B\"}", "type");
        cases.put("{\"type\":\"a\",\"delayMs\":-1}", "delayMs");
        cases.put("{\"type\":\"a\",\"metadata\":{\"k\":null}}", "metadata[k]");
        cases.put("[]", "(body)");
        cases.put("null", "(body)");
        for (var entry : cases.entrySet()) {
            Reply reply = call("POST", "/api/jobs", ADMIN, entry.getKey());
            assertProblem(reply, 400);
            assertThat(fields(reply))
                    .as(entry.getKey())
                    .anySatisfy(f -> assertThat(f).startsWith(entry.getValue()));
        }
        assertProblem(
                call(
                        "POST",
                        "/api/jobs/acquire",
                        WORKER,
                        "{\"workerId\":\"w\",\"queues\":[\"default\"],\"limit\":101}"),
                400);
        assertProblem(
                call(
                        "POST",
                        "/api/jobs/acquire",
                        WORKER,
                        "{\"workerId\":\"w\",\"queues\":[\"default\"],\"waitMs\":31000}"),
                400);
        assertProblem(
                call(
                        "POST",
                        "/api/jobs/acquire",
                        WORKER,
                        "{\"workerId\":\"w\",\"queues\":[\"default\"],\"leaseMs\":10}"),
                400);
        assertProblem(call("GET", "/api/jobs?limit=501", READER, null), 400);
        assertProblem(call("GET", "/api/jobs?state=DONE", READER, null), 400);
        assertThat(engine.counts()).isEmpty();
    }

    @Test
    void wrongPathsMethodsMediaTypesAndSizes() throws Exception {
        assertProblem(call("GET", "/api/nothing", ADMIN, null), 404);
        assertProblem(call("GET", "/api/jobs/" + UUID.randomUUID(), ADMIN, null), 404);
        assertProblem(call("GET", "/api/jobs/not-an-id", ADMIN, null), 404);
        assertProblem(call("POST", "/api/jobs/" + UUID.randomUUID() + "/retry", ADMIN, null), 404);
        Reply wrongMethod = call("DELETE", "/api/jobs", ADMIN, null);
        assertProblem(wrongMethod, 405);
        assertThat(wrongMethod.headers().get("allow").get(0)).contains("GET").contains("POST");
        assertProblem(call("POST", "/api/jobs", ADMIN, "type=a", "application/x-www-form-urlencoded"), 415);
        String huge = "{\"type\":\"a\",\"payload\":\"" + "x".repeat(70 * 1024) + "\"}";
        assertProblem(call("POST", "/api/jobs", ADMIN, huge), 413);
        var manyHeaders = new HashMap<String, String>();
        for (int i = 0; i < JobsHttpApi.MAX_HEADERS + 10; i++) {
            manyHeaders.put("X-Filler-" + i, "x");
        }
        HttpResponse<String> tooMany =
                client.send(withHeaders(get("/api/jobs", READER), manyHeaders).build(), BodyHandlers.ofString());
        HttpResponse<String> tooBig = client.send(
                get("/api/jobs", READER)
                        .header("X-Filler", "x".repeat(JobsHttpApi.MAX_HEADER_BYTES + 1))
                        .build(),
                BodyHandlers.ofString());
        assertThat(tooMany.statusCode()).as(tooMany.body()).isEqualTo(431);
        assertThat(tooBig.statusCode()).as(tooBig.body()).isEqualTo(431);
        // Far past the limit, the server stops reading and answers the same problem itself.
        var absurd = get("/api/jobs", READER).header("X-Filler", "x".repeat(4 * JobsHttpApi.MAX_HEADER_BYTES));
        HttpResponse<String> farTooBig = client.send(absurd.build(), BodyHandlers.ofString());
        assertThat(farTooBig.statusCode()).as(farTooBig.body()).isEqualTo(431);
        assertThat(farTooBig.headers().firstValue("content-type")).hasValue("application/problem+json");
        assertThat(engine.counts()).isEmpty();
    }

    private static HttpRequest.Builder withHeaders(HttpRequest.Builder request, Map<String, String> headers) {
        headers.forEach(request::header);
        return request;
    }

    @Test
    void everyRouteIsInTheOpenApiDocument() throws Exception {
        JsonNode document = call("GET", "/openapi.json", null, null).body();
        var api = JobsHttpApi.builder().engine(engine).token(ADMIN, Role.ADMIN).build();

        for (String route : api.routes()) {
            String method = route.substring(0, route.indexOf(' ')).toLowerCase();
            String path = route.substring(route.indexOf(' ') + 1);
            assertThat(document.path("paths").path(path).has(method)).as(route).isTrue();
        }
        int documented = 0;
        for (JsonNode path : document.path("paths")) {
            documented += path.size();
        }
        assertThat(documented).isEqualTo(api.routes().size());
        assertThat(JobState.values())
                .allSatisfy(state -> assertThat(document.path("components")
                                .path("schemas")
                                .path("Job")
                                .path("properties")
                                .path("state")
                                .path("enum")
                                .toString())
                        .contains(state.name()));
    }
}
