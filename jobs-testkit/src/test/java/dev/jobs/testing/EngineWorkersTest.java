package dev.jobs.testing;

import static dev.jobs.testing.JobAssert.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.jobs.core.Attempt;
import dev.jobs.core.Job;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobSpec;
import dev.jobs.core.StoreUnavailableException;
import dev.jobs.core.WorkerInfo;
import dev.jobs.core.internal.worker.JobRunner;
import dev.jobs.core.memory.InMemoryJobStore;
import dev.jobs.core.spi.JobStore;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The worker pool on real threads and the real clock: cancellation, shutdown, registry. */
class EngineWorkersTest {
    private static final Duration WAIT = JobsTesting.EVENTUALLY;

    private final InMemoryJobStore store = new InMemoryJobStore();
    private JobEngine engine;

    @AfterEach
    void close() {
        if (engine != null) {
            engine.close();
        }
    }

    private static void await(CountDownLatch latch) throws InterruptedException {
        assertThat(latch.await(WAIT.toSeconds(), TimeUnit.SECONDS))
                .as("latch reached")
                .isTrue();
    }

    @Test
    void runningHandlerSeesCancellationAndStops() throws Exception {
        var started = new CountDownLatch(1);
        engine = JobEngine.builder()
                .store(store)
                .register("long", ctx -> {
                    started.countDown();
                    while (!ctx.isCancelled()) {
                        Thread.onSpinWait();
                    }
                    throw new IllegalStateException("stopped on request");
                })
                .build()
                .start();
        Job job = engine.enqueue(JobSpec.of("long"));
        await(started);

        Job requested = engine.cancel(job.id());

        assertThat(requested).isRunning();
        assertThat(requested.cancelRequested()).isTrue();
        assertThat(engine.await(job.id(), WAIT)).isCancelled().hasLastErrorContaining("stopped on request");
    }

    @Test
    void handlerIgnoringCancellationIsInterruptedAfterTheGrace() throws Exception {
        var started = new CountDownLatch(1);
        var interrupted = new AtomicBoolean();
        engine = JobEngine.builder()
                .store(store)
                .cancellationGrace(Duration.ofMillis(100))
                .register("stubborn", ctx -> {
                    started.countDown();
                    try {
                        new CountDownLatch(1).await();
                    } catch (InterruptedException e) {
                        interrupted.set(true);
                        throw e;
                    }
                    return null;
                })
                .build()
                .start();
        Job job = engine.enqueue(JobSpec.of("stubborn"));
        await(started);

        engine.cancel(job.id());

        assertThat(engine.await(job.id(), WAIT)).isCancelled();
        assertThat(interrupted).isTrue();
    }

    @Test
    void shutdownLetsRunningJobsFinishWithinTheTimeout() throws Exception {
        var started = new CountDownLatch(1);
        var release = new CountDownLatch(1);
        engine = JobEngine.builder()
                .store(store)
                .shutdownTimeout(Duration.ofSeconds(20))
                .register("finishing", ctx -> {
                    started.countDown();
                    release.await();
                    return "finished";
                })
                .build()
                .start();
        Job job = engine.enqueue(JobSpec.of("finishing"));
        await(started);

        var closer = Thread.ofPlatform().start(engine::close);
        release.countDown();
        closer.join(WAIT);

        assertThat(store.get(job.id()).orElseThrow()).isSucceeded().hasResultJson("\"finished\"");
    }

    @Test
    void shutdownGivesBackLeasesOfJobsThatOutliveTheTimeout() throws Exception {
        var started = new CountDownLatch(1);
        engine = JobEngine.builder()
                .store(store)
                .shutdownTimeout(Duration.ofMillis(100))
                .register("endless", ctx -> {
                    started.countDown();
                    new CountDownLatch(1).await();
                    return null;
                })
                .build()
                .start();
        Job job = engine.enqueue(JobSpec.of("endless"));
        await(started);

        engine.close();

        Job after = store.get(job.id()).orElseThrow();
        assertThat(after).isReady().hasAttempts(0);
        assertThat(after.leaseOwner()).isEmpty();
        assertThat(store.workers()).isEmpty();
    }

    @Test
    void handlerCutOffFromTheStorePastItsLeaseIsStoppedAndTheJobRunsAgain() throws Exception {
        var cut = new AtomicBoolean();
        JobStore unreachable = (JobStore) Proxy.newProxyInstance(
                JobStore.class.getClassLoader(), new Class<?>[] {JobStore.class}, (proxy, method, args) -> {
                    if (cut.get() && method.getName().equals("heartbeat")) {
                        throw new StoreUnavailableException("the network is cut", null);
                    }
                    try {
                        return method.invoke(store, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        var stopped = new CountDownLatch(1);
        var attempts = new AtomicInteger();
        engine = JobEngine.builder()
                .store(unreachable)
                .leaseDuration(Duration.ofSeconds(2))
                .reclaimInterval(Duration.ofMillis(200))
                .register("long", ctx -> {
                    if (attempts.incrementAndGet() > 1) {
                        return "second attempt";
                    }
                    cut.set(true);
                    try {
                        new CountDownLatch(1).await();
                    } catch (InterruptedException e) {
                        stopped.countDown();
                        cut.set(false);
                        throw e;
                    }
                    return "never";
                })
                .build()
                .start();
        long start = System.nanoTime();
        Job job = engine.enqueue(JobSpec.of("long"));

        await(stopped);
        assertThat(Duration.ofNanos(System.nanoTime() - start))
                .as("stopped once the lease lapsed, not before")
                .isGreaterThanOrEqualTo(Duration.ofSeconds(2));
        Job after = engine.await(job.id(), WAIT);
        assertThat(after).isSucceeded().hasAttempts(2);
        assertThat(after.attempts().get(0).outcome())
                .as("the cut-off attempt, reclaimed")
                .isEqualTo(Attempt.Outcome.FAILED);
    }

    @Test
    void outcomesThatCannotBeRecordedWarnOnceNotOncePerJobPerRetry() throws Exception {
        var down = new AtomicBoolean(true);
        var refused = new AtomicInteger();
        JobStore unreachable = (JobStore) Proxy.newProxyInstance(
                JobStore.class.getClassLoader(), new Class<?>[] {JobStore.class}, (proxy, method, args) -> {
                    if (down.get() && method.getName().matches("complete|completeAll|fail")) {
                        refused.incrementAndGet();
                        throw new StoreUnavailableException("the store is restarting", null);
                    }
                    try {
                        return method.invoke(store, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        var loggers = List.of((Logger) LoggerFactory.getLogger(JobRunner.class), (Logger)
                LoggerFactory.getLogger("dev.jobs.core.internal.worker.CompletionBatcher"));
        var logged = new ListAppender<ILoggingEvent>();
        logged.start();
        loggers.forEach(logger -> logger.addAppender(logged));
        try {
            engine = JobEngine.builder()
                    .store(unreachable)
                    .register("quick", ctx -> "done")
                    .build()
                    .start();
            var jobs = new ArrayList<Job>();
            for (int i = 0; i < 8; i++) {
                jobs.add(engine.enqueue(JobSpec.of("quick")));
            }
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (refused.get() < 24) {
                assertThat(System.nanoTime()).as("outcomes tried and refused").isLessThan(deadline);
                Thread.onSpinWait();
            }
            down.set(false);
            for (Job job : jobs) {
                assertThat(engine.await(job.id(), WAIT)).isSucceeded();
            }
        } finally {
            loggers.forEach(logger -> logger.detachAppender(logged));
        }

        long warnings = logged.list.stream()
                .filter(e -> e.getLevel() == Level.WARN)
                .filter(e -> e.getFormattedMessage().startsWith("recording the outcome of job")
                        || e.getFormattedMessage().contains(" completions failed"))
                .count();
        assertThat(refused.get()).isGreaterThanOrEqualTo(24);
        assertThat(warnings)
                .as("warnings for %d refused recordings", refused.get())
                .isEqualTo(1);
    }

    @Test
    void heartbeatsKeepALongJobsLeaseSoItIsNeverReclaimed() throws Exception {
        var clock = new VirtualClock();
        var virtualStore = new InMemoryJobStore(clock);
        var started = new CountDownLatch(1);
        var finish = new CountDownLatch(1);
        engine = JobEngine.builder()
                .clock(clock)
                .store(virtualStore)
                .leaseDuration(Duration.ofSeconds(30))
                .register("long", ctx -> {
                    started.countDown();
                    finish.await();
                    return "done";
                })
                .build()
                .start();
        Job job = engine.enqueue(JobSpec.of("long"));
        await(started);

        // Two minutes of virtual time, four lease lengths: each step waits for the heartbeat
        // that renews the lease before moving the clock on.
        for (int step = 0; step < 12; step++) {
            clock.advance(Duration.ofSeconds(10));
            Instant now = clock.instant();
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!virtualStore
                    .get(job.id())
                    .orElseThrow()
                    .leaseExpiresAt()
                    .orElseThrow()
                    .isAfter(now.plusSeconds(19))) {
                assertThat(System.nanoTime()).as("heartbeat renewed the lease").isLessThan(deadline);
                Thread.onSpinWait();
            }
            assertThat(JobsTesting.runMaintenance(engine))
                    .as("nothing to reclaim")
                    .isZero();
        }
        finish.countDown();

        assertThat(engine.await(job.id(), WAIT)).isSucceeded().hasAttempts(1);
    }

    @Test
    void workerIsRegisteredWithItsQueuesAndConcurrencyWhileRunning() {
        engine = JobEngine.builder()
                .store(store)
                .workerId("worker-a")
                .queue("mail", 3)
                .queue("reports", 2)
                .register("t", ctx -> null)
                .build()
                .start();

        assertThat(engine.workers()).singleElement().satisfies(worker -> {
            assertThat(worker.id()).isEqualTo("worker-a");
            assertThat(worker.queues()).containsExactlyInAnyOrder("mail", "reports");
            assertThat(worker.concurrency()).isEqualTo(5);
        });
        engine.close();
        assertThat(store.workers()).extracting(WorkerInfo::id).doesNotContain("worker-a");
    }

    @Test
    void perQueueConcurrencyIsNeverExceeded() throws Exception {
        var running = new AtomicInteger();
        var peak = new AtomicInteger();
        engine = JobEngine.builder()
                .store(store)
                .queue("narrow", 2)
                .register("t", ctx -> {
                    int now = running.incrementAndGet();
                    peak.accumulateAndGet(now, Math::max);
                    Thread.yield();
                    running.decrementAndGet();
                    return null;
                })
                .build()
                .start();
        Job last = null;
        for (int i = 0; i < 200; i++) {
            last = engine.enqueue(JobSpec.of("t").withQueue("narrow"));
        }
        engine.await(last.id(), WAIT);
        engine.list(dev.jobs.core.JobQuery.all().withLimit(500))
                .jobs()
                .forEach(job -> assertThat(engine.await(job.id(), WAIT)).isSucceeded());

        assertThat(peak.get()).isBetween(1, 2);
    }
}
