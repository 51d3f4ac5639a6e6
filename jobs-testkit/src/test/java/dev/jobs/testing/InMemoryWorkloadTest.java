package dev.jobs.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jobs.core.Job;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobGraph;
import dev.jobs.core.JobQuery;
import dev.jobs.core.JobSpec;
import dev.jobs.core.JobState;
import dev.jobs.core.Outcome;
import dev.jobs.core.RetryPolicy;
import dev.jobs.core.memory.InMemoryJobStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * 20,000 jobs through 16 concurrent workers on the in-memory store: plain jobs, flaky ones that
 * succeed after retries, doomed ones that fail for good, and DAGs whose failures cascade. Every
 * job must end in the state its handler and policy dictate, and every success must be recorded
 * exactly once (checked against a ledger the handlers write).
 */
class InMemoryWorkloadTest {
    private static final int JOBS = 20_000;
    private static final int GRAPH_SIZE = 5;
    private static final int GRAPHS = 1_000;
    private static final long SEED = 20261122L;

    /** What a job's handler does, and so what state it must end in. */
    enum Plan {
        SUCCEED,
        FLAKY, // fails its first attempts, then succeeds
        DOOMED // fails every attempt: FAILED after maxAttempts
    }

    @Test
    void everyJobEndsAsItsHandlerAndPolicyDictateAndEachSuccessIsRecordedOnce() throws Exception {
        var random = new Random(SEED);
        var successes = new ConcurrentHashMap<UUID, AtomicInteger>();
        var attempts = new ConcurrentHashMap<UUID, AtomicInteger>();
        var store = new InMemoryJobStore();
        try (JobEngine engine = JobEngine.builder()
                .store(store)
                .queue("default", 16)
                .retryPolicy(RetryPolicy.fixed(Duration.ofMillis(1)))
                .pollInterval(Duration.ofMillis(50))
                .register("work", JsonNode.class, ctx -> {
                    attempts.computeIfAbsent(ctx.jobId(), id -> new AtomicInteger())
                            .incrementAndGet();
                    Plan plan = Plan.valueOf(ctx.payload().get("plan").asText());
                    int failFirst = ctx.payload().path("failFirst").asInt(0);
                    if (plan == Plan.DOOMED || ctx.attempt() <= failFirst) {
                        throw new IllegalStateException("planned failure on attempt " + ctx.attempt());
                    }
                    successes
                            .computeIfAbsent(ctx.jobId(), id -> new AtomicInteger())
                            .incrementAndGet();
                    return Map.of("attempt", ctx.attempt());
                })
                .register("discard", ctx -> Outcome.discard("planned"))
                .build()
                .start()) {

            var expected = new HashMap<UUID, JobState>();
            var expectedAttempts = new HashMap<UUID, Integer>();

            // DAGs: fan-out from a root to three branches, fan-in to a join; a fifth of the roots fail.
            for (int g = 0; g < GRAPHS; g++) {
                boolean rootFails = random.nextInt(5) == 0;
                JobGraph graph = JobGraph.builder()
                        .add("root", rootFails ? JobSpec.of("discard") : work(Plan.SUCCEED, 0))
                        .add("a", work(Plan.SUCCEED, 0), "root")
                        .add("b", work(Plan.FLAKY, 1), "root")
                        .add("c", work(Plan.SUCCEED, 0), "root")
                        .add("join", work(Plan.SUCCEED, 0), "a", "b", "c")
                        .build();
                Map<String, Job> created = engine.graph(graph);
                created.forEach((ref, job) -> {
                    boolean root = ref.equals("root");
                    expected.put(
                            job.id(), rootFails ? (root ? JobState.FAILED : JobState.CANCELLED) : JobState.SUCCEEDED);
                    expectedAttempts.put(job.id(), rootFails ? (root ? 1 : 0) : (ref.equals("b") ? 2 : 1));
                });
            }

            // Independent jobs, enqueued in batches.
            int singles = JOBS - GRAPHS * GRAPH_SIZE;
            var batch = new ArrayList<JobSpec>();
            var plans = new ArrayList<int[]>();
            for (int i = 0; i < singles; i++) {
                int roll = random.nextInt(10);
                Plan plan = roll < 7 ? Plan.SUCCEED : roll < 9 ? Plan.FLAKY : Plan.DOOMED;
                int failFirst = plan == Plan.FLAKY ? 1 + random.nextInt(2) : 0;
                batch.add(work(plan, failFirst).withMaxAttempts(3));
                plans.add(new int[] {plan.ordinal(), failFirst});
                if (batch.size() == 1000 || i == singles - 1) {
                    List<Job> created = engine.enqueueAll(batch);
                    for (int k = 0; k < created.size(); k++) {
                        Plan p = Plan.values()[plans.get(k)[0]];
                        expected.put(created.get(k).id(), p == Plan.DOOMED ? JobState.FAILED : JobState.SUCCEEDED);
                        expectedAttempts.put(created.get(k).id(), p == Plan.DOOMED ? 3 : plans.get(k)[1] + 1);
                    }
                    batch.clear();
                    plans.clear();
                }
            }
            assertThat(expected).hasSize(JOBS);

            awaitAllFinished(engine);

            var wrong = new ArrayList<String>();
            for (var entry : expected.entrySet()) {
                Job job = store.get(entry.getKey()).orElseThrow();
                int recorded = Optional.ofNullable(successes.get(job.id()))
                        .map(AtomicInteger::get)
                        .orElse(0);
                boolean ok = job.state() == entry.getValue()
                        && job.attempt() == expectedAttempts.get(job.id())
                        && recorded == (entry.getValue() == JobState.SUCCEEDED ? 1 : 0);
                if (!ok && wrong.size() < 10) {
                    wrong.add(job.id() + ": " + job.state() + " after " + job.attempt() + " attempts, " + recorded
                            + " successes; expected " + entry.getValue() + " after " + expectedAttempts.get(job.id()));
                }
            }
            assertThat(wrong).as("jobs that ended wrong (seed " + SEED + ")").isEmpty();
            long succeeded = expected.values().stream()
                    .filter(s -> s == JobState.SUCCEEDED)
                    .count();
            assertThat(successes).hasSize((int) succeeded);
        }
    }

    private static JobSpec work(Plan plan, int failFirst) {
        return JobSpec.of("work", Map.of("plan", plan.name(), "failFirst", failFirst));
    }

    /** Waits until no job is unfinished; bounded so that a lost job fails the test. */
    private static void awaitAllFinished(JobEngine engine) {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        JobQuery unfinished = JobQuery.all()
                .withStates(JobState.PENDING, JobState.SCHEDULED, JobState.READY, JobState.RUNNING, JobState.RETRYING)
                .withLimit(3);
        while (true) {
            List<Job> waiting = engine.list(unfinished).jobs();
            if (waiting.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("jobs still unfinished: " + engine.counts() + "; e.g. " + waiting);
            }
            // Wakes as soon as this job finishes; the loop then looks for the next unfinished one.
            try {
                engine.await(waiting.get(0).id(), Duration.ofSeconds(5));
            } catch (dev.jobs.core.JobsException stillRunning) {
                // not finished within 5 s: look again, until the overall deadline
            }
        }
    }
}
