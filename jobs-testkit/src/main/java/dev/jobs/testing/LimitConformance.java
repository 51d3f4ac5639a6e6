package dev.jobs.testing;

import static dev.jobs.testing.JobAssert.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jobs.core.Job;
import dev.jobs.core.JobError;
import dev.jobs.core.JobState;
import dev.jobs.core.QueueLimits;
import dev.jobs.core.spi.AcquireRequest;
import dev.jobs.core.spi.NewJob;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
 * The {@link JobStore} contract, area by area: queue limits and concurrency keys: running jobs,
 * start rates and keys held to their limits, by racing claims too. Extend it and make a store as
 * {@link StoreConformance#createStore} says, or extend {@link JobStoreConformanceTest} for every
 * area.
 */
public abstract class LimitConformance extends StoreConformance {
    private List<Job> createMany(int count, String queue) {
        var batch = new ArrayList<NewJob>();
        for (int i = 0; i < count; i++) {
            batch.add(jobs.of("t").queue(queue).build());
        }
        return store.create(batch);
    }

    @Test
    void queueLimitsAreReadBackAndNoneLiftsThem() {
        QueueLimits limits = QueueLimits.none()
                .withMaxRunning(5)
                .withMaxStarts(10, Duration.ofMinutes(1))
                .withMaxRunningPerKey(2);
        store.setQueueLimits("api", limits);
        store.setQueueLimits("other", QueueLimits.none().withMaxRunning(1));
        store.setQueueLimits("other", QueueLimits.none().withMaxRunning(1));

        assertThat(store.queueLimits())
                .containsOnly(
                        Map.entry("api", limits),
                        Map.entry("other", QueueLimits.none().withMaxRunning(1)));

        store.setQueueLimits("other", QueueLimits.none());
        assertThat(store.queueLimits()).containsOnlyKeys("api");
    }

    @Test
    void maxRunningHoldsJobsBackUntilARunningOneEnds() {
        createMany(5, "api");
        store.setQueueLimits("api", QueueLimits.none().withMaxRunning(2));

        List<Job> first = acquire(10, "api");
        assertThat(first).hasSize(2);
        assertThat(acquire(10, "api")).isEmpty();
        assertThat(store.earliestRunAt(Set.of("api")))
                .as("a queue running all it may has nothing to start")
                .isEmpty();

        store.complete(first.get(0).id(), token(first.get(0)), Optional.empty());
        assertThat(store.earliestRunAt(Set.of("api"))).isPresent();
        List<Job> second = acquire(10, "api");
        assertThat(second).hasSize(1);

        store.fail(second.get(0).id(), token(second.get(0)), JobError.of("X", "x"), Optional.of(clock.instant()));
        assertThat(acquire(10, "api"))
                .as("a failed attempt frees its slot; the retry and the next job compete for it")
                .hasSize(1);
        assertThat(acquire(10, "api")).isEmpty();
        assertThat(store.counts())
                .filteredOn(c -> c.queue().equals("api"))
                .singleElement()
                .satisfies(c -> assertThat(c.byState()).containsEntry(JobState.RUNNING, 2L));
    }

    @Test
    void limitsOfOneQueueDoNotHoldBackAnother() {
        createMany(3, "api");
        createMany(3, "free");
        store.setQueueLimits("api", QueueLimits.none().withMaxRunning(1));

        List<Job> acquired = acquire(10, "api", "free");

        assertThat(acquired).extracting(Job::queue).containsExactlyInAnyOrder("free", "free", "free", "api");
    }

    @Test
    void startRateSpendsABucketThatRefillsWithTime() {
        createMany(10, "api");
        store.setQueueLimits("api", QueueLimits.none().withMaxStarts(3, Duration.ofSeconds(10)));

        assertThat(acquire(10, "api")).as("a full bucket allows a burst").hasSize(3);
        assertThat(acquire(10, "api")).isEmpty();
        Instant nextToken = clock.instant().plusMillis(3334);
        assertThat(store.earliestRunAt(Set.of("api")))
                .as("the next token comes a third of the window later")
                .hasValueSatisfying(at -> assertThat(at).isBetween(nextToken.minusMillis(2), nextToken));

        clock.advance(Duration.ofMillis(3300));
        assertThat(acquire(10, "api")).isEmpty();
        clock.advance(Duration.ofMillis(100));
        assertThat(acquire(10, "api")).hasSize(1);

        clock.advance(Duration.ofMinutes(5));
        assertThat(acquire(10, "api"))
                .as("a quiet queue's bucket fills up to its size, no further")
                .hasSize(3);
    }

    @Test
    void changingTheStartRateRefillsTheBucketButSettingTheSameLimitsDoesNot() {
        createMany(10, "api");
        QueueLimits limits = QueueLimits.none().withMaxStarts(2, Duration.ofMinutes(1));
        store.setQueueLimits("api", limits);
        assertThat(acquire(10, "api")).hasSize(2);

        store.setQueueLimits("api", limits);
        assertThat(acquire(10, "api"))
                .as("the same limits again keep the spent bucket")
                .isEmpty();

        store.setQueueLimits("api", QueueLimits.none().withMaxStarts(3, Duration.ofMinutes(1)));
        assertThat(acquire(10, "api")).as("a new rate starts full").hasSize(3);
    }

    @Test
    void aKeyAtItsLimitHoldsBackOnlyItsOwnJobs() {
        store.setQueueLimits("api", QueueLimits.none().withMaxRunningPerKey(1));
        Job a1 = create(jobs.of("t").queue("api").concurrencyKey("customer-a"));
        Job a2 = create(jobs.of("t").queue("api").concurrencyKey("customer-a"));
        create(jobs.of("t").queue("api").concurrencyKey("customer-a"));
        Job b1 = create(jobs.of("t").queue("api").concurrencyKey("customer-b"));
        Job unkeyed = create(jobs.of("t").queue("api"));

        List<Job> first = acquire(10, "api");
        assertThat(first).extracting(Job::id).containsExactlyInAnyOrder(a1.id(), b1.id(), unkeyed.id());
        assertThat(first)
                .filteredOn(job -> job.id().equals(a1.id()))
                .singleElement()
                .satisfies(job -> assertThat(job.concurrencyKey()).contains("customer-a"));
        assertThat(acquire(10, "api")).isEmpty();
        assertThat(store.earliestRunAt(Set.of("api")))
                .as("only jobs of keys at their limit are waiting")
                .isEmpty();

        Job runningA = first.stream()
                .filter(job -> job.id().equals(a1.id()))
                .findFirst()
                .orElseThrow();
        store.complete(runningA.id(), token(runningA), Optional.empty());
        assertThat(acquire(10, "api")).extracting(Job::id).containsExactly(a2.id());
    }

    @Test
    void aKeyedJobBehindALongRunOfAnotherKeyIsReached() {
        store.setQueueLimits("api", QueueLimits.none().withMaxRunningPerKey(2));
        var batch = new ArrayList<NewJob>();
        for (int i = 0; i < 50; i++) {
            batch.add(jobs.of("t").queue("api").concurrencyKey("busy").build());
        }
        batch.add(jobs.of("t").queue("api").concurrencyKey("quiet").build());
        store.create(batch);

        assertThat(acquire(3, "api"))
                .extracting(job -> job.concurrencyKey().orElseThrow())
                .containsExactly("busy", "busy", "quiet");
    }

    @Test
    void jobsFromADispatchQueueAreHeldToTheLimitsToo() {
        List<Job> created = createMany(4, "api");
        store.setQueueLimits("api", QueueLimits.none().withMaxRunning(1));
        List<UUID> ids = created.stream().map(Job::id).toList();
        var request = new AcquireRequest("worker-1", Set.of("api"), 10, LEASE);

        assertThat(store.acquire(request, ids)).extracting(Job::id).containsExactly(ids.get(0));
        assertThat(store.acquire(request, ids)).isEmpty();
        assertThat(current(created.get(1))).isReady();
    }

    @Test
    void racingClaimsNeverRunMoreThanTheLimits() throws Exception {
        int maxRunning = 3;
        store.setQueueLimits(
                "api", QueueLimits.none().withMaxRunning(maxRunning).withMaxRunningPerKey(1));
        var batch = new ArrayList<NewJob>();
        for (int i = 0; i < 300; i++) {
            batch.add(jobs.of("t").queue("api").concurrencyKey("key-" + (i % 5)).build());
        }
        store.create(batch);
        // Counted up after a claim commits and down before its completion does, so it never exceeds
        // what the store itself holds as running.
        var running = new AtomicInteger();
        var mostRunning = new AtomicInteger();
        var runningByKey = new ConcurrentHashMap<String, AtomicInteger>();
        var mostPerKey = new AtomicInteger();
        var completed = new AtomicInteger();
        int workers = 8;
        var start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(workers);
        try {
            var futures = new ArrayList<Future<?>>();
            for (int w = 0; w < workers; w++) {
                String workerId = "worker-" + w;
                futures.add(pool.submit(() -> {
                    start.await();
                    while (completed.get() < batch.size()) {
                        List<Job> leased = store.acquire(new AcquireRequest(workerId, Set.of("api"), 2, LEASE));
                        for (Job job : leased) {
                            mostRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
                            AtomicInteger ofKey = runningByKey.computeIfAbsent(
                                    job.concurrencyKey().orElseThrow(), k -> new AtomicInteger());
                            mostPerKey.accumulateAndGet(ofKey.incrementAndGet(), Math::max);
                        }
                        for (Job job : leased) {
                            running.decrementAndGet();
                            runningByKey.get(job.concurrencyKey().orElseThrow()).decrementAndGet();
                            store.complete(job.id(), token(job), Optional.empty());
                            completed.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> future : futures) {
                future.get(JobsTesting.BULK_WORK.toSeconds(), TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(completed).hasValue(batch.size());
        assertThat(mostRunning.get()).as("most jobs running at once").isBetween(1, maxRunning);
        assertThat(mostPerKey).as("most jobs of one key running at once").hasValue(1);
    }
}
