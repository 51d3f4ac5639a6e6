package dev.jobs.testing;

import static dev.jobs.testing.JobAssert.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.node.TextNode;
import dev.jobs.core.HeartbeatResult;
import dev.jobs.core.Job;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobEngineBuilder;
import dev.jobs.core.JobError;
import dev.jobs.core.JobEvent;
import dev.jobs.core.JobLimits;
import dev.jobs.core.JobSpec;
import dev.jobs.core.JobValidationException;
import dev.jobs.core.LeaseLostException;
import dev.jobs.core.RemoteWorkers;
import dev.jobs.core.RetryPolicy;
import dev.jobs.core.WorkerInfo;
import dev.jobs.core.memory.InMemoryJobStore;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Workers outside the engine take jobs under the same rules as its own. */
class RemoteWorkersTest {
    private static final Duration LEASE = Duration.ofSeconds(30);
    private static final Set<String> DEFAULT = Set.of("default");

    private final VirtualClock clock = new VirtualClock();
    private final InMemoryJobStore store = new InMemoryJobStore(clock);
    private final List<JobEvent> events = new CopyOnWriteArrayList<>();
    private JobEngine engine;
    private RemoteWorkers remote;

    @BeforeEach
    void build() {
        engine = JobEngine.builder()
                .clock(clock)
                .store(store)
                .random(new SplittableRandom(1))
                .retryPolicy(RetryPolicy.fixed(Duration.ofSeconds(10)).withNonRetryableNames(Set.of("BadInput")))
                .listener(events::add)
                .build();
        remote = engine.remoteWorkers();
    }

    @AfterEach
    void close() {
        engine.close();
    }

    private Job acquireOne(String workerId) throws InterruptedException {
        List<Job> jobs = remote.acquire(workerId, "host-1", DEFAULT, 1, LEASE, Duration.ZERO);
        assertThat(jobs).hasSize(1);
        return jobs.get(0);
    }

    /** The engine's default: what a worker told to stop has before its attempt ends. */
    private static final Duration GRACE = JobEngineBuilder.DEFAULT_CANCELLATION_GRACE;

    @Test
    void anAttemptPastItsTimeoutIsToldToStopThenEndsAsATimeoutFailureAndALateReportIsRefused() throws Exception {
        engine.enqueue(JobSpec.of("slow").withTimeout(Duration.ofSeconds(60)));
        Job leased = acquireOne("py-1");
        var token = leased.leaseToken().orElseThrow();

        clock.advance(Duration.ofSeconds(25));
        assertThat(remote.heartbeat(leased.id(), token, LEASE, OptionalInt.empty(), Optional.empty())
                        .cancelRequested())
                .isFalse();
        clock.advance(Duration.ofSeconds(25));
        assertThat(remote.heartbeat(leased.id(), token, LEASE, OptionalInt.empty(), Optional.empty())
                        .cancelRequested())
                .isFalse();
        clock.advance(Duration.ofSeconds(10)); // exactly at the timeout
        HeartbeatResult told = remote.heartbeat(leased.id(), token, LEASE, OptionalInt.of(90), Optional.empty());
        assertThat(told.cancelRequested()).isTrue();
        assertThat(told.cancelReason())
                .hasValueSatisfying(reason -> assertThat(reason)
                        .contains("ran past its timeout of PT1M")
                        .contains("grace of " + GRACE));
        assertThat(remote.heartbeat(leased.id(), token, LEASE, OptionalInt.empty(), Optional.empty())
                        .cancelRequested())
                .as("still told while the grace lasts")
                .isTrue();
        assertThat(engine.get(leased.id()).orElseThrow()).isRunning();

        clock.advance(GRACE);
        assertThatThrownBy(() -> remote.heartbeat(leased.id(), token, LEASE, OptionalInt.empty(), Optional.empty()))
                .isInstanceOf(LeaseLostException.class)
                .hasMessageContaining("recorded as a Timeout failure");
        Job timedOut = engine.get(leased.id()).orElseThrow();
        assertThat(timedOut).isRetrying().hasAttempts(1);
        assertThat(timedOut.lastError().orElseThrow().type()).isEqualTo(JobError.TIMEOUT);
        assertThat(timedOut.lastError().orElseThrow().message())
                .as("the timeout set, not the time it ran")
                .isEqualTo("the attempt ran longer than its timeout of PT1M (60000 ms)");
        assertThat(timedOut.runAt())
                .as("retried by its policy")
                .isEqualTo(clock.instant().plusSeconds(10));

        assertThatThrownBy(() -> remote.complete(leased.id(), token, Optional.empty()))
                .isInstanceOf(LeaseLostException.class);
        assertThat(engine.get(leased.id()).orElseThrow()).isRetrying().hasAttempts(1);
    }

    @Test
    void aCompleteOrFailArrivingAfterTheTimeoutRecordsATimeoutInstead() throws Exception {
        engine.enqueueAll(List.of(
                JobSpec.of("slow").withTimeout(Duration.ofSeconds(5)),
                JobSpec.of("slow").withTimeout(Duration.ofSeconds(5))));
        Job completing = acquireOne("py-1");
        Job failing = acquireOne("py-2");
        clock.advance(Duration.ofSeconds(5));

        assertThatThrownBy(() -> remote.complete(
                        completing.id(), completing.leaseToken().orElseThrow(), Optional.of(new TextNode("late"))))
                .isInstanceOf(LeaseLostException.class)
                .hasMessageContaining("timeout of PT5S");
        assertThatThrownBy(() -> remote.fail(
                        failing.id(),
                        failing.leaseToken().orElseThrow(),
                        JobError.of("Boom", "late"),
                        true,
                        Optional.empty()))
                .isInstanceOf(LeaseLostException.class);
        for (Job job : List.of(completing, failing)) {
            Job now = engine.get(job.id()).orElseThrow();
            assertThat(now).isRetrying();
            assertThat(now.result()).isEmpty();
            assertThat(now.lastError().orElseThrow().type()).isEqualTo(JobError.TIMEOUT);
        }
    }

    @Test
    void theDeadlineIsTheStoresSoItHoldsOnAnotherServerAndAfterARestart() throws Exception {
        engine.enqueue(JobSpec.of("slow").withTimeout(Duration.ofSeconds(20)));
        Job leased = acquireOne("py-1");
        engine.close();
        // Another engine on the same store, as after a restart or behind a load balancer.
        engine = JobEngine.builder().clock(clock).store(store).build();
        remote = engine.remoteWorkers();

        clock.advance(Duration.ofSeconds(20).plus(GRACE));
        assertThatThrownBy(() -> remote.heartbeat(
                        leased.id(), leased.leaseToken().orElseThrow(), LEASE, OptionalInt.empty(), Optional.empty()))
                .isInstanceOf(LeaseLostException.class);
        assertThat(engine.get(leased.id())
                        .orElseThrow()
                        .lastError()
                        .orElseThrow()
                        .type())
                .isEqualTo(JobError.TIMEOUT);
    }

    @Test
    void remoteWorkerRunsAJobAndTheEngineHearsOfIt() throws Exception {
        Job created = engine.enqueue(JobSpec.of("resize", "{\"w\":10}"));

        Job leased = acquireOne("py-1");
        assertThat(leased).isRunning().hasAttempts(1);
        assertThat(leased.leaseOwner()).contains("py-1");
        Job done = remote.complete(leased.id(), leased.leaseToken().orElseThrow(), Optional.of(new TextNode("ok")));

        assertThat(done).isSucceeded().hasResultJson("\"ok\"");
        assertThat(events).extracting(JobEvent::kind).contains(JobEvent.Kind.STARTED, JobEvent.Kind.SUCCEEDED);
        assertThat(engine.workers()).singleElement().satisfies(w -> {
            assertThat(w.id()).isEqualTo("py-1");
            assertThat(w.host()).isEqualTo("host-1");
            assertThat(w.expiresAt()).isEqualTo(clock.instant().plus(LEASE).plus(LEASE.dividedBy(3)));
        });
        assertThat(created.id()).isEqualTo(done.id());
    }

    @Test
    void heartbeatExtendsTheLeaseStoresProgressAndKeepsTheWorkerAlive() throws Exception {
        engine.enqueue(JobSpec.of("long"));
        Job leased = acquireOne("py-1");
        clock.advance(Duration.ofSeconds(25));

        HeartbeatResult beat = remote.heartbeat(
                leased.id(), leased.leaseToken().orElseThrow(), LEASE, OptionalInt.of(40), Optional.of("half"));
        clock.advance(Duration.ofSeconds(25));
        JobsTesting.runMaintenance(engine);

        assertThat(beat.leaseExpiresAt())
                .isEqualTo(clock.instant().minusSeconds(25).plus(LEASE));
        assertThat(beat.cancelRequested()).isFalse();
        Job now = engine.get(leased.id()).orElseThrow();
        assertThat(now).isRunning();
        assertThat(now.progress()).isEqualTo(40);
        assertThat(now.progressMessage()).contains("half");
        assertThat(engine.workers()).extracting(WorkerInfo::alive).containsExactly(true);
    }

    @Test
    void heartbeatTellsTheWorkerWhenCancellationWasAsked() throws Exception {
        Job job = engine.enqueue(JobSpec.of("long"));
        Job leased = acquireOne("py-1");
        engine.cancel(job.id());

        HeartbeatResult beat = remote.heartbeat(
                leased.id(), leased.leaseToken().orElseThrow(), LEASE, OptionalInt.empty(), Optional.empty());

        assertThat(beat.cancelRequested()).isTrue();
        // The worker stops and reports it: the job ends cancelled, with the worker's words.
        Job ended = remote.fail(
                leased.id(),
                leased.leaseToken().orElseThrow(),
                JobError.of("Cancelled", "stopped at step 3 on request"),
                true,
                Optional.empty());
        JobAssert.assertThat(ended).isCancelled();
        assertThat(ended.lastError().orElseThrow().message()).isEqualTo("stopped at step 3 on request");
    }

    @Test
    void failureRetriesByPolicyUnlessTheWorkerSaysNotOrTheTypeIsNonRetryable() throws Exception {
        Job byPolicy = engine.enqueue(JobSpec.of("a"));
        Job notRetryable = engine.enqueue(JobSpec.of("a"));
        Job badInput = engine.enqueue(JobSpec.of("a"));
        Job retryAfter = engine.enqueue(JobSpec.of("a"));
        List<Job> leased = remote.acquire("py-1", "h", DEFAULT, 4, LEASE, Duration.ZERO);
        assertThat(leased)
                .extracting(Job::id)
                .containsExactly(byPolicy.id(), notRetryable.id(), badInput.id(), retryAfter.id());

        Job first = remote.fail(
                byPolicy.id(), token(leased, 0), JobError.of("Timeout", "upstream slow"), true, Optional.empty());
        Job second =
                remote.fail(notRetryable.id(), token(leased, 1), JobError.of("Crash", "no"), false, Optional.empty());
        Job third = remote.fail(badInput.id(), token(leased, 2), JobError.of("BadInput", "x"), true, Optional.empty());
        Job fourth = remote.fail(
                retryAfter.id(),
                token(leased, 3),
                JobError.of("RateLimited", "429"),
                true,
                Optional.of(Duration.ofMinutes(2)));

        assertThat(first).isRetrying().hasLastErrorContaining("upstream slow");
        assertThat(first.runAt()).isEqualTo(clock.instant().plusSeconds(10));
        assertThat(second).isFailed();
        assertThat(third).isFailed();
        assertThat(fourth).isRetrying();
        assertThat(fourth.runAt()).isEqualTo(clock.instant().plus(Duration.ofMinutes(2)));
    }

    @Test
    void aWorkerThatLostItsLeaseCannotRecordAnOutcome() throws Exception {
        engine.enqueue(JobSpec.of("a"));
        Job first = acquireOne("py-1");
        clock.advance(LEASE.plusSeconds(20));
        JobsTesting.runMaintenance(engine);
        clock.advance(Duration.ofSeconds(10)); // the retry policy's delay
        Job second = acquireOne("py-2");

        assertThatThrownBy(() -> remote.complete(first.id(), first.leaseToken().orElseThrow(), Optional.empty()))
                .isInstanceOf(LeaseLostException.class);
        assertThatThrownBy(() -> remote.heartbeat(
                        first.id(), first.leaseToken().orElseThrow(), LEASE, OptionalInt.empty(), Optional.empty()))
                .isInstanceOf(LeaseLostException.class);
        assertThat(remote.complete(second.id(), second.leaseToken().orElseThrow(), Optional.empty()))
                .isSucceeded()
                .hasAttempts(2);
    }

    @Test
    void longPollReturnsAsSoonAsAJobIsCreatedAndEmptyWhenNoneComes() throws Exception {
        assertThat(remote.acquire("py-1", "h", DEFAULT, 5, LEASE, Duration.ofMillis(50)))
                .isEmpty();

        var executor = Executors.newVirtualThreadPerTaskExecutor();
        try {
            // The poll waits thirty seconds unless woken; the creation wakes it in milliseconds, so an
            // answer within a third of the poll can only come from the wake-up.
            Duration poll = JobLimits.MAX_ACQUIRE_WAIT;
            var waiting = executor.submit(() -> remote.acquire("py-1", "h", DEFAULT, 5, LEASE, poll));
            Job created = engine.enqueue(JobSpec.of("a"));
            assertThat(waiting.get(poll.dividedBy(3).toSeconds(), TimeUnit.SECONDS))
                    .extracting(Job::id)
                    .containsExactly(created.id());
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void argumentsOutOfRangeAreRejectedBeforeAnythingIsTaken() {
        engine.enqueue(JobSpec.of("a"));

        assertThat(rejectedField(() -> remote.acquire("py-1", "h", DEFAULT, 101, LEASE, Duration.ZERO)))
                .isEqualTo("limit");
        assertThat(rejectedField(() -> remote.acquire("py-1", "h", DEFAULT, 1, Duration.ofHours(2), Duration.ZERO)))
                .isEqualTo("lease");
        assertThat(rejectedField(() -> remote.acquire("py-1", "h", DEFAULT, 1, LEASE, Duration.ofMinutes(1))))
                .isEqualTo("wait");
        assertThat(rejectedField(() -> remote.acquire("", "h", DEFAULT, 1, LEASE, Duration.ZERO)))
                .isEqualTo("workerId");
        assertThat(rejectedField(() -> remote.acquire("py-1", "h", Set.of("Bad Queue"), 1, LEASE, Duration.ZERO)))
                .isEqualTo("queues");
        assertThat(engine.counts())
                .singleElement()
                .satisfies(
                        c -> assertThat(c.count(dev.jobs.core.JobState.READY)).isEqualTo(1));
    }

    /** The one field a call was refused for, with a message that says what is allowed. */
    private static String rejectedField(ThrowingCallable call) {
        var thrown = catchThrowableOfType(JobValidationException.class, call);
        assertThat(thrown).as("a JobValidationException").isNotNull();
        assertThat(thrown.errors())
                .singleElement()
                .satisfies(e -> assertThat(e.message()).startsWith("must "));
        return thrown.errors().get(0).field();
    }

    private static java.util.UUID token(List<Job> jobs, int index) {
        return jobs.get(index).leaseToken().orElseThrow();
    }
}
