package dev.jobs.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jobs.core.Job;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobGraph;
import dev.jobs.core.JobQuery;
import dev.jobs.core.JobSpec;
import dev.jobs.core.JobState;
import dev.jobs.core.JobsException;
import dev.jobs.core.Outcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Function;

/**
 * A realistic mixed workload with a known right answer, for proving a store or a cluster of
 * engines: plain jobs, flaky jobs that succeed after retries, doomed jobs that fail for good, and
 * DAGs (fan-out, fan-in) a fifth of whose roots fail so that the cascade cancels the rest. The
 * handlers write every execution to a ledger; {@link #verify} then checks, from the stored jobs and
 * the ledger, that every job ended as its handler and policy dictate, that each success is recorded
 * exactly once, and that no two executions of one job overlapped.
 *
 * <p>Deterministic for a seed: which job does what is fixed before anything runs. Thread-safe
 * while running (the ledger is a concurrent queue); set up and verify from one thread.
 */
public final class Workload {
    /** The handler type of the workload's jobs. */
    public static final String WORK = "workload.work";

    /** The handler type of graph roots that fail. */
    public static final String DISCARD = "workload.discard";

    private static final int GRAPH_SIZE = 5;

    /**
     * One execution of a handler.
     *
     * @param jobId the job
     * @param attempt its attempt number
     * @param worker which engine ran it
     * @param startNanos when the handler started ({@link System#nanoTime()})
     * @param endNanos when it ended
     * @param succeeded whether it returned a result
     */
    public record Execution(
            UUID jobId, int attempt, String worker, long startNanos, long endNanos, boolean succeeded) {}

    private enum Plan {
        SUCCEED,
        FLAKY,
        DOOMED
    }

    private final long seed;
    private final int jobs;
    private final int graphs;
    private final ConcurrentLinkedQueue<Execution> ledger = new ConcurrentLinkedQueue<>();
    private final Map<UUID, JobState> expectedState = new HashMap<>();
    private final Map<UUID, Integer> expectedAttempts = new HashMap<>();
    private int maxAttempts = 3;
    private boolean claimsMayBeLost;

    /**
     * @param seed fixes which job succeeds, retries or fails
     * @param jobs how many jobs in all
     * @param graphs how many of them come as five-node DAGs
     */
    public Workload(long seed, int jobs, int graphs) {
        if (graphs * GRAPH_SIZE > jobs) {
            throw new IllegalArgumentException(graphs + " graphs of " + GRAPH_SIZE + " exceed " + jobs + " jobs");
        }
        this.seed = seed;
        this.jobs = jobs;
        this.graphs = graphs;
    }

    public long seed() {
        return seed;
    }

    /** The attempt limit of the independent jobs (default 3); doomed ones use all of it. */
    public Workload withMaxAttempts(int attempts) {
        maxAttempts = attempts;
        return this;
    }

    /**
     * For runs through a database restart: a claim whose answer was lost in the outage leaves the
     * job leased to nobody until the lease lapses, which counts as an attempt that never ran. Jobs
     * may then show more attempts than ran; every other check stays as strict.
     */
    public Workload allowingLostClaims() {
        claimsMayBeLost = true;
        return this;
    }

    /** Registers the workload's handlers, which record to the ledger under {@code worker}. */
    public JobEngine.Builder registerHandlers(JobEngine.Builder builder, String worker) {
        return builder.register(WORK, JsonNode.class, ctx -> {
                    long start = System.nanoTime();
                    Plan plan = Plan.valueOf(ctx.payload().get("plan").asText());
                    boolean fails = plan == Plan.DOOMED
                            || ctx.attempt() <= ctx.payload().path("failFirst").asInt(0);
                    ledger.add(new Execution(ctx.jobId(), ctx.attempt(), worker, start, System.nanoTime(), !fails));
                    if (fails) {
                        throw new IllegalStateException("planned failure on attempt " + ctx.attempt());
                    }
                    return Map.of("attempt", ctx.attempt());
                })
                .register(DISCARD, ctx -> Outcome.discard("planned failure of a graph root"));
    }

    /** Creates every job through {@code engine}, remembering how each must end. */
    public void enqueue(JobEngine engine) {
        var random = new Random(seed);
        for (int g = 0; g < graphs; g++) {
            boolean rootFails = random.nextInt(5) == 0;
            Map<String, Job> created = engine.graph(JobGraph.builder()
                    .add("root", rootFails ? JobSpec.of(DISCARD) : work(Plan.SUCCEED, 0))
                    .add("a", work(Plan.SUCCEED, 0), "root")
                    .add("b", work(Plan.FLAKY, 1), "root")
                    .add("c", work(Plan.SUCCEED, 0), "root")
                    .add("join", work(Plan.SUCCEED, 0), "a", "b", "c")
                    .build());
            created.forEach((ref, job) -> {
                boolean root = ref.equals("root");
                expect(
                        job,
                        rootFails ? (root ? JobState.FAILED : JobState.CANCELLED) : JobState.SUCCEEDED,
                        rootFails ? (root ? 1 : 0) : (ref.equals("b") ? 2 : 1));
            });
        }
        int singles = jobs - graphs * GRAPH_SIZE;
        var batch = new ArrayList<JobSpec>();
        var plans = new ArrayList<int[]>();
        for (int i = 0; i < singles; i++) {
            int roll = random.nextInt(10);
            Plan plan = roll < 7 ? Plan.SUCCEED : roll < 9 ? Plan.FLAKY : Plan.DOOMED;
            int failFirst = plan == Plan.FLAKY ? 1 + random.nextInt(2) : 0;
            batch.add(work(plan, failFirst).withMaxAttempts(maxAttempts));
            plans.add(new int[] {plan.ordinal(), failFirst});
            if (batch.size() == 1000 || i == singles - 1) {
                List<Job> created = engine.enqueueAll(batch);
                for (int k = 0; k < created.size(); k++) {
                    boolean doomed = Plan.values()[plans.get(k)[0]] == Plan.DOOMED;
                    expect(
                            created.get(k),
                            doomed ? JobState.FAILED : JobState.SUCCEEDED,
                            doomed ? maxAttempts : plans.get(k)[1] + 1);
                }
                batch.clear();
                plans.clear();
            }
        }
    }

    private void expect(Job job, JobState state, int attempts) {
        expectedState.put(job.id(), state);
        expectedAttempts.put(job.id(), attempts);
    }

    private static JobSpec work(Plan plan, int failFirst) {
        return JobSpec.of(WORK, Map.of("plan", plan.name(), "failFirst", failFirst));
    }

    /**
     * Waits until no job is unfinished.
     *
     * @throws AssertionError if some are still unfinished after {@code max}
     */
    public void awaitFinished(JobEngine engine, Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        JobQuery unfinished = JobQuery.all()
                .withStates(JobState.PENDING, JobState.SCHEDULED, JobState.READY, JobState.RUNNING, JobState.RETRYING)
                .withLimit(3);
        while (true) {
            List<Job> waiting = engine.list(unfinished).jobs();
            if (waiting.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("jobs still unfinished after " + max + ": " + engine.counts() + "; e.g. "
                        + waiting + " (seed " + seed + ")");
            }
            try {
                // Wakes as soon as this job finishes; then the next unfinished one is awaited.
                engine.await(waiting.get(0).id(), Duration.ofSeconds(5));
            } catch (JobsException stillRunning) {
                // not finished within 5 s: look again, until the deadline
            }
        }
    }

    /**
     * What went wrong, at most {@code limit} lines; empty when every job ended right, each success
     * was recorded once and no executions of one job overlapped.
     *
     * @param stored the job as the store holds it now
     */
    public List<String> verify(Function<UUID, Job> stored, int limit) {
        var problems = new ArrayList<String>();
        var byJob = new HashMap<UUID, List<Execution>>();
        ledger.forEach(
                e -> byJob.computeIfAbsent(e.jobId(), id -> new ArrayList<>()).add(e));
        for (var entry : expectedState.entrySet()) {
            UUID id = entry.getKey();
            Job job = stored.apply(id);
            List<Execution> runs = new ArrayList<>(byJob.getOrDefault(id, List.of()));
            long successes = runs.stream().filter(Execution::succeeded).count();
            long expectedSuccesses = entry.getValue() == JobState.SUCCEEDED ? 1 : 0;
            int expected = expectedAttempts.get(id);
            boolean attemptsRight = claimsMayBeLost
                    ? job.attempt() >= expected && job.attempt() >= runs.size()
                    : job.attempt() == expected;
            if (job.state() != entry.getValue() || !attemptsRight || successes != expectedSuccesses) {
                problems.add(id + ": " + job.state() + " after " + job.attempt() + " attempts with " + successes
                        + " successes; expected " + entry.getValue() + " after " + expectedAttempts.get(id));
            }
            runs.sort(Comparator.comparingLong(Execution::startNanos));
            for (int i = 1; i < runs.size(); i++) {
                if (runs.get(i).startNanos() < runs.get(i - 1).endNanos()) {
                    problems.add(id + ": attempt " + runs.get(i).attempt() + " on "
                            + runs.get(i).worker() + " overlapped attempt "
                            + runs.get(i - 1).attempt() + " on "
                            + runs.get(i - 1).worker());
                }
            }
            if (runs.stream().map(Execution::attempt).distinct().count() != runs.size()) {
                problems.add(id + ": an attempt number ran twice: " + runs);
            }
            if (problems.size() >= limit) {
                break;
            }
        }
        if (expectedState.size() != jobs) {
            problems.add("expected " + jobs + " jobs but created " + expectedState.size());
        }
        return problems;
    }

    /** The executions recorded so far. */
    public List<Execution> ledger() {
        return List.copyOf(ledger);
    }
}
