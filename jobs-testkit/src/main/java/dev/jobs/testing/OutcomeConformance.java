package dev.jobs.testing;

import static dev.jobs.testing.JobAssert.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.jobs.core.Attempt;
import dev.jobs.core.HeartbeatResult;
import dev.jobs.core.InvalidTransitionException;
import dev.jobs.core.Job;
import dev.jobs.core.JobError;
import dev.jobs.core.JobNotFoundException;
import dev.jobs.core.JobQuery;
import dev.jobs.core.JobState;
import dev.jobs.core.JobValidationException;
import dev.jobs.core.LeaseLostException;
import dev.jobs.core.spi.AcquireRequest;
import dev.jobs.core.spi.Completion;
import dev.jobs.core.spi.CompletionResult;
import dev.jobs.core.spi.NewJob;
import dev.jobs.core.spi.Transition;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The {@link JobStore} contract, area by area: what becomes of a claimed job, fenced on its
 * lease: completion (any JSON value), failure and retry, heartbeats, progress, snooze and
 * release, lapsed leases, cancellation and an operator's retry. Extend it and make a store as
 * {@link StoreConformance#createStore} says, or extend {@link JobStoreConformanceTest} for every
 * area.
 */
public abstract class OutcomeConformance extends StoreConformance {
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
}
