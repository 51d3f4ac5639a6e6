package dev.jobs.testing;

import static dev.jobs.testing.JobAssert.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jobs.core.Job;
import dev.jobs.core.JobError;
import dev.jobs.core.LeaseLostException;
import dev.jobs.core.StoppedWorker;
import dev.jobs.core.WorkerIdTakenException;
import dev.jobs.core.WorkerInfo;
import dev.jobs.core.spi.AcquireRequest;
import dev.jobs.core.spi.DeadWorker;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The {@link JobStore} contract, area by area: the worker registry: workers registered,
 * refreshed, stopped, declared dead once (their jobs taken back), and ids held by their owners.
 * Extend it and make a store as {@link StoreConformance#createStore} says, or extend {@link
 * JobStoreConformanceTest} for every area.
 */
public abstract class RegistryConformance extends StoreConformance {
    @Test
    void workerRegistryAddsRefreshesAndAgesOutWorkers() {
        Instant now = clock.instant();
        store.registerWorker(worker("w1", 0));
        store.registerWorker(worker("w2", 1));
        clock.advance(Duration.ofMinutes(10));
        store.registerWorker(worker("w1", 3));

        assertThat(store.workers()).extracting(WorkerInfo::id).containsExactlyInAnyOrder("w1", "w2");
        assertThat(store.workers()).allSatisfy(w -> assertThat(w.alive()).isTrue());
        assertThat(store.worker("w1"))
                .hasValueSatisfying(w -> assertThat(w.running()).isEqualTo(3));
        assertThat(store.worker("nobody")).isEmpty();
        assertThat(store.removeWorkersSilentSince(clock.instant().minusSeconds(60)))
                .isEqualTo(1);
        assertThat(store.workers()).singleElement().satisfies(w -> {
            assertThat(w.running()).isEqualTo(3);
            assertThat(w.lastHeartbeatAt()).isEqualTo(clock.instant());
            assertThat(w.expiresAt()).isEqualTo(clock.instant().plus(WORKER_LEASE));
            assertThat(w.startedAt()).isEqualTo(now);
        });
        store.removeWorker("w1");
        assertThat(store.workers()).isEmpty();
    }

    @Test
    void aWorkerThatStopsHandsItsJobsBackIsNeverDeclaredDeadAndFreesItsId() {
        store.registerWorker(owned(worker("leaving", 2), "token:a"));
        store.registerWorker(worker("staying", 1));
        Job first = create(jobs.of("t"));
        Job second = create(jobs.of("t"));
        Job other = create(jobs.of("t"));
        acquireAs("leaving", 2);
        acquireAs("staying", 1);

        StoppedWorker stopped = store.stopWorker("leaving").orElseThrow();

        assertThat(stopped.worker().stoppedAt()).contains(clock.instant());
        assertThat(stopped.worker().alive()).isFalse();
        assertThat(stopped.handedBack()).extracting(Job::id).containsExactlyInAnyOrder(first.id(), second.id());
        assertThat(current(first)).as("handed back uncounted").isReady().hasAttempts(0);
        assertThat(current(first).leaseOwner()).isEmpty();
        assertThat(current(other)).isRunning();
        assertThat(store.stopWorker("nobody")).isEmpty();

        clock.advance(WORKER_LEASE.plusSeconds(1));
        assertThat(store.reapDeadWorkers(job -> Optional.empty()))
                .as("a stopped worker is not dead")
                .extracting(dead -> dead.worker().id())
                .containsExactly("staying");
        assertThat(store.worker("leaving"))
                .hasValueSatisfying(w -> assertThat(w.diedAt()).isEmpty());

        store.registerWorker(owned(worker("leaving", 0), "token:b"));
        assertThat(store.worker("leaving")).hasValueSatisfying(w -> {
            assertThat(w.owner()).as("a stopped worker's id is free").isEqualTo("token:b");
            assertThat(w.alive()).isTrue();
            assertThat(w.stoppedAt()).isEmpty();
        });
    }

    private List<Job> acquireAs(String workerId, int max) {
        List<Job> leased = store.acquire(new AcquireRequest(workerId, Set.of("default"), max, LEASE));
        assertThat(leased).hasSize(max);
        return leased;
    }

    @Test
    void aSilentRemoteWorkerRunningNothingLeavesTheRegistryAndOneRunningAJobIsDeclaredDead() {
        store.registerWorker(owned(worker("idle-remote", 0), "token:a"));
        store.registerWorker(owned(worker("busy-remote", 1), "token:a"));
        store.registerWorker(worker("idle-engine", 0));
        create(jobs.of("t"));
        acquireAs("busy-remote", 1);

        clock.advance(WORKER_LEASE.plusSeconds(1));
        List<DeadWorker> dead = store.reapDeadWorkers(job -> Optional.empty());

        assertThat(dead).extracting(d -> d.worker().id()).containsExactlyInAnyOrder("busy-remote", "idle-engine");
        assertThat(store.workers()).extracting(WorkerInfo::id).containsExactlyInAnyOrder("busy-remote", "idle-engine");
        assertThat(store.reapDeadWorkers(job -> Optional.empty())).isEmpty();
    }

    @Test
    void theRegistryIsReadInIdOrderPageByPage() {
        for (int i = 24; i >= 0; i--) {
            store.registerWorker(worker(String.format("w%03d", i), 0));
        }

        List<WorkerInfo> first = store.workers(Optional.empty(), 10);
        List<WorkerInfo> second = store.workers(Optional.of(first.get(9).id()), 10);
        List<WorkerInfo> last = store.workers(Optional.of(second.get(9).id()), 10);

        assertThat(first).extracting(WorkerInfo::id).startsWith("w000", "w001").endsWith("w009");
        assertThat(second).extracting(WorkerInfo::id).startsWith("w010").endsWith("w019");
        assertThat(last).extracting(WorkerInfo::id).containsExactly("w020", "w021", "w022", "w023", "w024");
        assertThat(store.workers(Optional.of("w024"), 10)).isEmpty();
    }

    @Test
    void aWorkerIdBelongsToItsOwnerUntilItIsRemovedEvenOnceDeclaredDead() {
        store.registerWorker(owned(worker("w1", 1), "token:a"));
        create(jobs.of("t"));
        acquireAs("w1", 1);

        assertThatThrownBy(() -> store.registerWorker(owned(worker("w1", 7), "token:b")))
                .isInstanceOf(WorkerIdTakenException.class)
                .hasMessageContaining("'w1' belongs to another owner");
        assertThatThrownBy(() -> store.registerWorker(worker("w1", 7)))
                .as("engines own their ids, not everyone's")
                .isInstanceOf(WorkerIdTakenException.class);
        assertThat(store.workers()).singleElement().satisfies(w -> {
            assertThat(w.owner()).isEqualTo("token:a");
            assertThat(w.running()).as("nothing changed").isEqualTo(1);
        });

        clock.advance(WORKER_LEASE.plusSeconds(1));
        assertThat(store.reapDeadWorkers(job -> Optional.empty())).hasSize(1);
        assertThatThrownBy(() -> store.registerWorker(owned(worker("w1", 0), "token:b")))
                .as("a dead worker's id is still its owner's")
                .isInstanceOf(WorkerIdTakenException.class);
        store.registerWorker(owned(worker("w1", 2), "token:a"));
        assertThat(store.workers())
                .singleElement()
                .satisfies(w -> assertThat(w.alive()).isTrue());

        store.removeWorker("w1");
        store.registerWorker(owned(worker("w1", 0), "token:b"));
        assertThat(store.workers())
                .singleElement()
                .satisfies(w -> assertThat(w.owner()).isEqualTo("token:b"));
    }

    @Test
    void ownersRacingForOneFreeIdEndWithOneOfThemHoldingIt() throws Exception {
        int owners = 8;
        var start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(owners);
        try {
            var results = new ArrayList<Future<Boolean>>();
            for (int i = 0; i < owners; i++) {
                WorkerInfo mine = owned(worker("contested", 0), "token:" + i);
                results.add(pool.submit(() -> {
                    start.await();
                    try {
                        store.registerWorker(mine);
                        return true;
                    } catch (WorkerIdTakenException e) {
                        return false;
                    }
                }));
            }
            start.countDown();
            int held = 0;
            for (Future<Boolean> result : results) {
                held += result.get(JobsTesting.BULK_WORK.toSeconds(), TimeUnit.SECONDS) ? 1 : 0;
            }
            assertThat(held).isEqualTo(1);
            assertThat(store.workers())
                    .singleElement()
                    .satisfies(w -> assertThat(w.owner()).startsWith("token:"));
        } finally {
            pool.shutdownNow();
        }
    }

    private static WorkerInfo owned(WorkerInfo worker, String owner) {
        return new WorkerInfo(
                worker.id(),
                owner,
                worker.host(),
                worker.queues(),
                worker.concurrency(),
                worker.running(),
                worker.startedAt(),
                worker.lastHeartbeatAt(),
                worker.expiresAt());
    }

    @Test
    void silentWorkerIsDeclaredDeadOnceAndItsRunningJobsAreTakenBackBeforeTheirLeasesLapse() {
        store.registerWorker(worker("w-dead", 2));
        store.registerWorker(worker("w-live", 1));
        for (int i = 0; i < 4; i++) {
            create(jobs.of("t"));
        }
        Duration longLease = Duration.ofMinutes(10);
        List<Job> orphans = store.acquire(new AcquireRequest("w-dead", Set.of("default"), 2, longLease));
        Job kept = store.acquire(new AcquireRequest("w-live", Set.of("default"), 1, longLease))
                .get(0);
        clock.advance(WORKER_LEASE.plusSeconds(1));
        store.registerWorker(worker("w-live", 1));

        List<DeadWorker> reaped = store.reapDeadWorkers(job -> Optional.of(clock.instant()));

        assertThat(reaped).singleElement().satisfies(dead -> {
            assertThat(dead.worker().id()).isEqualTo("w-dead");
            assertThat(dead.worker().diedAt()).contains(clock.instant());
            assertThat(dead.reclaimed())
                    .extracting(t -> t.job().id())
                    .containsExactlyInAnyOrderElementsOf(
                            orphans.stream().map(Job::id).toList());
        });
        for (Job orphan : orphans) {
            assertThat(current(orphan))
                    .isRetrying()
                    .hasAttempts(1)
                    .hasLastErrorContaining(JobError.WORKER_DIED)
                    .hasLastErrorContaining("w-dead");
            assertThatThrownBy(() -> store.complete(orphan.id(), token(orphan), Optional.empty()))
                    .isInstanceOf(LeaseLostException.class);
        }
        assertThat(current(kept)).isRunning();
        assertThat(store.reapDeadWorkers(job -> Optional.of(clock.instant()))).isEmpty();
        assertThat(store.workers())
                .filteredOn(w -> w.id().equals("w-dead"))
                .singleElement()
                .satisfies(w -> assertThat(w.alive()).isFalse());
        assertThat(store.workers())
                .filteredOn(WorkerInfo::alive)
                .extracting(WorkerInfo::id)
                .containsExactly("w-live");
    }

    @Test
    void deadWorkerThatReportsAgainIsAliveButDoesNotGetItsJobsBack() {
        store.registerWorker(worker("w1", 1));
        create(jobs.of("t"));
        Job orphan = store.acquire(new AcquireRequest("w1", Set.of("default"), 1, LEASE))
                .get(0);
        clock.advance(WORKER_LEASE.plusSeconds(1));
        store.reapDeadWorkers(job -> Optional.of(clock.instant()));

        store.registerWorker(worker("w1", 1));

        assertThat(store.workers())
                .singleElement()
                .satisfies(w -> assertThat(w.diedAt()).isEmpty());
        assertThatThrownBy(() -> store.heartbeat(orphan.id(), token(orphan), LEASE))
                .isInstanceOf(LeaseLostException.class);
        assertThat(current(orphan)).isRetrying();
    }

    @Test
    void reapingFailsForGoodWhenThePolicyGivesNoRetryCancelsWhenAskedAndCascades() {
        store.registerWorker(worker("w1", 2));
        Job noRetry = create(jobs.of("t"));
        Job cancelAsked = create(jobs.of("t"));
        Job dependent = create(jobs.of("t").dependsOn(noRetry.id()));
        store.acquire(new AcquireRequest("w1", Set.of("default"), 2, LEASE));
        store.cancel(cancelAsked.id());
        clock.advance(WORKER_LEASE.plusSeconds(1));

        List<DeadWorker> reaped = store.reapDeadWorkers(job -> Optional.empty());

        assertThat(reaped)
                .singleElement()
                .satisfies(dead -> assertThat(dead.reclaimed()).hasSize(2));
        assertThat(current(noRetry)).isFailed().hasLastErrorContaining(JobError.WORKER_DIED);
        assertThat(current(cancelAsked)).isCancelled();
        assertThat(current(dependent)).isCancelled();
    }

    @Test
    void reapersRacingDeclareEachDeadWorkerOnceAndTakeEachJobBackOnce() throws Exception {
        int deadWorkers = 40;
        var orphans = new HashSet<UUID>();
        for (int w = 0; w < deadWorkers; w++) {
            store.registerWorker(worker("w" + w, 2));
            create(jobs.of("t"));
            create(jobs.of("t"));
            store.acquire(new AcquireRequest("w" + w, Set.of("default"), 2, LEASE))
                    .forEach(j -> orphans.add(j.id()));
        }
        clock.advance(WORKER_LEASE.plusSeconds(1));
        int reapers = 6;
        var start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(reapers);
        var results = new ArrayList<Future<List<DeadWorker>>>();
        try {
            for (int r = 0; r < reapers; r++) {
                results.add(pool.submit(() -> {
                    start.await();
                    return store.reapDeadWorkers(job -> Optional.of(clock.instant()));
                }));
            }
            start.countDown();
            var declared = new ArrayList<String>();
            var reclaimed = new ArrayList<UUID>();
            for (Future<List<DeadWorker>> result : results) {
                for (DeadWorker dead : result.get(JobsTesting.BULK_WORK.toSeconds(), TimeUnit.SECONDS)) {
                    declared.add(dead.worker().id());
                    dead.reclaimed().forEach(t -> reclaimed.add(t.job().id()));
                }
            }
            assertThat(declared).hasSize(deadWorkers).doesNotHaveDuplicates();
            assertThat(reclaimed).hasSize(orphans.size()).containsExactlyInAnyOrderElementsOf(orphans);
        } finally {
            pool.shutdownNow();
        }
        for (UUID id : orphans) {
            assertThat(store.get(id).orElseThrow()).isRetrying().hasAttempts(1);
        }
    }
}
