package dev.jobs.queue.redis;

import static dev.jobs.testing.JobsTesting.EVENTUALLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jobs.core.DispatchDepth;
import dev.jobs.core.Job;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobEngineBuilder;
import dev.jobs.core.JobError;
import dev.jobs.core.JobSpec;
import dev.jobs.core.JobState;
import dev.jobs.core.LeaseLostException;
import dev.jobs.core.QueueLimits;
import dev.jobs.core.RecurringJob;
import dev.jobs.core.RemoteWorkers;
import dev.jobs.core.Schedule;
import dev.jobs.core.StoreUnavailableException;
import dev.jobs.core.WorkerIdTakenException;
import dev.jobs.core.memory.InMemoryJobStore;
import dev.jobs.core.spi.AcquireRequest;
import dev.jobs.core.spi.JobStore;
import dev.jobs.testing.JobsTesting;
import dev.jobs.testing.NewJobs;
import dev.jobs.testing.VirtualClock;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What the Redis queue does beyond the queue contract: what it keeps in Redis, and how it recovers. */
class RedisJobQueueTest {
    private static final Duration LEASE = Duration.ofSeconds(30);

    private final VirtualClock clock = new VirtualClock();
    private final InMemoryJobStore store = new InMemoryJobStore(clock);
    private final NewJobs jobs = new NewJobs(clock);
    private final String prefix = TestRedis.freshPrefix();
    private final List<AutoCloseable> closeAfter = new ArrayList<>();
    private RedisClient client;
    private StatefulRedisConnection<String, String> connection;
    private RedisCommands<String, String> redis;
    private RedisJobQueue queue;

    @BeforeEach
    void connect() {
        client = RedisClient.create(RedisURI.create(TestRedis.uri()));
        connection = client.connect();
        redis = connection.sync();
        queue = queueOn(store, TestRedis.uri());
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable closeable : closeAfter.reversed()) {
            closeable.close();
        }
        deleteAllKeys();
        connection.close();
        client.shutdown();
    }

    /** Deletes this test's keys, leaving other tests' keys on the shared server alone. */
    private void deleteAllKeys() {
        List<String> keys = redis.keys(prefix + ":*");
        if (!keys.isEmpty()) {
            redis.del(keys.toArray(String[]::new));
        }
    }

    /**
     * A queue whose own loss check is as good as off, so that it never repairs Redis in the middle of
     * a test; {@link #checkingForLoss} builds one that checks.
     */
    private RedisJobQueue queueOn(JobStore jobStore, String uri) {
        return queueOn(jobStore, uri, Duration.ofHours(1));
    }

    /** A queue on {@code uri} whose reconciler checks for lost data every 100 ms. */
    private RedisJobQueue checkingForLoss(String uri) {
        return queueOn(store, uri, Duration.ofMillis(100));
    }

    private RedisJobQueue queueOn(JobStore jobStore, String uri, Duration lossCheckInterval) {
        return track(RedisJobQueue.builder()
                .uri(uri)
                .keyPrefix(prefix)
                .clock(clock)
                .lossCheckInterval(lossCheckInterval)
                .build(jobStore));
    }

    private RedisJobQueue track(RedisJobQueue made) {
        closeAfter.add(made);
        return made;
    }

    private Job createAndPublish() {
        Job job = store.create(List.of(jobs.of("t").build())).get(0);
        queue.publish(List.of(job));
        return job;
    }

    /** This test's store, except that a claim among a dispatch queue's ids answers {@code claim}. */
    private JobStore storeClaimingByIds(Supplier<List<Job>> claim) {
        return (JobStore) Proxy.newProxyInstance(
                JobStore.class.getClassLoader(), new Class<?>[] {JobStore.class}, (proxy, method, args) -> {
                    if (method.getName().equals("acquire") && args.length == 2 && args[1] instanceof Collection) {
                        return claim.get();
                    }
                    return method.invoke(store, args);
                });
    }

    private List<Job> acquire(RedisJobQueue from, int max) {
        return from.acquire(new AcquireRequest("worker-1", Set.of("default"), max, LEASE));
    }

    @Test
    void everyKeyOfAQueueCarriesTheQueueAsItsHashTag() {
        createAndPublish();
        createAndPublish();
        store.create(List.of(jobs.of("t").runAt(clock.instant().plusSeconds(60)).build()))
                .forEach(job -> queue.publish(List.of(job)));
        acquire(queue, 1);
        store.setQueuePaused("default", true);
        queue.queuePaused("default", true);
        queue.reconcile();

        List<String> keys = redis.keys(prefix + ":*");
        assertThat(keys)
                .contains(
                        prefix + ":{default}:ready",
                        prefix + ":{default}:delayed",
                        prefix + ":{default}:inflight",
                        prefix + ":{default}:priorities",
                        prefix + ":{default}:paused",
                        prefix + ":{default}:reconciled");
        assertThat(keys).allSatisfy(key -> assertThat(key).startsWith(prefix + ":{default}:"));
    }

    @Test
    void depthCountsReadyDelayedAndInFlightJobs() {
        createAndPublish();
        createAndPublish();
        queue.publish(store.create(
                List.of(jobs.of("t").runAt(clock.instant().plusSeconds(60)).build())));
        acquire(queue, 1);

        assertThat(queue.depth("default")).contains(new DispatchDepth(1, 1, 1, false));
        queue.queuePaused("default", true);
        assertThat(queue.depth("default")).contains(new DispatchDepth(1, 1, 1, true));
    }

    @Test
    void aRecurringJobsOccurrencesAreDispatchedThroughRedis() {
        var ran = new AtomicInteger();
        JobEngine engine = JobEngine.builder()
                .store(store)
                .clock(clock)
                .queue(observed -> queueOn(observed, TestRedis.uri()))
                .register("digest", ctx -> {
                    ran.incrementAndGet();
                    return null;
                })
                .build();
        closeAfter.add(engine);
        engine.putRecurring(RecurringJob.of("digest", Schedule.every(Duration.ofMinutes(10)), JobSpec.of("digest")));

        clock.advanceTo(Schedule.every(Duration.ofMinutes(10))
                .nextAfter(clock.instant())
                .orElseThrow());
        JobsTesting.runMaintenance(engine);

        assertThat(engine.dispatchDepth("default")).contains(new DispatchDepth(1, 0, 0, false));
        assertThat(JobsTesting.drain(engine)).isEqualTo(1);
        assertThat(ran).hasValue(1);
    }

    /** An engine dispatching through Redis whose only workers are remote ones; closed after the test. */
    private JobEngine engineWithoutWorkers() {
        JobEngine engine = JobEngine.builder()
                .store(store)
                .clock(clock)
                .queue(observed -> queueOn(observed, TestRedis.uri()))
                .build();
        closeAfter.add(engine);
        return engine;
    }

    @Test
    void aRemoteWorkerPastItsJobsTimeoutIsToldToStopThenItsAttemptEndsAsATimeout() throws Exception {
        JobEngine engine = engineWithoutWorkers();
        RemoteWorkers remote = engine.remoteWorkers();
        engine.enqueue(JobSpec.of("slow").withTimeout(Duration.ofSeconds(20)));
        Job leased = remote.acquire("py-1", "h", Set.of("default"), 1, LEASE, Duration.ZERO)
                .get(0);
        UUID token = leased.leaseToken().orElseThrow();

        clock.advance(Duration.ofSeconds(20));
        assertThat(remote.heartbeat(leased.id(), token, LEASE, OptionalInt.empty(), Optional.empty())
                        .cancelReason())
                .hasValueSatisfying(reason -> assertThat(reason).contains("ran past its timeout of PT20S"));
        clock.advance(JobEngineBuilder.DEFAULT_CANCELLATION_GRACE);
        assertThatThrownBy(() -> remote.complete(leased.id(), token, Optional.empty()))
                .isInstanceOf(LeaseLostException.class)
                .hasMessageContaining("recorded as a Timeout failure");

        Job timedOut = store.get(leased.id()).orElseThrow();
        assertThat(timedOut.state()).isEqualTo(JobState.RETRYING);
        assertThat(timedOut.lastError().orElseThrow().type()).isEqualTo(JobError.TIMEOUT);
    }

    @Test
    void anAcquireUnderAnotherOwnersWorkerIdLeasesNothingThroughRedisEither() throws Exception {
        JobEngine engine = engineWithoutWorkers();
        RemoteWorkers remote = engine.remoteWorkers();
        engine.enqueueAll(List.of(JobSpec.of("t"), JobSpec.of("t")));
        Job mine = remote.acquire("py-1", "token:a", "h", Set.of("default"), 1, LEASE, Duration.ZERO)
                .get(0);

        assertThatThrownBy(() -> remote.acquire("py-1", "token:b", "h", Set.of("default"), 1, LEASE, Duration.ZERO))
                .isInstanceOf(WorkerIdTakenException.class);
        assertThatThrownBy(
                        () -> remote.complete(mine.id(), mine.leaseToken().orElseThrow(), "token:b", Optional.empty()))
                .isInstanceOf(WorkerIdTakenException.class);

        assertThat(engine.dispatchDepth("default"))
                .hasValueSatisfying(depth -> assertThat(depth.ready())
                        .as("the other job is still there to claim")
                        .isEqualTo(1));
        assertThat(remote.acquire("py-1", "token:a", "h", Set.of("default"), 1, LEASE, Duration.ZERO))
                .hasSize(1);
        assertThat(remote.complete(mine.id(), mine.leaseToken().orElseThrow(), "token:a", Optional.empty())
                        .state())
                .isEqualTo(JobState.SUCCEEDED);
    }

    @Test
    void aLimitedQueueIsLeasedWithinItsLimitsAndLosesNoJobToRefusals() {
        var created = new ArrayList<Job>();
        for (int i = 0; i < 5; i++) {
            created.add(createAndPublish());
        }
        store.setQueueLimits("default", QueueLimits.none().withMaxRunning(2));
        queue.queueLimited("default", QueueLimits.none().withMaxRunning(2));

        List<Job> first = acquire(queue, 10);
        assertThat(first).hasSize(2);
        assertThat(acquire(queue, 10)).isEmpty();
        for (Job job : first) {
            queue.publish(List.of(store.complete(job.id(), job.leaseToken().orElseThrow(), Optional.empty())
                    .job()));
        }

        assertThat(acquire(queue, 10)).hasSize(2);
        assertThat(store.counts().get(0).byState())
                .containsEntry(JobState.READY, 1L)
                .containsEntry(JobState.RUNNING, 2L)
                .containsEntry(JobState.SUCCEEDED, 2L);
    }

    @Test
    void aJobEndingOnALimitedQueueWakesAnotherInstancesWaitingWorker() throws Exception {
        QueueLimits limits = QueueLimits.none().withMaxRunning(1);
        store.setQueueLimits("default", limits);
        createAndPublish();
        createAndPublish();
        Job running = acquire(queue, 1).get(0);
        RedisJobQueue other = queueOn(store, TestRedis.uri());
        other.queueLimited("default", limits);
        var woke = parkedWorker(other);
        assertThat(woke)
                .as("the queue runs all it may, so there is nothing to wake for")
                .isNotDone();

        queue.publish(List.of(store.complete(running.id(), running.leaseToken().orElseThrow(), Optional.empty())
                .job()));

        woke.get(EVENTUALLY.toSeconds(), TimeUnit.SECONDS);
        assertThat(acquire(other, 1)).hasSize(1);
    }

    @Test
    void anIdTheStoreRefusesIsDroppedAndNothingRuns() {
        Job job = createAndPublish();
        store.cancel(job.id()); // behind the queue's back, as another instance without events would

        assertThat(acquire(queue, 10)).isEmpty();
        assertThat(queue.depth("default")).contains(new DispatchDepth(0, 0, 0, false));
        assertThat(redis.hexists(prefix + ":{default}:priorities", job.id().toString()))
                .isFalse();
    }

    @Test
    void theIdOfAJobRunningPastTheClaimHoldComesBackOnceAndIsDropped() {
        Job job = createAndPublish();
        assertThat(acquire(queue, 1)).extracting(Job::id).containsExactly(job.id());

        clock.advance(RedisJobQueue.CLAIM_HOLD);
        assertThat(acquire(queue, 1)).as("still running under its lease").isEmpty();
        assertThat(queue.depth("default")).contains(new DispatchDepth(0, 0, 0, false));
        assertThat(store.get(job.id()).orElseThrow().state()).isEqualTo(JobState.RUNNING);
    }

    @Test
    void anIdWhoseRowWasLockedStaysInFlightAndComesBackAfterASecondNotAClaimHold() {
        Job job = createAndPublish();
        // The store skips the row as SKIP LOCKED does while another transaction holds it: the job
        // is still ready, only out of reach for now.
        RedisJobQueue skipped = queueOn(storeClaimingByIds(() -> List.of()), TestRedis.uri());

        assertThat(acquire(skipped, 1)).isEmpty();
        assertThat(queue.depth("default")).contains(new DispatchDepth(0, 0, 1, false));

        clock.advance(RedisJobQueue.LOCKED_RECHECK.minusMillis(1));
        assertThat(acquire(queue, 1)).as("still in flight").isEmpty();
        clock.advance(Duration.ofMillis(1));
        assertThat(acquire(queue, 1)).extracting(Job::id).containsExactly(job.id());
    }

    @Test
    void aLapsedClaimGoesBackToItsPlaceNotAheadOfWorkReadyBeforeIt() {
        Job claimedAndLost =
                store.create(List.of(jobs.of("t").priority(5).build())).get(0);
        queue.publish(List.of(claimedAndLost));
        RedisJobQueue dying = queueOn(
                storeClaimingByIds(() -> {
                    throw new IllegalStateException("the claimer's process died here");
                }),
                TestRedis.uri());
        assertThatThrownBy(() -> acquire(dying, 1)).hasMessageContaining("died here");
        // Ahead of it in the claim order: more urgent work that came while it was claimed.
        Job urgent = store.create(List.of(jobs.of("t").priority(0).build())).get(0);
        queue.publish(List.of(urgent));

        clock.advance(RedisJobQueue.CLAIM_HOLD);

        assertThat(acquire(queue, 1)).extracting(Job::id).containsExactly(urgent.id());
        assertThat(acquire(queue, 1)).extracting(Job::id).containsExactly(claimedAndLost.id());
    }

    @Test
    void aRetryWhosePublishDiedWithItsWorkerComesBackAtTheRetrysPlaceNotTheFirstRuns() {
        Job retried = createAndPublish();
        clock.advance(Duration.ofMillis(5));
        Job between = createAndPublish();
        Job run = acquire(queue, 1).get(0);
        assertThat(run.id()).isEqualTo(retried.id());
        clock.advance(Duration.ofMillis(5));
        // The worker records the failure in the store, the retry due at once, and dies before it
        // publishes it: Redis still has the id in flight under the first run's claim.
        store.fail(
                run.id(), run.leaseToken().orElseThrow(), JobError.of("Boom", "planned"), Optional.of(clock.instant()));

        clock.advance(RedisJobQueue.CLAIM_HOLD);

        assertThat(acquire(queue, 2))
                .as("the job created before the retry was due goes first, as the store would claim them")
                .extracting(Job::id)
                .containsExactly(between.id(), retried.id());
    }

    @Test
    void aPublishThatFailedIsMadeGoodAsSoonAsRedisAnswersThoughItLostNothing() {
        // Every write reaches the disk before Redis answers, so a kill -9 loses nothing: Redis comes
        // back with its data and the loss check's marker, and only the failed publish says what is
        // missing.
        try (var server = RedisServerProcess.start(List.of("--appendonly", "yes", "--appendfsync", "always"))) {
            RedisJobQueue checking = checkingForLoss(server.uri());
            checking.publish(List.of(store.create(List.of(jobs.of("t").build())).get(0)));
            assertThat(checking.depth("default").orElseThrow().ready()).isEqualTo(1);
            server.stop();

            Job missed = store.create(List.of(jobs.of("t").build())).get(0);
            checking.publish(List.of(missed)); // fails: Redis is down
            server.startProcess();
            awaitReconnected(checking);

            long deadline = System.nanoTime() + EVENTUALLY.toNanos(); // the loss check runs every 100 ms
            while (checking.depth("default").orElseThrow().ready() < 2) {
                assertThat(System.nanoTime())
                        .as("the job whose publish failed, published again")
                        .isLessThan(deadline);
                RedisServerProcess.sleep(Duration.ofMillis(50));
            }
            assertThat(acquire(checking, 10)).hasSize(2).extracting(Job::id).contains(missed.id());
        }
    }

    @Test
    void aClaimWhoseClaimerDiedBeforeTheStoreSaidYesGoesBackWhenItLapses() {
        Job job = createAndPublish();
        RedisJobQueue dying = queueOn(
                storeClaimingByIds(() -> {
                    throw new IllegalStateException("the claimer's process died here");
                }),
                TestRedis.uri());

        assertThatThrownBy(() -> acquire(dying, 1)).hasMessageContaining("died here");
        assertThat(queue.depth("default")).contains(new DispatchDepth(0, 0, 1, false));
        assertThat(acquire(queue, 1)).as("still claimed").isEmpty();

        clock.advance(RedisJobQueue.CLAIM_HOLD);
        assertThat(acquire(queue, 1)).extracting(Job::id).containsExactly(job.id());
    }

    @Test
    void reconcilingRepublishesWhatRedisLostAndRestoresThePausedFlag() {
        List<Job> created = List.of(createAndPublish(), createAndPublish(), createAndPublish());
        store.setQueuePaused("default", true);
        queue.queuePaused("default", true);
        deleteAllKeys(); // as FLUSHALL would

        assertThat(queue.reconcile()).isEqualTo(3);
        assertThat(queue.depth("default")).contains(new DispatchDepth(3, 0, 0, true));
        assertThat(queue.reconcile()).as("a second pass finds nothing missing").isZero();

        store.setQueuePaused("default", false);
        queue.queuePaused("default", false);
        assertThat(acquire(queue, 10))
                .extracting(Job::id)
                .containsExactlyInAnyOrderElementsOf(
                        created.stream().map(Job::id).toList());
    }

    @Test
    void aPassPublishesALostBacklogOldestFirstSoThatItIsHandedOutInTurn() {
        // Claim order differs from creation order: the newest 600 jobs have the highest priority.
        List<Job> created = new ArrayList<>();
        for (int i = 0; i < 1_500; i++) {
            created.add(
                    store.create(List.of(jobs.of("t").priority(i < 900 ? 5 : 0).build()))
                            .get(0));
        }
        List<String> claimOrder = created.stream()
                .sorted(Comparator.comparingInt(Job::priority)) // stable: creation order within one
                .map(job -> job.id().toString())
                .toList();
        // What Redis holds when the pass asks the store for its second page: the first, published.
        var heldAtSecondPage = new CompletableFuture<List<String>>();
        String ready = prefix + ":{default}:ready";
        JobStore watched = (JobStore) Proxy.newProxyInstance(
                JobStore.class.getClassLoader(), new Class<?>[] {JobStore.class}, (proxy, method, args) -> {
                    if (method.getName().equals("claimOrder") && ((Optional<?>) args[1]).isPresent()) {
                        heldAtSecondPage.complete(redis.zrange(ready, 0, -1));
                    }
                    return method.invoke(store, args);
                });

        queueOn(watched, TestRedis.uri()).reconcile();

        // Other passes (each queue's own, at its start) may have published more meanwhile; in
        // claim order too, so what Redis held was the head of it, at least a page.
        List<String> held = heldAtSecondPage.getNow(List.of());
        assertThat(held).as("ids held when the pass read its second page").hasSizeGreaterThanOrEqualTo(Reconciler.PAGE);
        assertThat(held)
                .as("the ids published first are the head of the claim order")
                .isEqualTo(claimOrder.subList(0, held.size()));
        assertThat(redis.zrange(ready, 0, -1))
                .as("Redis's order once the pass is done")
                .isEqualTo(claimOrder);
    }

    @Test
    void theReconcilerNoticesOnItsOwnThatRedisLostItsData() throws Exception {
        RedisJobQueue watching = checkingForLoss(TestRedis.uri());
        createAndPublish();
        watching.reconcile(); // sets the marker the loss check looks for
        deleteAllKeys();

        long deadline = System.nanoTime() + EVENTUALLY.toNanos(); // the loss check runs every 100 ms
        while (watching.depth("default").orElseThrow().ready() == 0) {
            assertThat(System.nanoTime())
                    .as("republished within %s", EVENTUALLY)
                    .isLessThan(deadline);
            Thread.sleep(20); // the loss check runs on its own thread
        }
        assertThat(acquire(watching, 1)).hasSize(1);
    }

    @Test
    void aQueueFirstPublishedToAfterTheLastPassIsWatchedForLossToo() throws Exception {
        // Started on an empty store: its first pass marks no queue, and the next is an hour away.
        RedisJobQueue watching = track(RedisJobQueue.builder()
                .uri(TestRedis.uri())
                .keyPrefix(prefix)
                .clock(clock)
                .reconcileInterval(Duration.ofHours(1))
                .lossCheckInterval(Duration.ofMillis(100))
                .build(store));
        Job job = store.create(List.of(jobs.of("t").build())).get(0);
        watching.publish(List.of(job));

        String marker = watching.keys("default").reconciled();
        long deadline = System.nanoTime() + EVENTUALLY.toNanos(); // the loss check runs every 100 ms
        while (redis.exists(marker) == 0) {
            assertThat(System.nanoTime())
                    .as("the new queue marked within %s", EVENTUALLY)
                    .isLessThan(deadline);
            Thread.sleep(20);
        }
        deleteAllKeys();
        while (watching.depth("default").orElseThrow().ready() == 0) {
            assertThat(System.nanoTime())
                    .as("republished within %s", EVENTUALLY)
                    .isLessThan(deadline);
            Thread.sleep(20); // the loss check runs on its own thread
        }
        assertThat(acquire(watching, 1)).extracting(Job::id).containsExactly(job.id());
    }

    /**
     * A worker of {@code other} waiting for work on {@code default}, given time to look, find nothing
     * to take and park, so that what wakes it next reaches it as a pub/sub message; had it not parked
     * yet, its look would find the work, also correct.
     */
    private static CompletableFuture<Void> parkedWorker(RedisJobQueue other) throws InterruptedException {
        var woke = CompletableFuture.runAsync(() -> {
            try {
                other.awaitWork(Set.of("default"), Duration.ofMinutes(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Thread.sleep(300);
        return woke;
    }

    @Test
    void aWorkerOfAnotherInstanceWakesOnAPublish() throws Exception {
        RedisJobQueue other = queueOn(store, TestRedis.uri());
        var woke = parkedWorker(other);
        assertThat(woke).isNotDone();

        createAndPublish();

        woke.get(EVENTUALLY.toSeconds(), TimeUnit.SECONDS);
        assertThat(acquire(other, 1)).hasSize(1);
    }

    @Test
    void whileRedisIsDownWorkersAcquireFromTheStoreAndRedisCatchesUpAfter() {
        try (var server = RedisServerProcess.start()) {
            RedisJobQueue onOwnServer = queueOn(store, server.uri());
            Job before = store.create(List.of(jobs.of("t").build())).get(0);
            onOwnServer.publish(List.of(before));
            server.stop();

            assertThatThrownBy(onOwnServer::ping)
                    .isInstanceOf(StoreUnavailableException.class)
                    .hasMessageContaining("Redis does not answer");
            Job during = store.create(List.of(jobs.of("t").build())).get(0);
            onOwnServer.publish(List.of(during)); // lost: Redis is down
            assertThat(acquire(onOwnServer, 1)).extracting(Job::id).containsExactly(before.id());

            server.startProcess(); // empty again
            awaitReconnected(onOwnServer);
            onOwnServer.reconcile(); // the loss check may get there first; either way it is back
            assertThat(acquire(onOwnServer, 10)).extracting(Job::id).containsExactly(during.id());
        }
    }

    /**
     * Lettuce waits up to thirty seconds between attempts to reconnect, doubling from a millisecond
     * (its default delay); twice that, so that only a queue that never reconnects fails the wait.
     */
    private static final Duration RECONNECTED_WITHIN = Duration.ofSeconds(60);

    private static void awaitReconnected(RedisJobQueue queue) {
        long deadline = System.nanoTime() + RECONNECTED_WITHIN.toNanos();
        while (true) {
            try {
                queue.ping();
                return;
            } catch (StoreUnavailableException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                RedisServerProcess.sleep(Duration.ofMillis(50));
            }
        }
    }

    @Test
    void builderSaysWhatIsMissingOrWrong() {
        assertThatThrownBy(() -> RedisJobQueue.builder().build(store))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("uri(...), cluster(...) or client(...)");
        assertThatThrownBy(() -> RedisJobQueue.builder().keyPrefix("has space"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("keyPrefix");
        assertThatThrownBy(() -> RedisJobQueue.builder()
                        .uri("redis://127.0.0.1:" + RedisServerProcess.freePort())
                        .build(store))
                .isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("cannot connect to Redis");
    }
}
