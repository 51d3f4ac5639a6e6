package dev.jobs.examples;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jobs.core.Job;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobEngineBuilder;
import dev.jobs.core.JobGraph;
import dev.jobs.core.JobSpec;
import dev.jobs.core.MissedOccurrences;
import dev.jobs.core.Outcome;
import dev.jobs.core.QueueLimits;
import dev.jobs.core.RecurringJob;
import dev.jobs.core.RetryPolicy;
import dev.jobs.core.Schedule;
import java.io.IOException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Handlers that show the engine's features on work that takes real time: a pipeline whose steps
 * fan out and back in (the merge reading its parts' results), a flaky call that succeeds on its
 * third attempt, a long job that reports progress and stops when cancelled, one that overruns its
 * timeout, one that fails for good, and a deployment of durable steps that resumes where it
 * stopped if the server is killed in the middle of it.
 * They all run on the {@value #QUEUE} queue. A recurring digest runs every minute on its own queue,
 * and partner calls ({@code demo.partner-call}, posted by hand) run on {@value #PARTNER_QUEUE} within
 * {@link #PARTNER_LIMITS}.
 */
final class DemoJobs {
    static final String QUEUE = "demo";

    /** The recurring demo's queue, apart from {@value #QUEUE} so that the demo set stays the same. */
    static final String DIGEST_QUEUE = "demo-digest";

    /** The recurring demo: a digest of the minute before, at the start of every minute. */
    static final RecurringJob DIGEST = RecurringJob.of(
                    "demo-digest",
                    Schedule.cron("* * * * *", ZoneId.of("UTC")),
                    JobSpec.of("demo.digest").withQueue(DIGEST_QUEUE))
            .withMissed(MissedOccurrences.SKIP);

    /** The limits demo's queue: calls to a partner's API, held to what the partner allows. */
    static final String PARTNER_QUEUE = "demo-partner";

    /** At most two calls at once, five starts a second, one call per customer at a time. */
    static final QueueLimits PARTNER_LIMITS = QueueLimits.none()
            .withMaxRunning(2)
            .withMaxStarts(5, Duration.ofSeconds(1))
            .withMaxRunningPerKey(1);

    static final int PIPELINE_PARTS = 3;

    /** The deployment's durable steps, in order. */
    static final List<String> DEPLOY_STEPS = List.of("build", "upload", "announce");

    /** How long each deployment step takes: long enough to kill the server in the middle. */
    static final Duration DEPLOY_STEP_TIME = Duration.ofSeconds(2);

    private DemoJobs() {}

    /**
     * Registers every demo handler, the flaky job's quick retry policy, and the recurring digest
     * with one worker for it.
     */
    static JobEngineBuilder register(JobEngineBuilder engine) {
        return engine.recurring(DIGEST)
                .queue(DIGEST_QUEUE, 1)
                .queue(PARTNER_QUEUE, 4)
                .queueLimits(PARTNER_QUEUE, PARTNER_LIMITS)
                .register("demo.partner-call", JsonNode.class, ctx -> {
                    Thread.sleep(300); // the partner's API answering
                    return "called for " + ctx.job().concurrencyKey().orElse("nobody");
                })
                .register(
                        "demo.digest",
                        JsonNode.class,
                        ctx -> "digest of the minute before "
                                + ctx.job().metadata().get(RecurringJob.OCCURRENCE_METADATA))
                .register("demo.fetch", JsonNode.class, ctx -> {
                    Thread.sleep(300);
                    return Map.of("source", ctx.payload().path("source").asText(), "parts", PIPELINE_PARTS);
                })
                .register("demo.transform", JsonNode.class, ctx -> {
                    int part = ctx.payload().path("part").asInt();
                    Thread.sleep(200 + 100L * part);
                    return Map.of("part", part, "rows", 10 * (part + 1));
                })
                .register("demo.merge", JsonNode.class, ctx -> {
                    Thread.sleep(200);
                    // Fan-in: each transform's result, read from the store.
                    int rows = ctx.parentResults().stream()
                            .mapToInt(parent -> parent.result()
                                    .map(r -> r.path("rows").asInt())
                                    .orElse(0))
                            .sum();
                    return Map.of("merged", PIPELINE_PARTS, "rows", rows);
                })
                .register("demo.deploy", JsonNode.class, ctx -> {
                    // Each step runs once per job: killed in the middle, the server's next attempt
                    // gets the finished steps' results back and carries on from the next one.
                    var ran = new ArrayList<String>();
                    var replayed = new ArrayList<String>();
                    for (String step : DEPLOY_STEPS) {
                        var didRun = new boolean[1];
                        ctx.step(step, () -> {
                            didRun[0] = true;
                            Thread.sleep(DEPLOY_STEP_TIME.toMillis());
                            return step + " done on attempt " + ctx.attempt();
                        });
                        (didRun[0] ? ran : replayed).add(step);
                        ctx.progress(100 * (ran.size() + replayed.size()) / DEPLOY_STEPS.size(), step + " done");
                    }
                    return Map.of("ran", ran, "replayed", replayed);
                })
                .register("demo.flaky", JsonNode.class, ctx -> {
                    if (ctx.attempt() < 3) {
                        throw new IOException(
                                "the upstream service timed out (simulated, attempt " + ctx.attempt() + ")");
                    }
                    return "answered on attempt " + ctx.attempt();
                })
                .retryPolicy("demo.flaky", RetryPolicy.fixed(Duration.ofSeconds(1)))
                .register("demo.long", JsonNode.class, ctx -> {
                    int steps = ctx.payload().path("steps").asInt(20);
                    for (int step = 1; step <= steps; step++) {
                        if (ctx.isCancelled()) {
                            return Outcome.cancel("stopped at step " + step + " of " + steps + " on request");
                        }
                        Thread.sleep(500);
                        ctx.progress(100 * step / steps, "step " + step + " of " + steps);
                    }
                    return "all " + steps + " steps done";
                })
                .register("demo.slow", JsonNode.class, Duration.ofSeconds(2), ctx -> {
                    Thread.sleep(10_000); // overruns its 2 s timeout: interrupted, the attempt fails
                    return "never";
                })
                .register("demo.doomed", JsonNode.class, ctx -> Outcome.discard("this input can never be processed"));
    }

    /** Enqueues one of each demo: the pipeline DAG and the single jobs. Returns every job. */
    static List<Job> enqueue(JobEngine engine) {
        var graph = JobGraph.builder().add("fetch", spec("demo.fetch", Map.of("source", "https://example.com/feed")));
        var parts = new ArrayList<String>();
        for (int part = 0; part < PIPELINE_PARTS; part++) {
            String ref = "transform-" + part;
            graph.add(ref, spec("demo.transform", Map.of("part", part)), "fetch");
            parts.add(ref);
        }
        graph.add("merge", spec("demo.merge", Map.of()), parts.toArray(String[]::new));
        var jobs = new ArrayList<>(engine.graph(graph.build()).values());
        jobs.addAll(engine.enqueueAll(List.of(
                spec("demo.flaky", Map.of()),
                spec("demo.deploy", Map.of("version", "1.2.3")),
                spec("demo.long", Map.of("steps", 20)),
                spec("demo.slow", Map.of()).withMaxAttempts(1),
                spec("demo.doomed", Map.of()))));
        return jobs;
    }

    private static JobSpec spec(String type, Map<String, ?> payload) {
        return JobSpec.of(type, payload).withQueue(QUEUE);
    }
}
