package dev.jobs.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jobs.core.JobEngineBuilder;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged jar as a user runs it: started as a process on an empty data directory with
 * {@code --demo}, it serves the API, runs the demo jobs to their ends, lets the Python worker drain
 * its queue, stops gracefully on SIGTERM, and starts again on the same data with every job kept.
 */
class ExampleServerJarIT {
    private static final String TOKEN = "it-admin-token-0123456789";
    /**
     * The most any step of the run is waited for: the server's start (a JVM, an H2 file, the demo's
     * jobs) and the demo's work take seconds to some tens of seconds on a loaded two-core machine;
     * ninety seconds is several times the slowest.
     */
    private static final Duration PATIENCE = Duration.ofSeconds(90);

    private final ObjectMapper mapper = new ObjectMapper();
    private final HttpClient client = HttpClient.newHttpClient();
    private Process server;
    private int port;

    @TempDir
    Path dataDir;

    @AfterEach
    void stopServer() throws Exception {
        if (server != null && server.isAlive()) {
            server.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void runsTheDemoAndTheirPythonWorkerAndKeepsEveryJobAcrossARestart() throws Exception {
        Path firstLog = start(List.of("--demo"), 4);

        JsonNode demo = awaitJobs(
                "queue=demo&limit=100",
                jobs -> jobs.size() == 10
                        && state(jobs, "demo.merge").equals("SUCCEEDED")
                        && state(jobs, "demo.flaky").equals("SUCCEEDED")
                        && state(jobs, "demo.slow").equals("FAILED")
                        && state(jobs, "demo.doomed").equals("FAILED")
                        && state(jobs, "demo.long").equals("RUNNING"));
        assertThat(job(demo, "demo.flaky").path("attempt").asInt()).isEqualTo(3);
        assertThat(send("GET", "/api/recurring/demo-digest", null).path("nextRuns"))
                .as("the recurring digest, registered in code, with its next runs")
                .hasSize(5);
        assertThat(send("GET", "/api/queues/demo-partner/limits", null)
                        .path("limits")
                        .path("maxRunningPerKey")
                        .asInt())
                .as("the partner queue's limits, set in code")
                .isEqualTo(1);
        assertThat(job(demo, "demo.slow").path("lastError").path("type").asText())
                .isEqualTo("Timeout");
        assertThat(job(demo, "demo.merge").path("result").path("merged").asInt())
                .isEqualTo(DemoJobs.PIPELINE_PARTS);
        assertThat(job(demo, "demo.merge").path("result").path("rows").asInt())
                .as("the merge's sum of its parts' rows, read from their results")
                .isEqualTo(10 + 20 + 30);
        // The long job reports progress and stops when cancelled.
        String longJob = job(demo, "demo.long").path("id").asText();
        assertThat(send("POST", "/api/jobs/" + longJob + "/cancel", null)
                        .path("cancelRequested")
                        .asBoolean())
                .isTrue();
        awaitJobs("queue=demo&type=demo.long", jobs -> state(jobs, "demo.long").equals("CANCELLED"));

        for (String text : List.of("a b a", "the cat and the hat", "one")) {
            send(
                    "POST",
                    "/api/jobs",
                    "{\"type\":\"py.wordcount\",\"queue\":\"python\",\"payload\":{\"text\":\"" + text + "\"}}");
        }
        // Durable steps over HTTP: the first attempt fails after two steps, the retry replays them.
        String summary = send(
                        "POST",
                        "/api/jobs",
                        "{\"type\":\"py.summary\",\"queue\":\"python\","
                                + "\"payload\":{\"texts\":[\"a b\",\"c d e\",\"f\"],\"failAfter\":2}}")
                .path("id")
                .asText();
        runPythonWorker();
        JsonNode python = awaitJobs("queue=python&state=succeeded", jobs -> jobs.size() == 4);
        assertThat(python.findValues("words")).extracting(JsonNode::asInt).containsExactlyInAnyOrder(3, 5, 1, 6);
        JsonNode summarised = send("GET", "/api/jobs/" + summary, null);
        assertThat(summarised.path("attempt").asInt()).isEqualTo(2);
        assertThat(summarised.path("result").path("replayed").toString()).isEqualTo("[\"count-0\",\"count-1\"]");
        assertThat(summarised.path("result").path("resumedFrom").asInt()).isEqualTo(2);
        JsonNode work = send("GET", "/api/jobs/" + summary + "/steps", null);
        assertThat(work.path("steps").findValues("name"))
                .extracting(JsonNode::asText)
                .containsExactly("count-0", "count-1", "count-2");
        assertThat(work.path("checkpoint").path("state").path("counted").asInt())
                .isEqualTo(3);

        server.destroy(); // SIGTERM: a graceful stop, within the engine's shutdown timeout and a little
        Duration stopsWithin = JobEngineBuilder.DEFAULT_SHUTDOWN_TIMEOUT.multipliedBy(2);
        assertThat(server.waitFor(stopsWithin.toSeconds(), TimeUnit.SECONDS))
                .as("stopped within %s", stopsWithin)
                .isTrue();
        assertThat(Files.readString(firstLog))
                .contains("jobs example server is up")
                .contains("stopped");

        start(List.of(), 0);
        assertThat(send("GET", "/api/jobs?queue=demo&limit=100", null).path("jobs"))
                .hasSize(10);
        assertThat(send("GET", "/api/jobs?queue=python&state=succeeded", null).path("jobs"))
                .hasSize(4);
    }

    /**
     * The demo's deployment of durable steps, its server killed with {@code kill -9} after the
     * first step: the next server takes the job over once its lease lapses (the engine's default
     * lease, 30 s, and a reclaim scan, 5 s, well within the patience) and finishes it without
     * running the recorded steps again.
     */
    @Test
    void theDeploymentOfDurableStepsResumesAfterItsServerIsKilled() throws Exception {
        start(List.of("--demo"), 4);
        JsonNode deploying = awaitJobs(
                "queue=demo&type=demo.deploy",
                jobs -> state(jobs, "demo.deploy").equals("RUNNING"));
        String deploy = job(deploying, "demo.deploy").path("id").asText();
        Instant deadline = Instant.now().plus(PATIENCE);
        while (send("GET", "/api/jobs/" + deploy + "/steps", null).path("steps").isEmpty()) {
            assertThat(Instant.now()).as("the first step recorded").isBefore(deadline);
            Thread.sleep(100);
        }

        server.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // kill -9: no shutdown, no last write
        start(List.of(), 4);

        JsonNode done = awaitJobs(
                "queue=demo&type=demo.deploy",
                jobs -> state(jobs, "demo.deploy").equals("SUCCEEDED"));
        JsonNode result = job(done, "demo.deploy").path("result");
        assertThat(result.path("replayed").get(0).asText())
                .as("the step recorded before the kill, not run again: %s", result)
                .isEqualTo("build");
        assertThat(result.path("replayed").size() + result.path("ran").size()).isEqualTo(DemoJobs.DEPLOY_STEPS.size());
        assertThat(send("GET", "/api/jobs/" + deploy + "/steps", null)
                        .path("steps")
                        .findValues("name"))
                .extracting(JsonNode::asText)
                .containsExactlyElementsOf(DemoJobs.DEPLOY_STEPS);
    }

    @Test
    void dispatchesThroughRedisWhenJobsRedisUrlIsSet() throws Exception {
        String redis = Optional.ofNullable(System.getenv("JOBS_TEST_REDIS_URL"))
                .filter(v -> !v.isBlank())
                .orElse("redis://127.0.0.1:6379");
        Path log = start(List.of("--demo"), 4, Map.of("JOBS_REDIS_URL", redis));

        awaitJobs(
                "queue=demo&type=demo.merge", jobs -> state(jobs, "demo.merge").equals("SUCCEEDED"));
        JsonNode queues = send("GET", "/api/queues", null).path("queues");
        assertThat(queues.findValues("dispatch"))
                .as("Redis's view of the queue")
                .hasSize(1);
        assertThat(Files.readString(log)).contains("Dispatch:     Redis at " + redis);
    }

    /**
     * Every module of the engine on the module path, as a host that uses modules runs it: the
     * server starts (the JDBC store finds H2 through its driver, the HTTP adapter serves), and the
     * demo's jobs are created, validated, run and read back as JSON, which Jackson and Hibernate
     * Validator do reflectively, through what each module-info opens to them.
     */
    @Test
    void runsOnTheModulePath() throws Exception {
        String modulePath = Files.readString(Path.of(System.getProperty("jobs.modulePathFile")))
                        .strip()
                + java.io.File.pathSeparator
                + System.getProperty("jobs.exampleClasses");
        launch(
                List.of(
                        "--module-path",
                        modulePath,
                        "--add-modules",
                        "ALL-MODULE-PATH",
                        "--module",
                        "dev.jobs.examples/dev.jobs.examples.ExampleServer",
                        "--demo"),
                4,
                Map.of());

        JsonNode demo = awaitJobs(
                "queue=demo&limit=100",
                jobs -> state(jobs, "demo.merge").equals("SUCCEEDED")
                        && state(jobs, "demo.flaky").equals("SUCCEEDED")
                        && state(jobs, "demo.doomed").equals("FAILED"));
        assertThat(job(demo, "demo.merge").path("result").path("merged").asInt())
                .isEqualTo(DemoJobs.PIPELINE_PARTS);
        String created = send("POST", "/api/jobs", "{\"type\":\"py.wordcount\",\"queue\":\"python\",\"payload\":{}}")
                .path("id")
                .asText();
        assertThat(send("GET", "/api/jobs/" + created, null).path("state").asText())
                .isEqualTo("READY");
    }

    /** Starts the jar and waits until it answers /health; returns its log file. */
    private Path start(List<String> args, int workers) throws Exception {
        return start(args, workers, Map.of());
    }

    private Path start(List<String> args, int workers, Map<String, String> moreEnvironment) throws Exception {
        var launch = new ArrayList<>(List.of("-jar", System.getProperty("jobs.exampleJar")));
        launch.addAll(args);
        return launch(launch, workers, moreEnvironment);
    }

    /** Starts the server with {@code launch} after {@code java}, waits until it answers /health, returns its log. */
    private Path launch(List<String> launch, int workers, Map<String, String> moreEnvironment) throws Exception {
        try (var socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        var command = new ArrayList<>(List.of(java));
        command.addAll(launch);
        Path log = Files.createTempFile(dataDir.getParent(), "example-server-", ".log");
        var builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        env.put("JOBS_DATA_DIR", dataDir.toString());
        env.put("JOBS_HTTP_PORT", Integer.toString(port));
        env.put("JOBS_API_TOKEN", TOKEN);
        env.put("JOBS_WORKERS", Integer.toString(workers));
        env.putAll(moreEnvironment);
        server = builder.start();
        Instant deadline = Instant.now().plus(PATIENCE);
        while (Instant.now().isBefore(deadline)) {
            assertThat(server.isAlive())
                    .as("server running; its log:%n%s", Files.readString(log))
                    .isTrue();
            try {
                var health = client.send(HttpRequest.newBuilder(uri("/health")).build(), BodyHandlers.ofString());
                if (health.statusCode() == 200) {
                    return log;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError(
                "the server did not answer /health in " + PATIENCE + "; its log:\n" + Files.readString(log));
    }

    private void runPythonWorker() throws Exception {
        Path log = Files.createTempFile(dataDir.getParent(), "python-worker-", ".log");
        Process worker = new ProcessBuilder(
                        "python3",
                        System.getProperty("jobs.pythonWorker"),
                        "--url",
                        "http://127.0.0.1:" + port,
                        "--token",
                        TOKEN,
                        "--exit-when-idle")
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        assertThat(worker.waitFor(PATIENCE.toSeconds(), TimeUnit.SECONDS))
                .as("the worker finished")
                .isTrue();
        assertThat(worker.exitValue())
                .as("worker exit; its log:%n%s", Files.readString(log))
                .isZero();
        assertThat(Files.readString(log)).contains("4 jobs done");
    }

    /** Polls the job list until {@code done} holds for it; returns the last list. */
    private JsonNode awaitJobs(String query, Predicate<JsonNode> done) throws Exception {
        Instant deadline = Instant.now().plus(PATIENCE);
        JsonNode jobs = send("GET", "/api/jobs?" + query, null).path("jobs");
        while (!done.test(jobs)) {
            assertThat(Instant.now())
                    .as("jobs reached their states; last seen: %s", summary(jobs))
                    .isBefore(deadline);
            Thread.sleep(250);
            jobs = send("GET", "/api/jobs?" + query, null).path("jobs");
        }
        return jobs;
    }

    private JsonNode send(String method, String path, String body) throws Exception {
        var request = HttpRequest.newBuilder(uri(path))
                .timeout(PATIENCE)
                .header("Authorization", "Bearer " + TOKEN)
                .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        var response = client.send(request.build(), BodyHandlers.ofString());
        assertThat(response.statusCode())
                .as(method + " " + path + ": " + response.body())
                .isBetween(200, 201);
        return mapper.readTree(response.body());
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    private static JsonNode job(JsonNode jobs, String type) {
        for (JsonNode job : jobs) {
            if (job.path("type").asText().equals(type)) {
                return job;
            }
        }
        return null;
    }

    private static String state(JsonNode jobs, String type) {
        JsonNode job = job(jobs, type);
        return job == null ? "" : job.path("state").asText();
    }

    private static Map<String, String> summary(JsonNode jobs) {
        var states = new HashMap<String, String>();
        jobs.forEach(
                job -> states.merge(job.path("type").asText(), job.path("state").asText(), (a, b) -> a + "," + b));
        return states;
    }
}
