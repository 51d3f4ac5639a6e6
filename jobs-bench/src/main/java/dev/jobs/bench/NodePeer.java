package dev.jobs.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A job engine for Node.js, driven by its script in {@code jobs-bench/node}: each measurement is one
 * run of {@code node <script>.mjs <op> <json>}, which does the work, times it itself and prints one
 * line of JSON (see {@code common.mjs}). Node and the peers' packages come from the npm registry
 * ({@code jobs-bench/bench} installs them).
 */
final class NodePeer implements Subject {
    /** The Node peers, their scripts and the one of ours each is compared with. */
    enum Kind {
        GRAPHILE_WORKER("graphile-worker", "Graphile Worker 0.18 · PostgreSQL", "jobs · PostgreSQL"),
        PG_BOSS("pg-boss", "pg-boss 12.38 · PostgreSQL", "jobs · PostgreSQL"),
        BULLMQ("bullmq", "BullMQ 6.7 · Redis", "jobs · PostgreSQL + Redis");

        final String script;
        final String label;
        final String ours;

        Kind(String script, String label, String ours) {
            this.script = script;
            this.label = label;
            this.ours = ours;
        }
    }

    private static final Duration PATIENCE = Duration.ofMinutes(15);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Kind kind;
    private final Runtime runtime;
    private final Servers servers;

    /** Where Node and the scripts are. */
    record Runtime(String node, Path folder) {
        /**
         * {@code JOBS_BENCH_NODE} (jobs-bench/bench sets it to a Node 22 or newer) and {@code
         * jobs-bench/node} with its packages installed; empty, with the reason, when either is missing.
         */
        static Runtime find(Report report) {
            Path folder = Path.of(
                    Optional.ofNullable(System.getenv("JOBS_BENCH_NODE_DIR")).orElse("jobs-bench/node"));
            Optional<String> node = Optional.ofNullable(System.getenv("JOBS_BENCH_NODE"));
            String missing = node.isEmpty()
                    ? "no Node.js 22 or newer was found (jobs-bench/bench takes one from the npm registry when npm is here)"
                    : !Files.isDirectory(folder.resolve("node_modules"))
                            ? folder.toAbsolutePath() + "/node_modules is missing (jobs-bench/bench runs npm ci)"
                            : null;
            if (missing != null) {
                report.note("Graphile Worker, pg-boss and BullMQ were not run: " + missing + ".");
                return null;
            }
            return new Runtime(node.get(), folder);
        }
    }

    NodePeer(Kind kind, Runtime runtime, Servers servers) {
        this.kind = kind;
        this.runtime = runtime;
        this.servers = servers;
    }

    @Override
    public String name() {
        return kind.label;
    }

    @Override
    public String comparedWith() {
        return kind.ours;
    }

    @Override
    public Duration enqueueBatched(int jobs, int batchSize) throws Exception {
        return nanos(run("enqueueBatched", Map.of("jobs", jobs, "batchSize", batchSize)));
    }

    @Override
    public Duration enqueueSingly(int jobs, int threads) throws Exception {
        return nanos(run("enqueueSingly", Map.of("jobs", jobs, "threads", threads)));
    }

    @Override
    public Duration drain(int jobs, int workers) throws Exception {
        return nanos(run("drain", Map.of("jobs", jobs, "workers", workers)));
    }

    @Override
    public Latencies latency(int jobs, int perSecond) throws Exception {
        JsonNode result = run("latency", Map.of("jobs", jobs, "perSecond", perSecond));
        return new Latencies(
                result.get("count").asLong(),
                result.get("p50").asDouble(),
                result.get("p95").asDouble(),
                result.get("p99").asDouble(),
                result.get("max").asDouble());
    }

    private static Duration nanos(JsonNode result) {
        return Duration.ofNanos(result.get("nanos").asLong());
    }

    private JsonNode run(String op, Map<String, Object> args) throws IOException, InterruptedException {
        Path err = Files.createTempFile("jobs-bench-" + kind.script, ".err");
        try {
            var process = new ProcessBuilder(
                            List.of(runtime.node(), kind.script + ".mjs", op, JSON.writeValueAsString(args)))
                    .directory(runtime.folder().toFile())
                    .redirectError(err.toFile());
            process.environment().put("BENCH_PG_URL", postgresUrl(servers.postgres()));
            process.environment().put("BENCH_REDIS_URL", servers.redisUrl());
            Process running = process.start();
            running.getOutputStream().close();
            byte[] out = running.getInputStream().readAllBytes();
            if (!running.waitFor(PATIENCE.toMinutes(), TimeUnit.MINUTES)) {
                running.destroyForcibly();
                throw new IllegalStateException(name() + " " + op + " did not finish within " + PATIENCE);
            }
            String stdout = new String(out, StandardCharsets.UTF_8).strip();
            if (running.exitValue() != 0 || stdout.isEmpty()) {
                throw new IllegalStateException(name() + " " + op + " failed (exit " + running.exitValue() + "): "
                        + tail(Files.readString(err)));
            }
            return JSON.readTree(stdout.substring(stdout.lastIndexOf('\n') + 1));
        } finally {
            Files.deleteIfExists(err);
        }
    }

    private static String tail(String text) {
        String trimmed = text.strip();
        return trimmed.length() <= 2000 ? trimmed : "…" + trimmed.substring(trimmed.length() - 2000);
    }

    /** The JDBC URL's server as a libpq connection string, which Node's pg takes. */
    static String postgresUrl(Servers.Database db) {
        String credentials = URLEncoder.encode(db.user(), StandardCharsets.UTF_8)
                + (db.password().isEmpty() ? "" : ":" + URLEncoder.encode(db.password(), StandardCharsets.UTF_8));
        return "postgres://" + credentials + "@" + db.hostAndPort() + "/" + db.name();
    }
}
