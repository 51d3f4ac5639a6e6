package dev.jobs.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jobs.core.Job;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobEngineBuilder;
import dev.jobs.core.JobGraph;
import dev.jobs.core.JobQuery;
import dev.jobs.core.JobSpec;
import dev.jobs.core.JobState;
import dev.jobs.core.JobsException;
import dev.jobs.core.Outcome;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A realistic mixed workload with a known right answer, for proving a store or a cluster of
 * engines: plain jobs, flaky jobs that succeed after retries, doomed jobs that fail for good, and
 * DAGs (fan-out, fan-in) a fifth of whose roots fail so that the cascade cancels the rest. The
 * handlers write every execution to a ledger; {@link #audit} then checks, from the stored jobs and
 * the ledger, that every job ended as its handler and policy dictate, that each success is recorded
 * exactly once, that no two executions of one job overlapped and that no ready job waited past its
 * deadline.
 *
 * <p>Deterministic for a seed: which job does what is fixed before anything runs. Thread-safe
 * while running (the ledger is a concurrent queue); set up and audit from one thread.
 */
public final class Workload {
    /** The handler type of the workload's jobs. */
    public static final String WORK = "workload.work";

    /** The handler type of graph roots that fail. */
    public static final String DISCARD = "workload.discard";

    private static final int GRAPH_SIZE = 5;

    /**
     * One execution of a handler, written when the handler returns or throws: an execution cut
     * short by its process dying leaves no entry.
     *
     * @param jobId the job
     * @param attempt its attempt number
     * @param worker the worker that ran it, as the store names it
     * @param leaseToken the lease it ran under
     * @param startNanos when the handler started ({@link System#nanoTime()}, which on one machine
     *     all processes share)
     * @param endNanos when it ended
     * @param succeeded whether it returned a result
     */
    public record Execution(
            UUID jobId,
            int attempt,
            String worker,
            UUID leaseToken,
            long startNanos,
            long endNanos,
            boolean succeeded) {}

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
    private Duration handlerTime = Duration.ZERO;
    private boolean claimsMayBeLost;
    private Optional<Deadline> readyDeadline = Optional.empty();
    private Duration retryBackoff = Duration.ZERO;

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

    /** How many jobs the workload creates. */
    public int jobs() {
        return jobs;
    }

    /** The attempt limit of every job that may fail (default 3); doomed ones use all of it. */
    public Workload withMaxAttempts(int attempts) {
        maxAttempts = attempts;
        return this;
    }

    /**
     * How long each execution works before it ends (default none), so that faults find handlers
     * running. Carried in the payload: engines in other processes need not be told.
     */
    public Workload withHandlerTime(Duration time) {
        handlerTime = time;
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

    /**
     * How long a ready job may wait beyond its turn (default: no limit, only measured): after work
     * queued behind it has started, or while no run starts anywhere. A backlog alone never makes a
     * job late. A retry counts as ready, and takes its place in the claim order, when the run
     * before it ended plus the {@linkplain #withRetryBackoff retry backoff}.
     */
    public Workload withReadyDeadline(Deadline deadline) {
        readyDeadline = Optional.of(deadline);
        return this;
    }

    /**
     * The fixed retry backoff of the engines that run the workload (default none): a retry becomes
     * ready, and takes its place in the claim order, this long after the run before it ended. The
     * audit cannot read it from the store, which keeps when each run ended but not when the next
     * was due; left out, a retry would seem queued ahead of work created within the backoff, and
     * passed over by all of it.
     */
    public Workload withRetryBackoff(Duration backoff) {
        if (backoff.isNegative()) {
            throw new IllegalArgumentException("the retry backoff must not be negative, not " + backoff);
        }
        retryBackoff = backoff;
        return this;
    }

    /** Registers the workload's handlers, which record to this workload's ledger. */
    public JobEngineBuilder registerHandlers(JobEngineBuilder builder) {
        return registerHandlers(builder, ledger::add);
    }

    /**
     * Registers the workload's handlers on an engine that records elsewhere: in another process, to
     * a ledger that process keeps and {@link #audit(Function, Collection, Set)} later reads.
     */
    public static JobEngineBuilder registerHandlers(JobEngineBuilder builder, Consumer<Execution> ledger) {
        return builder.register(WORK, JsonNode.class, ctx -> {
                    long start = System.nanoTime();
                    Plan plan = Plan.valueOf(ctx.payload().get("plan").asText());
                    boolean fails = plan == Plan.DOOMED
                            || ctx.attempt() <= ctx.payload().path("failFirst").asInt(0);
                    String worker = ctx.job().leaseOwner().orElseThrow();
                    UUID lease = ctx.job().leaseToken().orElseThrow();
                    try {
                        Thread.sleep(ctx.payload().path("millis").asLong(0));
                    } catch (InterruptedException stopped) {
                        ledger.accept(new Execution(
                                ctx.jobId(), ctx.attempt(), worker, lease, start, System.nanoTime(), false));
                        throw stopped;
                    }
                    ledger.accept(
                            new Execution(ctx.jobId(), ctx.attempt(), worker, lease, start, System.nanoTime(), !fails));
                    if (fails) {
                        throw new IllegalStateException("planned failure on attempt " + ctx.attempt());
                    }
                    return Map.of("attempt", ctx.attempt(), "worker", worker);
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
            batch.add(work(plan, failFirst));
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

    private JobSpec work(Plan plan, int failFirst) {
        return JobSpec.of(WORK, Map.of("plan", plan.name(), "failFirst", failFirst, "millis", handlerTime.toMillis()))
                .withMaxAttempts(maxAttempts);
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
        List<String> problems = audit(id -> Optional.ofNullable(stored.apply(id)), ledger, Set.of())
                .problems();
        return problems.subList(0, Math.min(limit, problems.size()));
    }

    /**
     * The audit of a run whose ledger this workload kept, with no worker faulted.
     *
     * @param stored the job as the store holds it now; empty if the store has no such job
     */
    public Audit audit(Function<UUID, Optional<Job>> stored) {
        return audit(stored, ledger, Set.of());
    }

    /**
     * The audit of a run: each job against the store and the ledger. A worker in {@code faulted}
     * was killed, paused or cut off while it ran: its executions may have ended unrecorded and may
     * have lost their leases, so a success of its that the store does not hold is a run repeated
     * after a fault, and another execution may overlap one of its. The same from any other worker
     * is a violation.
     *
     * @param stored the job as the store holds it now; empty if the store has no such job
     * @param executions the ledger
     * @param faulted the workers that faults hit
     */
    public Audit audit(Function<UUID, Optional<Job>> stored, Collection<Execution> executions, Set<String> faulted) {
        var tally = new Audit.Tally(faulted, readyDeadline, retryBackoff);
        var byJob = new HashMap<UUID, List<Execution>>();
        executions.forEach(
                e -> byJob.computeIfAbsent(e.jobId(), id -> new ArrayList<>()).add(e));
        boolean attemptsMayExceed = claimsMayBeLost || !faulted.isEmpty();
        for (var entry : expectedState.entrySet()) {
            UUID id = entry.getKey();
            Optional<Job> job = stored.apply(id);
            if (job.isEmpty()) {
                tally.lost(id + ": accepted but not in the store");
                continue;
            }
            List<Execution> runs = new ArrayList<>(byJob.getOrDefault(id, List.of()));
            tally.check(job.get(), entry.getValue(), expectedAttempts.get(id), attemptsMayExceed, runs);
            Instant readyAt = job.get().createdAt();
            String becameReady = "created";
            for (UUID dependency : job.get().dependsOn()) {
                Optional<Instant> finished = stored.apply(dependency).flatMap(Job::finishedAt);
                if (finished.isPresent() && finished.get().isAfter(readyAt)) {
                    readyAt = finished.get();
                    becameReady = "its last dependency " + dependency + " finished";
                }
            }
            tally.measureWaits(job.get(), readyAt, becameReady);
        }
        if (expectedState.size() != jobs) {
            tally.lost("expected " + jobs + " jobs but created " + expectedState.size());
        }
        return tally.result(expectedState.size(), executions.size());
    }

    /** The executions recorded so far. */
    public List<Execution> ledger() {
        return List.copyOf(ledger);
    }
}
