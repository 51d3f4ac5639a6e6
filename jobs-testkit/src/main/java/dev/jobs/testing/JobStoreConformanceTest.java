package dev.jobs.testing;

import static dev.jobs.testing.JobAssert.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jobs.core.Attempt;
import dev.jobs.core.DependencyFailurePolicy;
import dev.jobs.core.FinishedInMinute;
import dev.jobs.core.IdempotencyKeyReusedException;
import dev.jobs.core.InvalidTransitionException;
import dev.jobs.core.Job;
import dev.jobs.core.JobError;
import dev.jobs.core.JobNotFoundException;
import dev.jobs.core.JobPage;
import dev.jobs.core.JobQuery;
import dev.jobs.core.JobState;
import dev.jobs.core.JobValidationException;
import dev.jobs.core.LeaseLostException;
import dev.jobs.core.PurgeRequest;
import dev.jobs.core.QueueCounts;
import dev.jobs.core.QueueLimits;
import dev.jobs.core.QueueStats;
import dev.jobs.core.WorkerIdTakenException;
import dev.jobs.core.WorkerInfo;
import dev.jobs.core.spi.AcquireRequest;
import dev.jobs.core.spi.ClaimPlace;
import dev.jobs.core.spi.Completion;
import dev.jobs.core.spi.CompletionResult;
import dev.jobs.core.spi.DeadWorker;
import dev.jobs.core.spi.HeartbeatResult;
import dev.jobs.core.spi.JobStore;
import dev.jobs.core.spi.NewJob;
import dev.jobs.core.spi.RecurringRecord;
import dev.jobs.core.spi.StoppedWorker;
import dev.jobs.core.spi.Transition;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link JobStore} must keep. A store's test class extends this and says how to
 * make a fresh, empty store on the given clock; every test here then runs against it.
 *
 * <p>The store must read time from the clock it is given: the suite moves a {@link VirtualClock}
 * to expire leases and reach {@code runAt}s.
 */
public abstract class JobStoreConformanceTest {
    protected static final Duration LEASE = Duration.ofSeconds(30);

    /** How long the workers these tests register may go silent before they count as dead. */
    protected static final Duration WORKER_LEASE = Duration.ofSeconds(40);

    private static final ObjectMapper MAPPER = new ObjectMapper();

    protected VirtualClock clock;
    protected JobStore store;
    protected NewJobs jobs;

    /** A new store holding no jobs, paused queues or workers, reading time from {@code clock}. */
    protected abstract JobStore createStore(Clock clock);

    @BeforeEach
    void createFreshStore() {
        clock = new VirtualClock();
        store = createStore(clock);
        jobs = new NewJobs(clock);
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    // ---- helpers ----

    protected Job create(NewJobs.Draft draft) {
        return store.create(List.of(draft.build())).get(0);
    }

    protected List<Job> acquire(int max, String... queues) {
        Set<String> names = queues.length == 0 ? Set.of("default") : Set.of(queues);
        return store.acquire(new AcquireRequest("worker-1", names, max, LEASE));
    }

    protected Job acquireOne() {
        List<Job> acquired = acquire(1);
        assertThat(acquired).as("acquired jobs").hasSize(1);
        return acquired.get(0);
    }

    protected Job current(Job job) {
        return store.get(job.id()).orElseThrow();
    }

    protected static UUID token(Job running) {
        return running.leaseToken().orElseThrow();
    }

    /** The running job as a worker holding a different (stale or forged) lease would see it. */
    protected static Job withLeaseToken(Job running, UUID leaseToken) {
        return running.toBuilder()
                .lease(
                        running.leaseOwner().orElseThrow(),
                        leaseToken,
                        running.leaseExpiresAt().orElseThrow())
                .build();
    }

    // ---- creation ----

    @Test
    void createdJobWithoutDependenciesIsReadyWithItsFields() {
        Job job = create(jobs.of("email.send")
                .queue("mail")
                .priority(7)
                .payload("{\"to\":\"a@example.com\"}")
                .maxAttempts(4)
                .timeout(Duration.ofSeconds(9))
                .metadata(Map.of("tenant", "t1")));

        assertThat(job).isReady().hasAttempts(0);
        Job stored = current(job);
        assertThat(stored.queue()).isEqualTo("mail");
        assertThat(stored.type()).isEqualTo("email.send");
        assertThat(stored.priority()).isEqualTo(7);
        assertThat(stored.payload().get("to").asText()).isEqualTo("a@example.com");
        assertThat(stored.maxAttempts()).isEqualTo(4);
        assertThat(stored.timeout()).contains(Duration.ofSeconds(9));
        assertThat(stored.metadata()).containsEntry("tenant", "t1");
        assertThat(stored.createdAt()).isEqualTo(clock.instant());
        assertThat(stored.leaseToken()).isEmpty();
    }

    @Test
    void jobWithFutureRunAtIsScheduledAndOnlyAcquiredOnceDue() {
        Job job = create(jobs.of("later").runAt(clock.instant().plusSeconds(60)));

        assertThat(job).isScheduled();
        assertThat(acquire(10)).isEmpty();
        assertThat(store.earliestRunAt(Set.of("default")))
                .contains(clock.instant().plusSeconds(60));

        clock.advance(Duration.ofSeconds(60));
        assertThat(acquire(10)).extracting(Job::id).containsExactly(job.id());
    }

    @Test
    void unknownDependencyRejectsTheWholeBatchAndStoresNothing() {
        NewJob fine = jobs.of("fine").build();
        NewJob broken = jobs.of("broken").dependsOn(UUID.randomUUID()).build();

        assertThatThrownBy(() -> store.create(List.of(fine, broken)))
                .isInstanceOfSatisfying(
                        JobValidationException.class,
                        e -> assertThat(e.errors())
                                .extracting(JobValidationException.FieldError::field)
                                .containsExactly("[1].dependsOn"));
        assertThat(store.get(fine.id())).isEmpty();
        assertThat(store.list(JobQuery.all()).jobs()).isEmpty();
    }

    // ---- acquisition ----

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

    // ---- outcomes and fencing ----

    @Test
    void completeRecordsTheResultAndFinishesTheJob() throws Exception {
        create(jobs.of("t"));
        Job running = acquireOne();
        clock.advance(Duration.ofSeconds(2));

        Transition done = store.complete(running.id(), token(running), Optional.of(MAPPER.readTree("{\"ok\":true}")));

        assertThat(done.job()).isSucceeded().hasResultJson("{\"ok\":true}").hasAttempts(1);
        assertThat(done.job().finishedAt()).contains(clock.instant());
        assertThat(done.job().leaseToken()).isEmpty();
        assertThat(current(running)).isSucceeded();
    }

    /** Every kind of JSON value, including a string that reads like JSON and JSON's own null. */
    private static final List<String> EVERY_JSON_VALUE = List.of(
            "\"hello\"",
            "\"{}\"",
            "\"\"",
            "42",
            "-1.5",
            "[1,\"two\",null]",
            "true",
            "false",
            "null",
            "{}",
            "{\"nested\":{\"text\":\"a \\\"quoted\\\" word\"}}");

    @Test
    void anyJsonValueRoundTripsAsPayloadAndAsResult() throws Exception {
        List<NewJob> batch = new ArrayList<>();
        for (String json : EVERY_JSON_VALUE) {
            batch.add(jobs.of("t").payload(json).build());
        }
        store.create(batch);

        for (Job listed : store.list(JobQuery.all()).jobs()) {
            assertThat(EVERY_JSON_VALUE).as("a listed payload").contains(MAPPER.writeValueAsString(listed.payload()));
        }
        List<Job> running = acquire(EVERY_JSON_VALUE.size());
        assertThat(running).as("every job, whatever its payload, is claimed").hasSize(EVERY_JSON_VALUE.size());
        List<Completion> completions = new ArrayList<>();
        for (Job job : running) {
            String payload = MAPPER.writeValueAsString(current(job).payload());
            assertThat(EVERY_JSON_VALUE).as("a stored payload").contains(payload);
            // The result echoes the payload, so each kind of value is also written as a result.
            completions.add(new Completion(job, Optional.of(MAPPER.readTree(payload))));
        }
        Job single = running.get(0);
        store.complete(single.id(), token(single), completions.get(0).result());
        store.completeAll(completions.subList(1, completions.size()));

        for (int i = 0; i < running.size(); i++) {
            Job done = current(running.get(i));
            String sent = MAPPER.writeValueAsString(completions.get(i).result().orElseThrow());
            assertThat(done).isSucceeded().hasResultJson(sent);
            assertThat(MAPPER.writeValueAsString(done.payload()))
                    .as("payload after completion")
                    .isEqualTo(sent);
        }
    }

    @Test
    void completeAllRecordsEachCompletionAndRefusesOnlyStaleOnes() {
        Job parent = create(jobs.of("parent"));
        Job child = create(jobs.of("child").dependsOn(parent.id()));
        create(jobs.of("other").uniqueKey("only-one"));
        create(jobs.of("third"));
        List<Job> running = acquire(10);
        assertThat(running).hasSize(3);
        Job first = running.get(0);
        Job second = running.get(1);
        Job third = running.get(2);

        List<CompletionResult> results = store.completeAll(List.of(
                new Completion(first, Optional.empty()),
                new Completion(second, Optional.empty()),
                new Completion(withLeaseToken(third, UUID.randomUUID()), Optional.empty()),
                new Completion(first, Optional.empty())));

        assertThat(results).hasSize(4);
        assertThat(results.get(0).transition()).isPresent();
        assertThat(results.get(1).transition()).isPresent();
        assertThat(results.get(2).refused()).as("a stale token").isPresent();
        assertThat(results.get(3).refused())
                .as("the same job twice in one batch")
                .isPresent();
        assertThat(current(first)).isSucceeded();
        assertThat(current(second)).isSucceeded();
        assertThat(current(third)).isRunning();
        Transition parentDone = results.stream()
                .flatMap(r -> r.transition().stream())
                .filter(t -> t.job().id().equals(parent.id()))
                .findFirst()
                .orElseThrow();
        assertThat(parentDone.dependents()).extracting(Job::id).containsExactly(child.id());
        assertThat(current(child)).isReady();
        assertThat(create(jobs.of("other").uniqueKey("only-one")).id())
                .as("a finished job's unique key is free again")
                .isNotIn(running.stream().map(Job::id).toList());
    }

    @Test
    void staleLeaseTokenIsRefusedAndChangesNothing() {
        create(jobs.of("t"));
        Job running = acquireOne();
        UUID stale = UUID.randomUUID();

        assertThatThrownBy(() -> store.complete(running.id(), stale, Optional.empty()))
                .isInstanceOf(LeaseLostException.class);
        assertThatThrownBy(() -> store.fail(running.id(), stale, JobError.of("X", "x"), Optional.empty()))
                .isInstanceOf(LeaseLostException.class);
        assertThatThrownBy(() -> store.heartbeat(running.id(), stale, LEASE)).isInstanceOf(LeaseLostException.class);
        assertThatThrownBy(() -> store.reportProgress(running.id(), stale, 5, Optional.empty()))
                .isInstanceOf(LeaseLostException.class);
        assertThatThrownBy(() -> store.snooze(running.id(), stale, clock.instant()))
                .isInstanceOf(LeaseLostException.class);
        assertThatThrownBy(() -> store.release(running.id(), stale)).isInstanceOf(LeaseLostException.class);

        assertThat(current(running)).isRunning().hasAttempts(1);
        assertThat(current(running).leaseToken()).contains(token(running));
    }

    @Test
    void reclaimedLeaseFencesOutTheOldWorker() {
        create(jobs.of("t"));
        Job first = acquireOne();
        clock.advance(LEASE.plusSeconds(1));

        List<Transition> reclaimed = store.reclaimExpiredLeases(10, job -> Optional.of(clock.instant()));
        Job second = acquireOne();

        assertThat(reclaimed).extracting(t -> t.job().state()).containsExactly(JobState.RETRYING);
        assertThat(reclaimed.get(0).job()).hasLastErrorContaining(JobError.LEASE_EXPIRED);
        assertThat(second).hasAttempts(2);
        assertThat(token(second)).isNotEqualTo(token(first));
        assertThatThrownBy(() -> store.complete(first.id(), token(first), Optional.empty()))
                .isInstanceOf(LeaseLostException.class);
        assertThat(current(second)).isRunning();
    }

    @Test
    void reclaimFailsForGoodWhenThePolicyGivesNoRetryAndCancelsWhenCancellationWasAsked() {
        create(jobs.of("t"));
        create(jobs.of("t"));
        Job noRetry = acquireOne();
        Job cancelAsked = acquireOne();
        store.cancel(cancelAsked.id());
        clock.advance(LEASE.plusSeconds(1));

        store.reclaimExpiredLeases(10, job -> Optional.empty());

        assertThat(current(noRetry)).isFailed().hasLastErrorContaining(JobError.LEASE_EXPIRED);
        assertThat(current(cancelAsked)).isCancelled();
    }

    @Test
    void leaseStillValidIsNotReclaimed() {
        create(jobs.of("t"));
        Job running = acquireOne();
        clock.advance(LEASE.minusSeconds(1));

        assertThat(store.reclaimExpiredLeases(10, job -> Optional.of(clock.instant())))
                .isEmpty();
        assertThat(current(running)).isRunning();
    }

    @Test
    void failWithRetryAtRetriesWhenDue() {
        create(jobs.of("t"));
        Job running = acquireOne();
        Instant retryAt = clock.instant().plusSeconds(10);

        Transition failed =
                store.fail(running.id(), token(running), JobError.of("Boom", "it broke"), Optional.of(retryAt));

        assertThat(failed.job()).isRetrying().hasLastErrorContaining("it broke");
        assertThat(failed.job().runAt()).isEqualTo(retryAt);
        assertThat(acquire(1)).isEmpty();
        clock.advance(Duration.ofSeconds(10));
        assertThat(acquireOne()).hasAttempts(2);
    }

    @Test
    void failWithoutRetryFailsForGood() {
        create(jobs.of("t"));
        Job running = acquireOne();

        Transition failed = store.fail(running.id(), token(running), JobError.of("Boom", "final"), Optional.empty());

        assertThat(failed.job()).isFailed().hasLastErrorContaining("final");
        assertThat(failed.job().finishedAt()).isPresent();
        clock.advance(Duration.ofHours(1));
        assertThat(acquire(1)).isEmpty();
    }

    @Test
    void heartbeatExtendsTheLeaseAndReportsACancellationRequest() {
        create(jobs.of("t"));
        Job running = acquireOne();
        clock.advance(Duration.ofSeconds(20));

        HeartbeatResult beat = store.heartbeat(running.id(), token(running), LEASE);
        assertThat(beat.leaseExpiresAt()).isEqualTo(clock.instant().plus(LEASE));
        assertThat(beat.cancelRequested()).isFalse();

        clock.advance(Duration.ofSeconds(20));
        assertThat(store.reclaimExpiredLeases(10, job -> Optional.empty()))
                .as("renewed lease holds")
                .isEmpty();

        Transition cancel = store.cancel(running.id());
        assertThat(cancel.job()).isRunning();
        assertThat(cancel.job().cancelRequested()).isTrue();
        assertThat(store.heartbeat(running.id(), token(running), LEASE).cancelRequested())
                .isTrue();
    }

    @Test
    void progressIsRecordedAndValidated() {
        create(jobs.of("t"));
        Job running = acquireOne();

        Job reported = store.reportProgress(running.id(), token(running), 40, Optional.of("halfway-ish"));

        assertThat(reported).hasProgress(40);
        assertThat(current(running).progressMessage()).contains("halfway-ish");
        assertThatThrownBy(() -> store.reportProgress(running.id(), token(running), 101, Optional.empty()))
                .isInstanceOf(JobValidationException.class);
    }

    @Test
    void snoozeAndReleaseDoNotCountTheAttempt() {
        create(jobs.of("t"));
        Job running = acquireOne();

        Job snoozed = store.snooze(running.id(), token(running), clock.instant().plusSeconds(30))
                .job();
        assertThat(snoozed).isScheduled().hasAttempts(0);
        clock.advance(Duration.ofSeconds(30));
        Job again = acquireOne();
        assertThat(again).hasAttempts(1);

        Job released = store.release(again.id(), token(again)).job();
        assertThat(released).isReady().hasAttempts(0);
        assertThat(released.leaseOwner()).isEmpty();
        assertThat(acquireOne()).hasAttempts(1);
    }

    @Test
    void everyRunIsRecordedWithItsWorkerTimesAndOutcome() {
        Job created = create(jobs.of("t"));
        Instant firstStart = clock.instant();
        Job first = acquireOne();
        clock.advance(Duration.ofSeconds(2));
        store.fail(first.id(), token(first), JobError.of("Boom", "it broke"), Optional.of(clock.instant()));
        Job second = store.acquire(new AcquireRequest("worker-2", Set.of("default"), 1, LEASE))
                .get(0);
        clock.advance(Duration.ofSeconds(1));
        store.snooze(second.id(), token(second), clock.instant());
        Job third = acquireOne();
        clock.advance(Duration.ofSeconds(3));
        store.complete(third.id(), token(third), Optional.empty());

        List<Attempt> history = current(created).attempts();

        assertThat(history)
                .extracting(Attempt::number, Attempt::worker, Attempt::outcome)
                .containsExactly(
                        tuple(1, "worker-1", Attempt.Outcome.FAILED),
                        tuple(2, "worker-2", Attempt.Outcome.SNOOZED),
                        tuple(2, "worker-1", Attempt.Outcome.SUCCEEDED));
        assertThat(history.get(0).startedAt()).isEqualTo(firstStart);
        assertThat(history.get(0).duration()).isEqualTo(Duration.ofSeconds(2));
        assertThat(history.get(0).error()).hasValueSatisfying(error -> {
            assertThat(error.type()).isEqualTo("Boom");
            assertThat(error.message()).isEqualTo("it broke");
        });
        assertThat(history.get(2).duration()).isEqualTo(Duration.ofSeconds(3));
        assertThat(history.get(2).error()).isEmpty();
    }

    @Test
    void cancelRunningEndsTheJobCancelled() {
        create(jobs.of("t"));
        Job running = acquireOne();

        Job cancelled = store.cancelRunning(running.id(), token(running), JobError.of("Cancelled", "user asked"))
                .job();

        assertThat(cancelled).isCancelled().hasLastErrorContaining("user asked");
        assertThat(cancelled.finishedAt()).isPresent();
    }

    // ---- cancel and retry ----

    @Test
    void cancelOfAWaitingJobCancelsItAndIsIdempotent() {
        Job job = create(jobs.of("t"));

        assertThat(store.cancel(job.id()).job()).isCancelled();
        assertThat(store.cancel(job.id()).job()).isCancelled();
        assertThat(acquire(1)).isEmpty();
    }

    @Test
    void cancelOfAFinishedOrUnknownJobIsRefused() {
        create(jobs.of("t"));
        Job running = acquireOne();
        store.complete(running.id(), token(running), Optional.empty());

        assertThatThrownBy(() -> store.cancel(running.id()))
                .isInstanceOfSatisfying(
                        InvalidTransitionException.class,
                        e -> assertThat(e.state()).isEqualTo(JobState.SUCCEEDED));
        assertThatThrownBy(() -> store.cancel(UUID.randomUUID())).isInstanceOf(JobNotFoundException.class);
    }

    @Test
    void scheduledAndRetryingJobsCanBeCancelledWhileTheyWait() {
        Job scheduled = create(jobs.of("t").runAt(clock.instant().plusSeconds(60)));
        create(jobs.of("t"));
        Job running = acquireOne();
        Job retrying = store.fail(
                        running.id(),
                        token(running),
                        JobError.of("Boom", "x"),
                        Optional.of(clock.instant().plusSeconds(5)))
                .job();

        assertThat(store.cancel(scheduled.id()).job()).isCancelled();
        assertThat(store.cancel(retrying.id()).job()).isCancelled();
        clock.advance(Duration.ofMinutes(2));
        assertThat(acquire(10)).isEmpty();
    }

    @Test
    void operatorRetryOfACancelledJobMakesItReadyAgain() {
        Job job = create(jobs.of("t"));
        store.cancel(job.id());

        assertThat(store.retry(job.id()).job()).isReady();
        assertThat(acquireOne().id()).isEqualTo(job.id());
    }

    @Test
    void operatorRetryGivesAFailedJobAnotherAttempt() {
        create(jobs.of("t").maxAttempts(1));
        Job running = acquireOne();
        store.fail(running.id(), token(running), JobError.of("Boom", "x"), Optional.empty());

        Job retried = store.retry(running.id()).job();

        assertThat(retried).isReady();
        assertThat(retried.maxAttempts()).isEqualTo(2);
        assertThat(retried.finishedAt()).isEmpty();
        assertThat(acquireOne()).hasAttempts(2);
    }

    @Test
    void operatorRetryOfAnUnfinishedJobIsRefused() {
        Job job = create(jobs.of("t"));

        assertThatThrownBy(() -> store.retry(job.id())).isInstanceOf(InvalidTransitionException.class);
        acquireOne();
        assertThatThrownBy(() -> store.retry(job.id())).isInstanceOf(InvalidTransitionException.class);
        assertThatThrownBy(() -> store.retry(UUID.randomUUID())).isInstanceOf(JobNotFoundException.class);
    }

    // ---- dependencies ----

    @Test
    void dependentWaitsUntilItsParentSucceeds() {
        Job parent = create(jobs.of("parent"));
        Job child = create(jobs.of("child").dependsOn(parent.id()));
        assertThat(child).isPending();

        Job running = acquireOne();
        assertThat(running.id()).isEqualTo(parent.id());
        Transition done = store.complete(running.id(), token(running), Optional.empty());

        assertThat(done.dependents()).extracting(Job::id).containsExactly(child.id());
        assertThat(current(child)).isReady();
        assertThat(acquireOne().id()).isEqualTo(child.id());
    }

    @Test
    void releasedDependentWhoseRunAtIsAheadIsScheduled() {
        Job parent = create(jobs.of("parent"));
        Job child = create(
                jobs.of("child").dependsOn(parent.id()).runAt(clock.instant().plusSeconds(90)));
        Job running = acquireOne();

        store.complete(running.id(), token(running), Optional.empty());

        assertThat(current(child)).isScheduled();
        assertThat(acquire(10)).isEmpty();
        clock.advance(Duration.ofSeconds(90));
        assertThat(acquireOne().id()).isEqualTo(child.id());
    }

    @Test
    void diamondCreatedInOneBatchReleasesFanInOnlyAfterBothBranches() {
        var top = jobs.of("top");
        var left = jobs.of("left").dependsOn(top.id());
        var right = jobs.of("right").dependsOn(top.id());
        var bottom = jobs.of("bottom").dependsOn(left.id(), right.id());
        store.create(List.of(top.build(), left.build(), right.build(), bottom.build()));

        Job topRunning = acquireOne();
        store.complete(topRunning.id(), token(topRunning), Optional.empty());
        List<Job> branches = acquire(10);
        assertThat(branches).extracting(Job::type).containsExactlyInAnyOrder("left", "right");

        store.complete(branches.get(0).id(), token(branches.get(0)), Optional.empty());
        assertThat(store.get(bottom.id()).orElseThrow()).isPending();
        store.complete(branches.get(1).id(), token(branches.get(1)), Optional.empty());
        assertThat(store.get(bottom.id()).orElseThrow()).isReady();
    }

    @Test
    void failedParentCancelsDependentsTransitively() {
        Job parent = create(jobs.of("parent"));
        Job child = create(jobs.of("child").dependsOn(parent.id()));
        Job grandchild = create(jobs.of("grandchild").dependsOn(child.id()));
        Job running = acquireOne();

        Transition failed = store.fail(running.id(), token(running), JobError.of("Boom", "x"), Optional.empty());

        assertThat(failed.dependents()).extracting(Job::id).containsExactly(child.id(), grandchild.id());
        assertThat(current(child)).isCancelled().hasLastErrorContaining(JobError.DEPENDENCY_FAILED);
        assertThat(current(grandchild)).isCancelled();
    }

    @Test
    void runPolicyDependentRunsAfterItsParentFails() {
        Job parent = create(jobs.of("parent"));
        Job cleanup =
                create(jobs.of("cleanup").dependsOn(parent.id()).onDependencyFailure(DependencyFailurePolicy.RUN));
        Job running = acquireOne();

        store.fail(running.id(), token(running), JobError.of("Boom", "x"), Optional.empty());

        assertThat(current(cleanup)).isReady();
    }

    @Test
    void retriedDependencyHoldsBackARunPolicyDependentAgain() {
        Job first = create(jobs.of("first"));
        Job second = create(jobs.of("second"));
        Job cleanup = create(
                jobs.of("cleanup").dependsOn(first.id(), second.id()).onDependencyFailure(DependencyFailurePolicy.RUN));
        Job firstRunning = acquireOne();
        store.fail(firstRunning.id(), token(firstRunning), JobError.of("Boom", "x"), Optional.empty());
        assertThat(current(cleanup)).isPending();

        store.retry(first.id());
        Job secondRunning = acquire(10).stream()
                .filter(j -> j.id().equals(second.id()))
                .findFirst()
                .orElseThrow();
        store.complete(secondRunning.id(), token(secondRunning), Optional.empty());

        assertThat(current(cleanup))
                .as("its retried dependency runs again first")
                .isPending();
        Job firstAgain = current(first);
        store.complete(firstAgain.id(), token(firstAgain), Optional.empty());
        assertThat(current(cleanup)).isReady();
    }

    @Test
    void fanInWithManyParentsIsReleasedOnlyByTheLast() {
        var parents = new ArrayList<Job>();
        for (int i = 0; i < 5; i++) {
            parents.add(create(jobs.of("parent")));
        }
        Job join =
                create(jobs.of("join").dependsOn(parents.stream().map(Job::id).toArray(UUID[]::new)));
        List<Job> running = acquire(10);
        assertThat(running).hasSize(5);

        for (int i = 0; i < 4; i++) {
            store.complete(running.get(i).id(), token(running.get(i)), Optional.empty());
            assertThat(current(join)).isPending();
        }
        store.complete(running.get(4).id(), token(running.get(4)), Optional.empty());
        assertThat(current(join)).isReady();
    }

    @Test
    void cancellingAWaitingParentCancelsItsDependents() {
        Job parent = create(jobs.of("parent"));
        Job child = create(jobs.of("child").dependsOn(parent.id()));

        Transition cancelled = store.cancel(parent.id());

        assertThat(cancelled.dependents()).extracting(Job::id).containsExactly(child.id());
        assertThat(current(child)).isCancelled();
    }

    @Test
    void dependencyOnAFinishedJobResolvesAtCreation() {
        Job parent = create(jobs.of("parent"));
        Job running = acquireOne();
        store.complete(running.id(), token(running), Optional.empty());
        Job failedParent = create(jobs.of("failed"));
        Job failedRunning = acquireOne();
        store.fail(failedRunning.id(), token(failedRunning), JobError.of("Boom", "x"), Optional.empty());

        assertThat(create(jobs.of("after-success").dependsOn(parent.id()))).isReady();
        assertThat(create(jobs.of("after-failure").dependsOn(failedParent.id())))
                .isCancelled();
    }

    @Test
    void retryingAFailedParentRevivesTheDependentsItsFailureCancelled() {
        Job parent = create(jobs.of("parent"));
        Job child = create(jobs.of("child").dependsOn(parent.id()));
        Job running = acquireOne();
        store.fail(running.id(), token(running), JobError.of("Boom", "x"), Optional.empty());
        assertThat(current(child)).isCancelled();

        Transition retried = store.retry(parent.id());

        assertThat(retried.dependents()).extracting(Job::id).containsExactly(child.id());
        assertThat(current(child)).isPending();
        Job again = acquireOne();
        store.complete(again.id(), token(again), Optional.empty());
        assertThat(current(child)).isReady();
    }

    @Test
    void retryOfAJobWhoseDependencyFailedIsRefused() {
        Job parent = create(jobs.of("parent"));
        Job child = create(jobs.of("child").dependsOn(parent.id()));
        Job running = acquireOne();
        store.fail(running.id(), token(running), JobError.of("Boom", "x"), Optional.empty());

        assertThatThrownBy(() -> store.retry(child.id()))
                .isInstanceOf(InvalidTransitionException.class)
                .hasMessageContaining("dependency");
    }

    // ---- unique keys ----

    @Test
    void uniqueKeyReturnsTheUnfinishedHolderAndFreesOnFinish() {
        Job first = create(jobs.of("t").uniqueKey("report-42"));
        Job duplicate = create(jobs.of("t").uniqueKey("report-42"));
        assertThat(duplicate.id()).isEqualTo(first.id());
        assertThat(store.list(JobQuery.all()).jobs()).hasSize(1);

        Job running = acquireOne();
        store.complete(running.id(), token(running), Optional.empty());

        Job next = create(jobs.of("t").uniqueKey("report-42"));
        assertThat(next.id()).isNotEqualTo(first.id());
        assertThat(next).isReady();
    }

    @Test
    void uniqueKeyInsideOneBatchCreatesOneJobAndRewiresDependents() {
        var first = jobs.of("t").uniqueKey("k");
        var second = jobs.of("t").uniqueKey("k");
        var child = jobs.of("child").dependsOn(second.id());

        List<Job> created = store.create(List.of(first.build(), second.build(), child.build()));

        assertThat(created.get(1).id()).isEqualTo(first.id());
        assertThat(created.get(2).dependsOn()).containsExactly(first.id());
        assertThat(store.list(JobQuery.all()).jobs()).hasSize(2);
    }

    @Test
    void idempotencyKeyReturnsTheFirstJobEvenAfterItFinishesUntilItIsPurged() {
        Job first = create(jobs.of("t").idempotencyKey("req-1", "fp-a"));
        Job repeat = create(jobs.of("t").idempotencyKey("req-1", "fp-a"));
        assertThat(repeat.id()).isEqualTo(first.id());

        Job running = acquireOne();
        store.complete(running.id(), token(running), Optional.empty());
        Job afterFinish = create(jobs.of("t").idempotencyKey("req-1", "fp-a"));
        assertThat(afterFinish.id()).isEqualTo(first.id());
        assertThat(afterFinish).isSucceeded();
        assertThat(store.list(JobQuery.all()).jobs()).hasSize(1);

        clock.advance(Duration.ofDays(1));
        assertThat(store.purge(PurgeRequest.finishedBefore(clock.instant()))).isEqualTo(1);
        Job afterPurge = create(jobs.of("t").idempotencyKey("req-1", "fp-a"));
        assertThat(afterPurge.id()).isNotEqualTo(first.id());
        assertThat(afterPurge).isReady();
    }

    @Test
    void idempotencyKeyReusedForADifferentRequestIsRefusedAndTheWholeBatchWithIt() {
        Job first = create(jobs.of("t").idempotencyKey("req-1", "fp-a"));

        var innocent = jobs.of("t");
        var reused = jobs.of("t").idempotencyKey("req-1", "fp-b");
        assertThatThrownBy(() -> store.create(List.of(innocent.build(), reused.build())))
                .isInstanceOfSatisfying(IdempotencyKeyReusedException.class, e -> {
                    assertThat(e.key()).isEqualTo("req-1");
                    assertThat(e.existingJobId()).isEqualTo(first.id());
                });
        var twiceInOneBatch = List.of(
                jobs.of("t").idempotencyKey("req-2", "fp-a").build(),
                jobs.of("t").idempotencyKey("req-2", "fp-b").build());
        assertThatThrownBy(() -> store.create(twiceInOneBatch)).isInstanceOf(IdempotencyKeyReusedException.class);

        assertThat(store.list(JobQuery.all()).jobs()).extracting(Job::id).containsExactly(first.id());
        assertThat(create(jobs.of("t").idempotencyKey("req-2", "fp-b"))).isReady();
    }

    @Test
    void idempotencyKeyAnsweredByAUniqueKeyHolderKeepsReturningThatHolder() {
        Job holder = create(jobs.of("t").uniqueKey("nightly"));
        Job answered = create(jobs.of("t").uniqueKey("nightly").idempotencyKey("req-1", "fp-a"));
        assertThat(answered.id()).isEqualTo(holder.id());

        Job running = acquireOne();
        store.complete(running.id(), token(running), Optional.empty());
        // The unique key is free now; the repeat still gets the job its first request got.
        Job repeat = create(jobs.of("t").uniqueKey("nightly").idempotencyKey("req-1", "fp-a"));
        assertThat(repeat.id()).isEqualTo(holder.id());
        assertThat(store.list(JobQuery.all()).jobs()).hasSize(1);
    }

    @Test
    void idempotencyKeyRepeatedInsideOneBatchCreatesOneJobAndRewiresDependents() {
        var first = jobs.of("t").idempotencyKey("k", "fp");
        var second = jobs.of("t").idempotencyKey("k", "fp");
        var child = jobs.of("child").dependsOn(second.id());

        List<Job> created = store.create(List.of(first.build(), second.build(), child.build()));

        assertThat(created.get(1).id()).isEqualTo(first.id());
        assertThat(created.get(2).dependsOn()).containsExactly(first.id());
        assertThat(store.list(JobQuery.all()).jobs()).hasSize(2);
    }

    // ---- listing, counts, retention ----

    @Test
    void listPagesNewestFirstWithAStableKeysetCursor() {
        var created = new ArrayList<Job>();
        for (int i = 0; i < 7; i++) {
            created.add(create(jobs.of("t")));
            clock.advance(Duration.ofMillis(1));
        }

        JobPage first = store.list(JobQuery.all().withLimit(3));
        create(jobs.of("t")); // a newer job must not shift the pages already handed out
        JobPage second = store.list(
                JobQuery.all().withLimit(3).withCursor(first.nextCursor().orElseThrow()));
        JobPage third = store.list(
                JobQuery.all().withLimit(3).withCursor(second.nextCursor().orElseThrow()));

        assertThat(first.jobs())
                .extracting(Job::id)
                .containsExactly(
                        created.get(6).id(), created.get(5).id(), created.get(4).id());
        assertThat(second.jobs())
                .extracting(Job::id)
                .containsExactly(
                        created.get(3).id(), created.get(2).id(), created.get(1).id());
        assertThat(third.jobs())
                .extracting(Job::id)
                .containsExactly(created.get(0).id());
        assertThat(third.nextCursor()).isEmpty();
    }

    @Test
    void listFindsTheChildrenOfAJob() {
        Job parent = create(jobs.of("parent"));
        Job other = create(jobs.of("other"));
        Job first = create(jobs.of("child").dependsOn(parent.id()));
        Job both = create(jobs.of("child").dependsOn(parent.id(), other.id()));
        create(jobs.of("child").dependsOn(other.id()));

        assertThat(store.list(JobQuery.all().withDependsOn(parent.id())).jobs())
                .extracting(Job::id)
                .containsExactly(both.id(), first.id());
        assertThat(store.list(JobQuery.all().withDependsOn(first.id())).jobs()).isEmpty();
    }

    @Test
    void listFiltersByStateQueueTypeAndCreationTime() {
        create(jobs.of("a").queue("q1"));
        clock.advance(Duration.ofMinutes(1));
        Instant since = clock.instant();
        Job b = create(jobs.of("b").queue("q1"));
        Job c = create(jobs.of("c").queue("q2"));
        store.cancel(c.id());

        assertThat(store.list(JobQuery.all().withQueue("q1")).jobs()).hasSize(2);
        assertThat(store.list(JobQuery.all().withTypes("b", "c")).jobs())
                .extracting(Job::id)
                .containsExactlyInAnyOrder(b.id(), c.id());
        assertThat(store.list(JobQuery.all().withStates(JobState.CANCELLED)).jobs())
                .extracting(Job::id)
                .containsExactly(c.id());
        assertThat(store.list(JobQuery.all().withSince(since).withQueue("q1")).jobs())
                .extracting(Job::id)
                .containsExactly(b.id());
    }

    @Test
    void countsPerQueueAndState() {
        create(jobs.of("t").queue("a"));
        create(jobs.of("t").queue("a"));
        create(jobs.of("t").queue("b").runAt(clock.instant().plusSeconds(5)));
        acquire(1, "a");

        var byQueue = new java.util.HashMap<String, QueueCounts>();
        store.counts().forEach(c -> byQueue.put(c.queue(), c));

        assertThat(byQueue.get("a").count(JobState.READY)).isEqualTo(1);
        assertThat(byQueue.get("a").count(JobState.RUNNING)).isEqualTo(1);
        assertThat(byQueue.get("b").count(JobState.SCHEDULED)).isEqualTo(1);
        assertThat(byQueue.get("b").count(JobState.READY)).isZero();
    }

    @Test
    void countsStayExactThroughEveryWayAJobEntersOrLeavesAFinalState() {
        var ids = new ArrayList<UUID>();
        for (int i = 0; i < 6; i++) {
            ids.add(create(jobs.of("t").queue("tally")).id());
        }
        Job completed = acquire(1, "tally").get(0);
        store.complete(completed.id(), token(completed), Optional.empty());
        List<Job> batch = acquire(2, "tally");
        store.completeAll(
                batch.stream().map(job -> new Completion(job, Optional.empty())).toList());
        Job failedParent = acquire(1, "tally").get(0);
        Job child = create(jobs.of("t").queue("tally").dependsOn(failedParent.id()));
        ids.add(child.id());
        store.fail(failedParent.id(), token(failedParent), JobError.of("Boom", "for good"), Optional.empty());
        Job bornCancelled = create(jobs.of("t").queue("tally").dependsOn(failedParent.id()));
        ids.add(bornCancelled.id());
        Job retrying = acquire(1, "tally").get(0);
        store.fail(
                retrying.id(),
                token(retrying),
                JobError.of("Boom", "again"),
                Optional.of(clock.instant().plusSeconds(3600)));
        Job cancelledWhileRunning = acquire(1, "tally", "other").get(0);
        store.cancelRunning(cancelledWhileRunning.id(), token(cancelledWhileRunning), JobError.of("Stop", "asked"));
        ids.add(store.cancel(create(jobs.of("t").queue("other")).id()).job().id());
        Job lapsed = create(jobs.of("t").queue("other"));
        ids.add(lapsed.id());
        acquire(1, "other");
        clock.advance(LEASE.plusSeconds(1));
        store.reclaimExpiredLeases(10, job -> Optional.empty());
        assertCountsMatchTheJobs(ids);

        store.retry(failedParent.id()); // back to work, and its cancelled dependents back to waiting
        store.retry(lapsed.id());
        assertCountsMatchTheJobs(ids);

        clock.advance(Duration.ofMinutes(1));
        assertThat(store.purge(PurgeRequest.finishedBefore(clock.instant()))).isPositive();
        ids.removeIf(id -> store.get(id).isEmpty());
        assertCountsMatchTheJobs(ids);
    }

    /** The store's counts equal those of the jobs read one by one, and no queue is listed empty. */
    private void assertCountsMatchTheJobs(List<UUID> ids) {
        var expected = new java.util.TreeMap<String, Map<JobState, Long>>();
        for (UUID id : ids) {
            store.get(id)
                    .ifPresent(
                            job -> expected.computeIfAbsent(job.queue(), q -> new java.util.EnumMap<>(JobState.class))
                                    .merge(job.state(), 1L, Long::sum));
        }
        var counted = new java.util.TreeMap<String, Map<JobState, Long>>();
        for (QueueCounts queue : store.counts()) {
            var nonZero = new java.util.EnumMap<JobState, Long>(JobState.class);
            queue.byState().forEach((state, n) -> {
                if (n != 0) {
                    nonZero.put(state, n);
                }
            });
            counted.put(queue.queue(), nonZero);
        }
        assertThat(counted).isEqualTo(expected);
    }

    @Test
    void queueStatsCountOutcomesAndAverageRunTimesOfJobsFinishedInTheWindow() {
        runFor(Duration.ofSeconds(30), true); // finishes before the window: not counted
        clock.advance(Duration.ofMinutes(1));
        Instant windowStart = clock.instant();
        runFor(Duration.ofSeconds(2), true);
        runFor(Duration.ofSeconds(4), true);
        runFor(Duration.ofSeconds(6), false);
        store.cancel(create(jobs.of("t").queue("stats")).id()); // a cancellation says nothing of the work

        List<QueueStats> stats = store.queueStats(windowStart);

        assertThat(stats).singleElement().satisfies(queue -> {
            assertThat(queue.queue()).isEqualTo("stats");
            assertThat(queue.succeeded()).isEqualTo(2);
            assertThat(queue.failed()).isEqualTo(1);
            assertThat(queue.averageRunTime()).hasValue(Duration.ofSeconds(4));
            assertThat(queue.successRate())
                    .hasValueSatisfying(rate -> assertThat(rate).isCloseTo(2 / 3.0, within(1e-9)));
        });
        assertThat(store.queueStats(clock.instant().plusSeconds(1))).isEmpty();
    }

    @Test
    void finishedJobsAreCountedPerMinute() {
        Instant since = clock.instant();
        Instant firstMinute = since.truncatedTo(ChronoUnit.MINUTES);
        runFor(Duration.ofMillis(10), true);
        runFor(Duration.ofMillis(10), false);
        clock.advance(Duration.ofMinutes(2));
        runFor(Duration.ofMillis(10), true);
        store.cancel(create(jobs.of("t").queue("stats")).id());

        assertThat(store.finishedPerMinute(since))
                .containsExactly(
                        new FinishedInMinute(firstMinute, 1, 1),
                        new FinishedInMinute(firstMinute.plus(Duration.ofMinutes(2)), 1, 0));
        assertThat(store.finishedPerMinute(clock.instant().plusSeconds(60))).isEmpty();
    }

    /** Runs one job on queue "stats" for {@code duration}, ending it succeeded or failed for good. */
    private void runFor(Duration duration, boolean succeed) {
        create(jobs.of("t").queue("stats"));
        Job running = acquire(1, "stats").get(0);
        clock.advance(duration);
        if (succeed) {
            store.complete(running.id(), token(running), Optional.empty());
        } else {
            store.fail(running.id(), token(running), JobError.of("Boom", "failed"), Optional.empty());
        }
    }

    @Test
    void purgeDeletesOldAndSurplusFinishedJobsAndKeepsUnfinishedOnes() {
        var finished = new ArrayList<Job>();
        for (int i = 0; i < 4; i++) {
            create(jobs.of("t"));
            Job running = acquireOne();
            finished.add(store.complete(running.id(), token(running), Optional.empty())
                    .job());
            clock.advance(Duration.ofHours(1));
        }
        Job waiting = create(jobs.of("t").runAt(clock.instant().plus(Duration.ofDays(1))));

        int byAge = store.purge(PurgeRequest.finishedBefore(
                finished.get(1).finishedAt().orElseThrow().plusSeconds(1)));
        assertThat(byAge).isEqualTo(2);
        int byCount = store.purge(PurgeRequest.keepLatestPerQueue(1));
        assertThat(byCount).isEqualTo(1);

        assertThat(store.get(finished.get(3).id())).isPresent();
        assertThat(store.get(finished.get(0).id())).isEmpty();
        assertThat(store.get(waiting.id())).isPresent();
    }

    @Test
    void purgeDeletesEveryDueJobHoweverManyAndKeepsTheNewestOfEachQueue() {
        int jobsPerQueue = 1_300; // more than a store's batch of deletions, where it has one
        finishMany("a", jobsPerQueue);
        Instant afterA = clock.instant();
        clock.advance(Duration.ofHours(1));
        finishMany("b", jobsPerQueue);
        Job recent = create(jobs.of("t").queue("a"));
        store.complete(recent.id(), token(acquire(1, "a").get(0)), Optional.empty());

        assertThat(store.purge(PurgeRequest.finishedBefore(afterA)))
                .as("every job of a but the recent one")
                .isEqualTo(jobsPerQueue);
        assertThat(store.purge(PurgeRequest.keepLatestPerQueue(100)))
                .as("all but the newest 100 of b; a holds only one")
                .isEqualTo(jobsPerQueue - 100);
        assertThat(store.get(recent.id())).isPresent();
        assertThat(store.counts())
                .extracting(QueueCounts::queue, c -> c.count(JobState.SUCCEEDED))
                .containsExactlyInAnyOrder(tuple("a", 1L), tuple("b", 100L));
    }

    /** Creates and completes this many jobs on a queue, their finishes a millisecond apart per hundred. */
    private void finishMany(String queue, int count) {
        var specs = new ArrayList<NewJob>();
        for (int i = 0; i < count; i++) {
            specs.add(jobs.of("t").queue(queue).build());
        }
        store.create(specs);
        for (int done = 0; done < count; ) {
            List<Job> running = acquire(100, queue);
            store.completeAll(running.stream()
                    .map(job -> new Completion(job, Optional.empty()))
                    .toList());
            done += running.size();
            clock.advance(Duration.ofMillis(1));
        }
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

    /** A worker reporting now, which counts as dead {@link #WORKER_LEASE} from now. */
    protected WorkerInfo worker(String id, int running) {
        Instant now = clock.instant();
        Instant started = store.workers().stream()
                .filter(w -> w.id().equals(id))
                .map(WorkerInfo::startedAt)
                .findFirst()
                .orElse(now);
        return new WorkerInfo(
                id,
                WorkerInfo.ENGINE_OWNER,
                "host-" + id,
                Set.of("default"),
                4,
                running,
                started,
                now,
                now.plus(WORKER_LEASE));
    }

    // ---- concurrency ----
    // Racing calls end in milliseconds; each waits at most JobsTesting.BULK_WORK, for a store that hangs.

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

    @Test
    void creatorsRacingWithOneIdempotencyKeyCreateOneJob() throws Exception {
        int creators = 6;
        int rounds = 10;
        ExecutorService pool = Executors.newFixedThreadPool(creators);
        try {
            for (int round = 0; round < rounds; round++) {
                String key = "race-" + round;
                var start = new CountDownLatch(1);
                var results = new ArrayList<Future<Job>>();
                for (int c = 0; c < creators; c++) {
                    var draft = jobs.of("t").idempotencyKey(key, "fp");
                    results.add(pool.submit(() -> {
                        start.await();
                        return store.create(List.of(draft.build())).get(0);
                    }));
                }
                start.countDown();
                var ids = new HashSet<UUID>();
                for (Future<Job> result : results) {
                    ids.add(result.get(JobsTesting.BULK_WORK.toSeconds(), TimeUnit.SECONDS)
                            .id());
                }
                assertThat(ids).as("jobs returned for key %s", key).hasSize(1);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(store.list(JobQuery.all().withLimit(100)).jobs()).hasSize(rounds);
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

    // ---- queue limits and concurrency keys ----

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

    // ---- recurring jobs ----

    private static JsonNode definition(int version) {
        return MAPPER.createObjectNode().put("template", "report.build").put("revision", version);
    }

    @Test
    void savedRecurringJobIsReadBackAsSaved() {
        Instant mark = clock.instant().truncatedTo(ChronoUnit.SECONDS);

        RecurringRecord saved = store.saveRecurring("nightly", "0 2 * * * (UTC)", definition(1), mark);

        assertThat(saved.version()).isEqualTo(1);
        assertThat(saved.upTo()).isEqualTo(mark);
        assertThat(store.recurringJob("nightly")).contains(saved);
        assertThat(store.recurringJobs()).containsExactly(saved);
        assertThat(saved.definition()).isEqualTo(definition(1));
        assertThat(store.recurringJob("weekly")).isEmpty();
    }

    @Test
    void savingTheSameRecurringJobAgainChangesNothing() {
        Instant mark = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        RecurringRecord first = store.saveRecurring("nightly", "0 2 * * * (UTC)", definition(1), mark);
        clock.advance(Duration.ofMinutes(1));

        RecurringRecord again = store.saveRecurring("nightly", "0 2 * * * (UTC)", definition(1), clock.instant());

        assertThat(again).isEqualTo(first);
        assertThat(store.recurringJob("nightly")).contains(first);
    }

    @Test
    void changedTemplateKeepsTheMarkButChangedScheduleMovesIt() {
        Instant mark = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        store.saveRecurring("nightly", "0 2 * * * (UTC)", definition(1), mark);
        clock.advance(Duration.ofHours(1));
        Instant later = clock.instant().truncatedTo(ChronoUnit.SECONDS);

        RecurringRecord newTemplate = store.saveRecurring("nightly", "0 2 * * * (UTC)", definition(2), later);
        RecurringRecord newSchedule = store.saveRecurring("nightly", "0 3 * * * (UTC)", definition(2), later);

        assertThat(newTemplate.upTo())
                .as("same schedule: occurrences so far stay made")
                .isEqualTo(mark);
        assertThat(newTemplate.version()).isEqualTo(2);
        assertThat(newTemplate.definition()).isEqualTo(definition(2));
        assertThat(newSchedule.upTo()).as("new schedule: starts from now").isEqualTo(later);
        assertThat(newSchedule.version()).isEqualTo(3);
        assertThat(store.recurringJob("nightly")).contains(newSchedule);
    }

    @Test
    void advancingTheMarkCreatesTheOccurrencesOnceAndAStaleVersionChangesNothing() {
        Instant mark = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        RecurringRecord saved = store.saveRecurring("every-minute", "every PT1M", definition(1), mark);
        Instant first = mark.plusSeconds(60);
        Instant second = mark.plusSeconds(120);
        List<NewJob> occurrences = List.of(
                jobs.of("report.build").runAt(first).build(),
                jobs.of("report.build").runAt(second).build());

        Optional<List<Job>> created = store.advanceRecurring("every-minute", saved.version(), second, occurrences);
        Optional<List<Job>> stale = store.advanceRecurring(
                "every-minute",
                saved.version(),
                second,
                List.of(jobs.of("report.build").runAt(second).build()));

        assertThat(created)
                .hasValueSatisfying(
                        list -> assertThat(list).extracting(Job::runAt).containsExactly(first, second));
        assertThat(stale).isEmpty();
        assertThat(store.list(JobQuery.all().withTypes("report.build")).jobs()).hasSize(2);
        RecurringRecord moved = store.recurringJob("every-minute").orElseThrow();
        assertThat(moved.upTo()).isEqualTo(second);
        assertThat(moved.version()).isGreaterThan(saved.version());
        assertThat(moved.definition()).isEqualTo(saved.definition());
    }

    @Test
    void advancingWithNoJobsMovesOnlyTheMark() {
        Instant mark = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        RecurringRecord saved = store.saveRecurring("skipping", "every PT1M", definition(1), mark);

        assertThat(store.advanceRecurring("skipping", saved.version(), mark.plusSeconds(600), List.of()))
                .contains(List.of());

        assertThat(store.recurringJob("skipping").orElseThrow().upTo()).isEqualTo(mark.plusSeconds(600));
    }

    @Test
    void refusedOccurrencesLeaveTheMarkWhereItWas() {
        Instant mark = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        RecurringRecord saved = store.saveRecurring("broken", "every PT1M", definition(1), mark);
        NewJob waitsForNothing =
                jobs.of("report.build").dependsOn(UUID.randomUUID()).build();

        assertThatThrownBy(() -> store.advanceRecurring(
                        "broken", saved.version(), mark.plusSeconds(60), List.of(waitsForNothing)))
                .isInstanceOf(JobValidationException.class);

        assertThat(store.recurringJob("broken")).contains(saved);
        assertThat(store.get(waitsForNothing.id())).isEmpty();
    }

    @Test
    void deletedRecurringJobIsGoneAndCannotAdvance() {
        Instant mark = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        RecurringRecord saved = store.saveRecurring("nightly", "0 2 * * * (UTC)", definition(1), mark);

        assertThat(store.deleteRecurring("nightly")).isTrue();
        assertThat(store.deleteRecurring("nightly")).isFalse();
        assertThat(store.recurringJobs()).isEmpty();
        NewJob occurrence = jobs.of("report.build").build();
        assertThat(store.advanceRecurring("nightly", saved.version(), mark.plusSeconds(1), List.of(occurrence)))
                .isEmpty();
        assertThat(store.get(occurrence.id())).isEmpty();
    }

    @Test
    void instancesRacingToCreateTheSameOccurrenceCreateItOnce() throws Exception {
        Instant mark = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        int instances = 8;
        int rounds = 20;
        store.saveRecurring("every-second", "every PT1S", definition(1), mark);
        ExecutorService pool = Executors.newFixedThreadPool(instances);
        try {
            for (int round = 1; round <= rounds; round++) {
                Instant occurrence = mark.plusSeconds(round);
                RecurringRecord read = store.recurringJob("every-second").orElseThrow();
                var start = new CountDownLatch(1);
                var futures = new ArrayList<Future<Boolean>>();
                for (int i = 0; i < instances; i++) {
                    NewJob job = jobs.of("tick").runAt(occurrence).build();
                    futures.add(pool.submit(() -> {
                        start.await();
                        // Each instance read the record and made its own job for the occurrence.
                        return store.advanceRecurring("every-second", read.version(), occurrence, List.of(job))
                                .isPresent();
                    }));
                }
                start.countDown();
                int winners = 0;
                for (Future<Boolean> future : futures) {
                    winners += future.get(JobsTesting.BULK_WORK.toSeconds(), TimeUnit.SECONDS) ? 1 : 0;
                }
                assertThat(winners)
                        .as("instances that created occurrence " + round)
                        .isEqualTo(1);
            }
        } finally {
            pool.shutdownNow();
        }

        List<Job> ticks =
                store.list(JobQuery.all().withTypes("tick").withLimit(100)).jobs();
        assertThat(ticks).extracting(Job::runAt).doesNotHaveDuplicates().hasSize(rounds);
        assertThat(store.recurringJob("every-second").orElseThrow().upTo()).isEqualTo(mark.plusSeconds(rounds));
    }
}
