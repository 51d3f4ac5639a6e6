package dev.jobs.testing;

import static dev.jobs.testing.JobAssert.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jobs.core.DependencyFailurePolicy;
import dev.jobs.core.Enqueued;
import dev.jobs.core.IdempotencyKeyReusedException;
import dev.jobs.core.Job;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobEngineBuilder;
import dev.jobs.core.JobEvent;
import dev.jobs.core.JobGraph;
import dev.jobs.core.JobLimits;
import dev.jobs.core.JobQuery;
import dev.jobs.core.JobSpec;
import dev.jobs.core.Outcome;
import dev.jobs.core.Priority;
import dev.jobs.core.RetryPolicy;
import dev.jobs.core.WorkerInfo;
import dev.jobs.core.memory.InMemoryJobStore;
import dev.jobs.core.spi.AcquireRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The engine's policies driven deterministically: every test runs on a virtual clock through
 * {@link JobsTesting#runUntilIdle}, so backoffs, delays and timeouts take no real time.
 */
class EngineOnVirtualClockTest {
    private final VirtualClock clock = new VirtualClock();
    private final InMemoryJobStore store = new InMemoryJobStore(clock);
    private final List<String> ran = new CopyOnWriteArrayList<>();
    private JobEngine engine;

    private JobEngineBuilder builder() {
        return JobEngine.builder().clock(clock).store(store).random(new SplittableRandom(1));
    }

    @AfterEach
    void close() {
        if (engine != null) {
            engine.close();
        }
    }

    private Job reload(Job job) {
        return engine.get(job.id()).orElseThrow();
    }

    @Test
    void failingJobRetriesWithItsBackoffAndSucceedsOnTheThirdAttempt() {
        engine = builder()
                .retryPolicy("flaky", RetryPolicy.fixed(Duration.ofSeconds(10)))
                .register("flaky", ctx -> {
                    ran.add("attempt " + ctx.attempt() + " at " + clock.instant());
                    if (ctx.attempt() < 3) {
                        throw new IOException("service down");
                    }
                    return Map.of("ok", true);
                })
                .build();
        Instant start = clock.instant();
        Job job = engine.enqueue(JobSpec.of("flaky"));

        int attempts = JobsTesting.runUntilIdle(engine, clock);

        assertThat(attempts).isEqualTo(3);
        assertThat(reload(job)).isSucceeded().hasAttempts(3).hasResultJson("{\"ok\":true}");
        assertThat(ran)
                .containsExactly(
                        "attempt 1 at " + start,
                        "attempt 2 at " + start.plusSeconds(10),
                        "attempt 3 at " + start.plusSeconds(20));
    }

    @Test
    void exponentialBackoffGrowsBetweenAttemptsUntilAttemptsRunOut() {
        var startedAt = new CopyOnWriteArrayList<Instant>();
        engine = builder()
                .retryPolicy(RetryPolicy.exponential(Duration.ofSeconds(1), Duration.ofSeconds(5)))
                .register("doomed", ctx -> {
                    startedAt.add(clock.instant());
                    throw new IllegalStateException("always");
                })
                .build();
        Job job = engine.enqueue(JobSpec.of("doomed").withMaxAttempts(5));

        JobsTesting.runUntilIdle(engine, clock);

        assertThat(reload(job)).isFailed().hasAttempts(5).hasLastErrorContaining("always");
        var gaps = new java.util.ArrayList<Duration>();
        for (int i = 1; i < startedAt.size(); i++) {
            gaps.add(Duration.between(startedAt.get(i - 1), startedAt.get(i)));
        }
        assertThat(gaps)
                .containsExactly(
                        Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4), Duration.ofSeconds(5));
    }

    @Test
    void nonRetryableExceptionFailsAtOnceAndPerJobPolicyWins() {
        engine = builder()
                .retryPolicy(RetryPolicy.fixed(Duration.ofSeconds(1)).withNonRetryable(IllegalArgumentException.class))
                .register("strict", ctx -> {
                    throw new IllegalArgumentException("bad input");
                })
                .register("once", ctx -> {
                    throw new IllegalStateException("no");
                })
                .build();
        Job strict = engine.enqueue(JobSpec.of("strict"));
        Job once = engine.enqueue(JobSpec.of("once").withRetryPolicy(RetryPolicy.none()));

        JobsTesting.runUntilIdle(engine, clock);

        assertThat(reload(strict)).isFailed().hasAttempts(1).hasLastErrorContaining("bad input");
        assertThat(reload(once)).isFailed().hasAttempts(1);
    }

    @Test
    void attemptPastItsTimeoutIsInterruptedAndCountsAsFailed() {
        var interrupted = new AtomicInteger();
        engine = builder()
                .retryPolicy(RetryPolicy.fixed(Duration.ofSeconds(1)))
                .register("slow", JsonNode.class, Duration.ofSeconds(30), ctx -> {
                    if (ctx.attempt() == 1) {
                        clock.advance(Duration.ofMinutes(1)); // the work "takes" a minute of virtual time
                        try {
                            new CountDownLatch(1).await(); // blocks until the engine interrupts it
                        } catch (InterruptedException e) {
                            interrupted.incrementAndGet();
                            throw e;
                        }
                    }
                    return "fast the second time";
                })
                .build();
        Job job = engine.enqueue(JobSpec.of("slow"));

        JobsTesting.runUntilIdle(engine, clock);

        assertThat(interrupted).hasValue(1);
        Job done = reload(job);
        assertThat(done).isSucceeded().hasAttempts(2).hasLastErrorContaining("timeout of PT30S");
    }

    @Test
    void delayedDagRunsParentsBeforeChildrenAndHonoursEachDelay() {
        engine = builder()
                .register("step", JsonNode.class, ctx -> {
                    ran.add(ctx.payload().get("name").asText() + "@"
                            + Duration.between(VirtualClock.DEFAULT_START, clock.instant())
                                    .toSeconds());
                    return null;
                })
                .build();
        Map<String, Job> jobs = engine.graph(JobGraph.builder()
                .add("fetch", JobSpec.of("step", Map.of("name", "fetch")).withDelay(Duration.ofSeconds(60)))
                .add("left", JobSpec.of("step", Map.of("name", "left")), "fetch")
                .add("right", JobSpec.of("step", Map.of("name", "right")).withDelay(Duration.ofSeconds(300)), "fetch")
                .add("join", JobSpec.of("step", Map.of("name", "join")), "left", "right")
                .build());

        JobsTesting.runUntilIdle(engine, clock);

        assertThat(ran).containsExactly("fetch@60", "left@60", "right@300", "join@300");
        jobs.values().forEach(job -> assertThat(reload(job)).isSucceeded());
    }

    @Test
    void failedDependencyCancelsTheRestOfTheGraphButRunPolicyNodesStillRun() {
        engine = builder()
                .register("ok", ctx -> "ok")
                .register("boom", ctx -> Outcome.discard("cannot be done"))
                .build();
        Map<String, Job> jobs = engine.graph(JobGraph.builder()
                .add("root", JobSpec.of("boom"))
                .add("child", JobSpec.of("ok"), "root")
                .add("grandchild", JobSpec.of("ok"), "child")
                .add("cleanup", JobSpec.of("ok").withOnDependencyFailure(DependencyFailurePolicy.RUN), "root")
                .build());

        JobsTesting.runUntilIdle(engine, clock);

        assertThat(reload(jobs.get("root"))).isFailed().hasAttempts(1).hasLastErrorContaining("cannot be done");
        assertThat(reload(jobs.get("child"))).isCancelled().hasAttempts(0);
        assertThat(reload(jobs.get("grandchild"))).isCancelled();
        assertThat(reload(jobs.get("cleanup"))).isSucceeded();
    }

    @Test
    void snoozeRunsLaterWithoutSpendingAnAttempt() {
        engine = builder()
                .register("waiter", ctx -> {
                    ran.add("run at "
                            + Duration.between(VirtualClock.DEFAULT_START, clock.instant())
                                    .toMinutes());
                    return ran.size() < 3 ? Outcome.snooze(Duration.ofMinutes(5)) : "ready now";
                })
                .build();
        Job job = engine.enqueue(JobSpec.of("waiter").withMaxAttempts(1));

        JobsTesting.runUntilIdle(engine, clock);

        assertThat(ran).containsExactly("run at 0", "run at 5", "run at 10");
        assertThat(reload(job)).isSucceeded().hasAttempts(1);
    }

    @Test
    void handlerCanCancelItsOwnJob() {
        engine = builder()
                .register("quitter", ctx -> Outcome.cancel("nothing to do"))
                .build();
        Job job = engine.enqueue(JobSpec.of("quitter"));

        JobsTesting.runUntilIdle(engine, clock);

        assertThat(reload(job)).isCancelled().hasLastErrorContaining("nothing to do");
    }

    @Test
    void payloadThatDoesNotFitTheHandlerTypeFailsForGoodWithAClearError() {
        engine = builder()
                .register("typed", Amount.class, ctx -> ctx.payload().cents())
                .build();
        Job job = engine.enqueue(JobSpec.of("typed", Map.of("cents", "not a number")));

        JobsTesting.runUntilIdle(engine, clock);

        assertThat(reload(job)).isFailed().hasAttempts(1).hasLastErrorContaining("payload does not fit");
    }

    record Amount(long cents) {}

    @Test
    void typedPayloadAndResultRoundTrip() {
        engine = builder()
                .register(
                        "double", Amount.class, ctx -> new Amount(ctx.payload().cents() * 2))
                .build();
        Job job = engine.enqueue("double", new Amount(21));

        JobsTesting.runUntilIdle(engine, clock);

        assertThat(reload(job)).isSucceeded().hasResultJson("{\"cents\":42}");
    }

    @Test
    void higherPriorityRunsFirst() {
        engine = builder()
                .register(
                        "p",
                        JsonNode.class,
                        ctx -> ran.add(ctx.payload().get("n").asText()))
                .build();
        engine.enqueue(JobSpec.of("p", Map.of("n", "low")).withPriority(Priority.LOW));
        engine.enqueue(JobSpec.of("p", Map.of("n", "normal")));
        engine.enqueue(JobSpec.of("p", Map.of("n", "critical")).withPriority(Priority.CRITICAL));

        JobsTesting.runUntilIdle(engine, clock);

        assertThat(ran).containsExactly("critical", "normal", "low");
    }

    @Test
    void uniqueKeyEnqueuesOnceWhileTheFirstIsUnfinished() {
        engine = builder().register("report", ctx -> "done").build();
        Job first = engine.enqueue(JobSpec.of("report").withUniqueKey("report-7"));
        Job second = engine.enqueue(JobSpec.of("report").withUniqueKey("report-7"));

        assertThat(second.id()).isEqualTo(first.id());
        JobsTesting.runUntilIdle(engine, clock);
        Job third = engine.enqueue(JobSpec.of("report").withUniqueKey("report-7"));
        assertThat(third.id()).isNotEqualTo(first.id());
    }

    @Test
    void idempotencyKeyMakesARepeatedSubmitReturnTheFirstJobAndRefusesOtherWork() {
        engine = builder().register("report", ctx -> "done").build();
        JobSpec spec = JobSpec.of("report", Map.of("month", "2026-10", "format", "pdf"))
                .withDelay(Duration.ofMinutes(1))
                .withIdempotencyKey("req-7");
        Enqueued first = engine.submit(spec);
        clock.advance(Duration.ofSeconds(5));
        // The same request a little later, its payload written in another order: a repeat.
        Enqueued repeat = engine.submit(JobSpec.of("report", Map.of("format", "pdf", "month", "2026-10"))
                .withDelay(Duration.ofMinutes(1))
                .withIdempotencyKey("req-7"));

        assertThat(first.created()).isTrue();
        assertThat(repeat.created()).isFalse();
        assertThat(repeat.job().id()).isEqualTo(first.job().id());
        assertThatThrownBy(() -> engine.submit(
                        JobSpec.of("report", Map.of("month", "2026-11")).withIdempotencyKey("req-7")))
                .isInstanceOfSatisfying(
                        IdempotencyKeyReusedException.class,
                        e -> assertThat(e.existingJobId()).isEqualTo(first.job().id()));
        assertThat(engine.list(JobQuery.all()).jobs()).hasSize(1);
    }

    @Test
    void crashedWorkersLeaseIsReclaimedAndTheJobRunsAgain() {
        engine = builder().register("work", ctx -> "attempt " + ctx.attempt()).build();
        Job job = engine.enqueue(JobSpec.of("work"));
        // Another worker takes the job and dies without a word.
        store.acquire(new AcquireRequest("crashed-worker", Set.of("default"), 1, Duration.ofSeconds(30)));
        assertThat(JobsTesting.runUntilIdle(engine, clock)).isZero();
        assertThat(reload(job)).isRunning();

        clock.advance(Duration.ofSeconds(31));
        JobsTesting.runUntilIdle(engine, clock);

        assertThat(reload(job)).isSucceeded().hasAttempts(2).hasResultJson("\"attempt 2\"");
    }

    @Test
    void silentWorkerIsDeclaredDeadAndItsJobRunsAgainLongBeforeItsLeaseLapses() {
        engine = builder().register("work", ctx -> "attempt " + ctx.attempt()).build();
        Job job = engine.enqueue(JobSpec.of("work"));
        // A remote worker takes the job with a long lease, promises to report within 40 s, and dies.
        Instant now = clock.instant();
        store.registerWorker(new WorkerInfo(
                "remote-1", "token:r1", "elsewhere", Set.of("default"), 1, 1, now, now, now.plusSeconds(40)));
        store.acquire(new AcquireRequest("remote-1", Set.of("default"), 1, Duration.ofHours(1)));

        clock.advance(Duration.ofSeconds(41));
        JobsTesting.runUntilIdle(engine, clock);

        assertThat(reload(job)).isSucceeded().hasAttempts(2).hasResultJson("\"attempt 2\"");
        assertThat(engine.workers())
                .filteredOn(w -> w.id().equals("remote-1"))
                .singleElement()
                .satisfies(w -> assertThat(w.diedAt()).contains(now.plusSeconds(41)));
    }

    @Test
    void operatorRetryRunsAFailedJobAgain() {
        var healthy = new AtomicInteger();
        engine = builder()
                .register("fragile", ctx -> {
                    if (healthy.get() == 0) {
                        throw new IllegalStateException("not yet");
                    }
                    return "fixed";
                })
                .build();
        Job job = engine.enqueue(JobSpec.of("fragile").withMaxAttempts(1));
        JobsTesting.runUntilIdle(engine, clock);
        assertThat(reload(job)).isFailed();

        healthy.set(1);
        engine.retry(job.id());
        JobsTesting.runUntilIdle(engine, clock);

        assertThat(reload(job)).isSucceeded().hasAttempts(2);
    }

    @Test
    void progressIsStoredAndEventsAndMetersFollowEveryChange() {
        var meters = new SimpleMeterRegistry();
        var events = new CopyOnWriteArrayList<JobEvent.Kind>();
        engine = builder()
                .meterRegistry(meters)
                .listener(event -> events.add(event.kind()))
                .register("long", ctx -> {
                    ctx.progress(50, "half way");
                    return null;
                })
                .build();
        Job job = engine.enqueue(JobSpec.of("long"));

        JobsTesting.runUntilIdle(engine, clock);

        assertThat(events)
                .containsSubsequence(
                        JobEvent.Kind.CREATED, JobEvent.Kind.STARTED, JobEvent.Kind.PROGRESS, JobEvent.Kind.SUCCEEDED);
        assertThat(meters.get("jobs.succeeded").tag("type", "long").counter().count())
                .isEqualTo(1.0);
        assertThat(meters.get("jobs.run").tag("outcome", "succeeded").timer().count())
                .isEqualTo(1);
        JobsTesting.runMaintenance(engine);
        assertThat(meters.get("jobs.queue.depth").tag("state", "ready").gauge().value())
                .isZero();
        assertThat(reload(job)).hasProgress(100);
    }

    @Test
    void pausedQueueHoldsItsJobsUntilResumed() {
        engine = builder().register("t", ctx -> null).build();
        Job job = engine.enqueue(JobSpec.of("t"));
        engine.pauseQueue("default");

        assertThat(JobsTesting.runUntilIdle(engine, clock)).isZero();
        assertThat(reload(job)).isReady();

        engine.resumeQueue("default");
        JobsTesting.runUntilIdle(engine, clock);
        assertThat(reload(job)).isSucceeded();
    }

    @Test
    void retentionPrunesFinishedJobsAfterItsPeriod() {
        engine = builder()
                .retention(Duration.ofHours(1))
                .register("t", ctx -> null)
                .build();
        Job job = engine.enqueue(JobSpec.of("t"));
        JobsTesting.runUntilIdle(engine, clock);

        clock.advance(Duration.ofMinutes(59));
        JobsTesting.runMaintenance(engine);
        assertThat(engine.get(job.id())).isPresent();
        clock.advance(Duration.ofMinutes(2));
        JobsTesting.runMaintenance(engine);
        assertThat(engine.get(job.id())).isEmpty();
    }

    @Test
    void aThousandRemoteWorkersThatFellSilentLeaveTheRegistryAfterTheirLease() {
        engine = builder().build();
        Instant now = clock.instant();
        for (int i = 0; i < 1000; i++) {
            store.registerWorker(new WorkerInfo(
                    "flood-" + i, "token:f", "h", Set.of("default"), 1, 0, now, now, now.plusSeconds(40)));
        }
        assertThat(engine.workers(Optional.empty(), JobLimits.MAX_PAGE_SIZE).nextCursor())
                .isPresent();

        clock.advance(Duration.ofSeconds(41));
        JobsTesting.runMaintenance(engine);

        assertThat(engine.workers()).isEmpty();
    }

    @Test
    void aDeadEngineWorkerStaysListedForTheWorkerRetentionThenLeaves() {
        engine = builder().workerRetention(Duration.ofMinutes(10)).build();
        Instant now = clock.instant();
        store.registerWorker(new WorkerInfo(
                "engine-b", WorkerInfo.ENGINE_OWNER, "h", Set.of("default"), 4, 0, now, now, now.plusSeconds(40)));

        clock.advance(Duration.ofMinutes(10).minusSeconds(1));
        JobsTesting.runMaintenance(engine);
        assertThat(engine.workers())
                .as("declared dead, still shown")
                .singleElement()
                .satisfies(w -> assertThat(w.alive()).isFalse());

        clock.advance(Duration.ofSeconds(2));
        JobsTesting.runMaintenance(engine);
        assertThat(engine.workers()).isEmpty();
    }
}
