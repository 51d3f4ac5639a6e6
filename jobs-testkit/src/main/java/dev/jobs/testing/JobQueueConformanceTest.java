package dev.jobs.testing;

import static dev.jobs.testing.JobAssert.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jobs.core.Job;
import dev.jobs.core.JobError;
import dev.jobs.core.LeaseLostException;
import dev.jobs.core.spi.AcquireRequest;
import dev.jobs.core.spi.JobQueue;
import dev.jobs.core.spi.JobStore;
import dev.jobs.core.spi.NewJob;
import dev.jobs.core.spi.Transition;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link JobQueue} must keep, in front of a store. A queue's test class extends
 * this and says how to make a fresh store and a queue in front of it.
 */
public abstract class JobQueueConformanceTest {
    private static final Duration LEASE = Duration.ofSeconds(30);

    /** Far longer than any wake-up should take; only reached if a wake-up is lost. */
    private static final Duration LONG_WAIT = Duration.ofSeconds(60);

    protected VirtualClock clock;
    protected JobStore store;
    protected JobQueue queue;
    protected NewJobs jobs;

    protected abstract JobStore createStore(Clock clock);

    protected abstract JobQueue createQueue(JobStore store, Clock clock);

    @BeforeEach
    void createFreshQueue() {
        clock = new VirtualClock();
        store = createStore(clock);
        queue = createQueue(store, clock);
        jobs = new NewJobs(clock);
    }

    @AfterEach
    void closeQueue() {
        queue.close();
        store.close();
    }

    private List<Job> createAndPublish(NewJob... batch) {
        List<Job> created = store.create(List.of(batch));
        queue.publish(created);
        return created;
    }

    private List<Job> acquire(int max) {
        return queue.acquire(new AcquireRequest("worker-1", Set.of("default"), max, LEASE));
    }

    @Test
    void publishedJobsAreAcquiredAsRunningLeases() {
        createAndPublish(
                jobs.of("t").priority(50).build(), jobs.of("t").priority(0).build());

        List<Job> acquired = acquire(10);

        assertThat(acquired).hasSize(2);
        assertThat(acquired.get(0).priority()).isZero();
        acquired.forEach(job -> assertThat(job).isRunning().hasAttempts(1));
        assertThat(acquire(10)).isEmpty();
    }

    @Test
    void cancelledJobIsNeverHandedOut() {
        Job job = createAndPublish(jobs.of("t").build()).get(0);
        store.cancel(job.id());

        assertThat(acquire(10)).isEmpty();
    }

    @Test
    void scheduledJobIsHandedOutOnlyWhenDue() {
        createAndPublish(jobs.of("t").runAt(clock.instant().plusSeconds(30)).build());

        assertThat(acquire(10)).isEmpty();
        clock.advance(Duration.ofSeconds(30));
        store.promoteDueJobs(10).forEach(job -> queue.publish(List.of(job)));
        assertThat(acquire(10)).hasSize(1);
    }

    @Test
    void pausedQueueIsNotHandedOutUntilResumed() {
        Job job = createAndPublish(jobs.of("t").build()).get(0);
        store.setQueuePaused("default", true);
        queue.queuePaused("default", true);

        assertThat(acquire(10)).isEmpty();

        store.setQueuePaused("default", false);
        queue.queuePaused("default", false);
        assertThat(acquire(10)).extracting(Job::id).containsExactly(job.id());
    }

    @Test
    void failedJobIsHandedOutAgainOnceItsRetryIsDue() {
        createAndPublish(jobs.of("t").build());
        Job running = acquire(1).get(0);
        Transition failed = store.fail(
                running.id(),
                running.leaseToken().orElseThrow(),
                JobError.of(new IllegalStateException("boom")),
                Optional.of(clock.instant().plusSeconds(10)));
        queue.publish(List.of(failed.job()));

        assertThat(acquire(10)).isEmpty();
        clock.advance(Duration.ofSeconds(10));
        assertThat(acquire(10))
                .singleElement()
                .satisfies(job -> assertThat(job).isRunning().hasAttempts(2));
    }

    @Test
    void finishedJobPublishedAgainIsNeverHandedOut() {
        createAndPublish(jobs.of("t").build());
        Job running = acquire(1).get(0);
        Transition done = store.complete(running.id(), running.leaseToken().orElseThrow(), Optional.empty());
        queue.publish(List.of(done.job()));
        queue.publish(List.of(running)); // a stale copy, as a late event might carry

        assertThat(acquire(10)).isEmpty();
    }

    @Test
    void publishWakesAWaitingWorker() throws Exception {
        var waiting = new CountDownLatch(1);
        var woke = CompletableFuture.runAsync(() -> {
            try {
                waiting.countDown();
                queue.awaitWork(Set.of("default"), LONG_WAIT);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        waiting.await();
        // The waiter may not be parked yet; publishing until it wakes covers both orders.
        while (!woke.isDone()) {
            createAndPublish(jobs.of("t").build());
            try {
                woke.get(50, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                // not woken yet
            }
        }
        assertThat(woke).isCompleted();
    }

    @Test
    void awaitWorkReturnsWhenTheWaitIsOver() throws Exception {
        var done = CompletableFuture.runAsync(() -> {
            try {
                queue.awaitWork(Set.of("default"), Duration.ofMillis(20));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        done.get(LONG_WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(done).isCompleted();
    }

    @Test
    void concurrentWorkersEachGetDistinctJobs() throws Exception {
        int jobCount = 1000;
        var batch = new ArrayList<NewJob>();
        for (int i = 0; i < jobCount; i++) {
            batch.add(jobs.of("t").build());
        }
        createAndPublish(batch.toArray(NewJob[]::new));
        var seen = new ConcurrentHashMap<UUID, AtomicInteger>();
        var workers = new ArrayList<CompletableFuture<Void>>();
        for (int w = 0; w < 6; w++) {
            String workerId = "worker-" + w;
            workers.add(CompletableFuture.runAsync(() -> {
                while (true) {
                    List<Job> leased = queue.acquire(new AcquireRequest(workerId, Set.of("default"), 5, LEASE));
                    if (leased.isEmpty()) {
                        return;
                    }
                    for (Job job : leased) {
                        seen.computeIfAbsent(job.id(), id -> new AtomicInteger())
                                .incrementAndGet();
                        try {
                            store.complete(job.id(), job.leaseToken().orElseThrow(), Optional.empty());
                        } catch (LeaseLostException e) {
                            throw new AssertionError("job " + job.id() + " was leased twice", e);
                        }
                    }
                }
            }));
        }
        // Concurrent claims of a few thousand jobs take seconds; the bound is for a queue that hangs.
        CompletableFuture.allOf(workers.toArray(CompletableFuture[]::new))
                .get(JobsTesting.BULK_WORK.toSeconds(), TimeUnit.SECONDS);

        assertThat(seen).hasSize(jobCount);
        assertThat(seen.values()).allSatisfy(count -> assertThat(count).hasValue(1));
    }
}
