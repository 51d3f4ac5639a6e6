package dev.jobs.testing;

import static dev.jobs.testing.JobAssert.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jobs.core.Job;
import dev.jobs.core.JobError;
import dev.jobs.core.JobState;
import dev.jobs.core.LeaseLostException;
import dev.jobs.core.QueueCounts;
import dev.jobs.core.spi.AcquireRequest;
import dev.jobs.core.spi.ClaimPlace;
import dev.jobs.core.spi.NewJob;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The {@link JobStore} contract, area by area: claiming jobs: claim order, queues and paused
 * queues, leases and attempts, claims among a dispatch queue's ids, the earliest claimable time,
 * promotion of due jobs, and concurrent workers each leasing a job once. Extend it and make a
 * store as {@link StoreConformance#createStore} says, or extend {@link JobStoreConformanceTest}
 * for every area.
 */
public abstract class ClaimConformance extends StoreConformance {
    @Test
    void acquireTakesLowestPriorityNumberThenEarliestRunAtThenOldest() {
        Instant now = clock.instant();
        Job lowUrgency = create(jobs.of("t").priority(75).runAt(now.minusSeconds(30)));
        Job urgentLater = create(jobs.of("t").priority(0).runAt(now.minusSeconds(1)));
        Job urgentEarlier = create(jobs.of("t").priority(0).runAt(now.minusSeconds(5)));
        Job normalFirst = create(jobs.of("t").priority(50));
        Job normalSecond = create(jobs.of("t").priority(50));

        List<Job> acquired = acquire(10);

        assertThat(acquired)
                .extracting(Job::id)
                .containsExactly(
                        urgentEarlier.id(), urgentLater.id(), normalFirst.id(), normalSecond.id(), lowUrgency.id());
    }

    @Test
    void acquireHonoursMaxJobsAndQueues() {
        for (int i = 0; i < 5; i++) {
            create(jobs.of("t").queue("a"));
        }
        create(jobs.of("t").queue("b"));

        assertThat(acquire(3, "a")).hasSize(3);
        assertThat(acquire(10, "a")).hasSize(2);
        assertThat(acquire(10, "c")).isEmpty();
        assertThat(acquire(10, "a", "b")).extracting(Job::queue).containsExactly("b");
    }

    @Test
    void acquireLeasesWithAFreshTokenAndCountsTheAttempt() {
        create(jobs.of("t"));

        Job running = acquireOne();

        assertThat(running).isRunning().hasAttempts(1);
        assertThat(running.leaseOwner()).contains("worker-1");
        assertThat(running.leaseToken()).isPresent();
        assertThat(running.leaseExpiresAt()).contains(clock.instant().plus(LEASE));
        assertThat(running.startedAt()).contains(clock.instant());
        assertThat(acquire(10)).as("a leased job is not handed out again").isEmpty();
    }

    @Test
    void pausedQueueIsSkippedUntilResumed() {
        create(jobs.of("t").queue("a"));
        store.setQueuePaused("a", true);

        assertThat(acquire(10, "a")).isEmpty();
        assertThat(store.pausedQueues()).containsExactly("a");
        assertThat(store.counts())
                .filteredOn(QueueCounts::paused)
                .extracting(QueueCounts::queue)
                .containsExactly("a");

        store.setQueuePaused("a", false);
        assertThat(acquire(10, "a")).hasSize(1);
    }

    @Test
    void aPausedQueueAmongSeveralIsSkippedAndTheOthersAreNot() {
        create(jobs.of("t").queue("a"));
        Job other = create(jobs.of("t").queue("b"));
        store.setQueuePaused("a", true);

        assertThat(acquire(10, "a", "b")).extracting(Job::id).containsExactly(other.id());
        assertThat(store.earliestRunAt(Set.of("a")))
                .as("a paused queue has no next job")
                .isEmpty();
    }

    @Test
    void earliestRunAtOfOnlyFutureJobsIsTheSoonestOfThem() {
        create(jobs.of("t").runAt(clock.instant().plusSeconds(90)));
        create(jobs.of("t").runAt(clock.instant().plusSeconds(30)).priority(99));
        create(jobs.of("t").runAt(clock.instant().plusSeconds(60)).priority(0));

        assertThat(store.earliestRunAt(Set.of("default")))
                .contains(clock.instant().plusSeconds(30));
    }

    @Test
    void acquireAmongIdsLeasesOnlyThoseAnAcquireCouldTakeNow() {
        Instant now = clock.instant();
        Job later = create(jobs.of("t").priority(50));
        Job urgent = create(jobs.of("t").priority(0));
        Job notDue = create(jobs.of("t").runAt(now.plusSeconds(60)));
        Job cancelled = create(jobs.of("t"));
        store.cancel(cancelled.id());
        Job otherQueue = create(jobs.of("t").queue("b"));
        Job paused = create(jobs.of("t").queue("p"));
        store.setQueuePaused("p", true);
        Job notListed = create(jobs.of("t"));
        List<UUID> candidates = List.of(
                later.id(), urgent.id(), notDue.id(), cancelled.id(), otherQueue.id(), paused.id(), UUID.randomUUID());

        List<Job> acquired =
                store.acquire(new AcquireRequest("worker-1", Set.of("default", "p"), 10, LEASE), candidates);

        assertThat(acquired).extracting(Job::id).containsExactly(urgent.id(), later.id());
        acquired.forEach(job -> assertThat(job).isRunning().hasAttempts(1));
        assertThat(current(notDue).state()).isEqualTo(JobState.SCHEDULED);
        assertThat(current(cancelled).state()).isEqualTo(JobState.CANCELLED);
        assertThat(current(otherQueue).state()).isEqualTo(JobState.READY);
        assertThat(current(paused).state()).isEqualTo(JobState.READY);
        assertThat(current(notListed).state()).isEqualTo(JobState.READY);
    }

    @Test
    void acquireAmongIdsHonoursMaxJobsAndNeverLeasesAJobTwice() {
        Job first = create(jobs.of("t"));
        Job second = create(jobs.of("t"));
        var request = new AcquireRequest("worker-1", Set.of("default"), 1, LEASE);

        assertThat(store.acquire(request, List.of(second.id(), first.id(), first.id())))
                .extracting(Job::id)
                .containsExactly(first.id());
        assertThat(store.acquire(request, List.of(first.id())))
                .as("already running")
                .isEmpty();
        assertThat(store.acquire(request, List.of())).isEmpty();
        assertThat(store.acquire(request, List.of(first.id(), second.id())))
                .extracting(Job::id)
                .containsExactly(second.id());
    }

    @Test
    void claimOrderListsAQueuesClaimableJobsInTheOrderClaimsTakeThemPageByPage() {
        Job retrying = create(jobs.of("t").queue("q").priority(0));
        Job failed = acquire(1, "q").get(0);
        assertThat(failed.id()).isEqualTo(retrying.id());
        store.fail(
                failed.id(),
                token(failed),
                JobError.of("Boom", "again soon"),
                Optional.of(clock.instant().plusSeconds(5)));
        Job running = create(jobs.of("t").queue("q").priority(0));
        assertThat(acquire(1, "q")).extracting(Job::id).containsExactly(running.id());
        Job a = create(jobs.of("t").queue("q").priority(5));
        Job b = create(jobs.of("t").queue("q").priority(5));
        Job urgent = create(jobs.of("t").queue("q").priority(1));
        Job later =
                create(jobs.of("t").queue("q").priority(5).runAt(clock.instant().plusSeconds(3600)));
        create(jobs.of("t").queue("q").priority(0).dependsOn(running.id()));
        create(jobs.of("t").queue("other").priority(0));

        List<ClaimPlace> all = store.claimOrder("q", Optional.empty(), 100);

        assertThat(all)
                .as("retrying, then by priority, runAt and id; not running, pending or another queue's")
                .extracting(ClaimPlace::id)
                .containsExactly(retrying.id(), urgent.id(), a.id(), b.id(), later.id());
        assertThat(all.get(0).runAt()).isEqualTo(clock.instant().plusSeconds(5));
        assertThat(all.get(1).priority()).isEqualTo(1);
        var paged = new ArrayList<ClaimPlace>();
        Optional<ClaimPlace> after = Optional.empty();
        for (List<ClaimPlace> page = store.claimOrder("q", after, 2);
                !page.isEmpty();
                page = store.claimOrder("q", after, 2)) {
            assertThat(page.size()).isLessThanOrEqualTo(2);
            paged.addAll(page);
            after = Optional.of(page.get(page.size() - 1));
        }
        assertThat(paged).as("pages after the last place of the one before").isEqualTo(all);
        assertThat(store.claimOrder("none", Optional.empty(), 10)).isEmpty();
        assertThatThrownBy(() -> store.claimOrder("q", Optional.empty(), 0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void promotionShowsDueScheduledJobsAsReady() {
        Job job = create(jobs.of("t").runAt(clock.instant().plusSeconds(5)));
        assertThat(store.promoteDueJobs(10)).isEmpty();

        clock.advance(Duration.ofSeconds(5));

        assertThat(store.promoteDueJobs(10)).extracting(Job::id).containsExactly(job.id());
        assertThat(current(job)).isReady();
    }

    @Test
    void earliestRunAtIsNowForReadyWorkAndEmptyWhenIdle() {
        assertThat(store.earliestRunAt(Set.of("default"))).isEmpty();
        create(jobs.of("t"));
        assertThat(store.earliestRunAt(Set.of("default")).orElseThrow()).isBeforeOrEqualTo(clock.instant());
        store.setQueuePaused("default", true);
        assertThat(store.earliestRunAt(Set.of("default"))).isEmpty();
    }

    @Test
    void concurrentWorkersLeaseEachJobToOneWorkerAndCompleteEachOnce() throws Exception {
        int jobCount = 2000;
        var batch = new ArrayList<NewJob>();
        for (int i = 0; i < jobCount; i++) {
            batch.add(jobs.of("t").build());
        }
        store.create(batch);
        int workers = 8;
        var completions = new ConcurrentHashMap<UUID, AtomicInteger>();
        var refused = new AtomicInteger();
        var start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(workers);
        try {
            var futures = new ArrayList<Future<?>>();
            for (int w = 0; w < workers; w++) {
                String workerId = "worker-" + w;
                futures.add(pool.submit(() -> {
                    start.await();
                    while (true) {
                        List<Job> leased = store.acquire(new AcquireRequest(workerId, Set.of("default"), 7, LEASE));
                        if (leased.isEmpty()) {
                            return null;
                        }
                        for (Job job : leased) {
                            try {
                                store.complete(job.id(), token(job), Optional.empty());
                                completions
                                        .computeIfAbsent(job.id(), id -> new AtomicInteger())
                                        .incrementAndGet();
                            } catch (LeaseLostException e) {
                                refused.incrementAndGet();
                            }
                        }
                    }
                }));
            }
            start.countDown();
            for (Future<?> future : futures) {
                future.get(JobsTesting.BULK_WORK.toSeconds(), TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(refused).hasValue(0);
        assertThat(completions).hasSize(jobCount);
        assertThat(completions.values()).allSatisfy(count -> assertThat(count).hasValue(1));
        var states = new HashSet<JobState>();
        store.counts()
                .forEach(c -> c.byState().forEach((state, n) -> {
                    if (n > 0) states.add(state);
                }));
        assertThat(states).containsExactly(JobState.SUCCEEDED);
    }
}
