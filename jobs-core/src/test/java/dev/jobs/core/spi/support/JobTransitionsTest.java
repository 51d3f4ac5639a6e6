package dev.jobs.core.spi.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.jobs.core.Attempt;
import dev.jobs.core.InvalidTransitionException;
import dev.jobs.core.Job;
import dev.jobs.core.JobError;
import dev.jobs.core.JobLimits;
import dev.jobs.core.JobState;
import dev.jobs.core.LeaseLostException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Each of {@link JobTransitions}' moves from a job in every state: it succeeds exactly where {@link
 * JobState}'s table allows the move and is refused everywhere else, and what it derives (attempts,
 * lease, history, timestamps) is what every store then writes.
 */
class JobTransitionsTest {
    private static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");
    private static final UUID TOKEN = UUID.randomUUID();
    private static final JobError BOOM = JobError.of("Boom", "it broke");

    private static Job in(JobState state) {
        var job = Job.builder()
                .id(UUID.randomUUID())
                .queue("q")
                .type("t")
                .payload(JsonNodeFactory.instance.objectNode())
                .state(state)
                .runAt(NOW.minusSeconds(10))
                .attempt(state == JobState.RUNNING ? 2 : 1)
                .maxAttempts(3)
                .createdAt(NOW.minusSeconds(60))
                .updatedAt(NOW.minusSeconds(60));
        if (state == JobState.RUNNING) {
            job.lease("worker-1", TOKEN, NOW.plusSeconds(30)).startedAt(NOW.minusSeconds(5));
        }
        return job.build();
    }

    private static final Set<JobState> RUNNING = EnumSet.of(JobState.RUNNING);
    private static final Set<JobState> PENDING = EnumSet.of(JobState.PENDING);
    private static final Set<JobState> CLAIMABLE = EnumSet.of(JobState.READY, JobState.SCHEDULED, JobState.RETRYING);
    private static final Set<JobState> UNFINISHED =
            EnumSet.of(JobState.PENDING, JobState.SCHEDULED, JobState.READY, JobState.RUNNING, JobState.RETRYING);

    /** One move: the states it starts from, the state it aims at. */
    private record Move(String name, Set<JobState> from, JobState target, Function<Job, Job> apply) {}

    private static final List<Move> MOVES = List.of(
            new Move(
                    "acquired",
                    CLAIMABLE,
                    JobState.RUNNING,
                    j -> JobTransitions.acquired(j, "w", UUID.randomUUID(), Duration.ofSeconds(30), NOW)),
            new Move("succeeded", RUNNING, JobState.SUCCEEDED, j -> JobTransitions.succeeded(j, Optional.empty(), NOW)),
            new Move(
                    "failed to retry",
                    RUNNING,
                    JobState.RETRYING,
                    j -> JobTransitions.failed(j, BOOM, Optional.of(NOW.plusSeconds(5)), NOW)),
            new Move(
                    "failed for good",
                    RUNNING,
                    JobState.FAILED,
                    j -> JobTransitions.failed(j, BOOM, Optional.empty(), NOW)),
            new Move("cancelled", UNFINISHED, JobState.CANCELLED, j -> JobTransitions.cancelled(j, BOOM, NOW)),
            new Move("snoozed", RUNNING, JobState.SCHEDULED, j -> JobTransitions.snoozed(j, NOW.plusSeconds(60), NOW)),
            new Move("snoozed to now", RUNNING, JobState.READY, j -> JobTransitions.snoozed(j, NOW, NOW)),
            new Move("lapsed", RUNNING, JobState.RETRYING, j -> JobTransitions.lapsed(j, Optional.of(NOW), NOW)),
            new Move(
                    "abandoned",
                    RUNNING,
                    JobState.FAILED,
                    j -> JobTransitions.abandoned(j, NOW.minusSeconds(30), Optional.empty(), NOW)),
            new Move("released", RUNNING, JobState.READY, j -> JobTransitions.released(j, NOW)),
            new Move("promoted", EnumSet.of(JobState.SCHEDULED), JobState.READY, j -> JobTransitions.promoted(j, NOW)),
            new Move(
                    "settled ready",
                    PENDING,
                    JobState.READY,
                    j -> JobTransitions.settled(j, JobState.READY, Optional.empty(), NOW)),
            new Move(
                    "settled scheduled",
                    PENDING,
                    JobState.SCHEDULED,
                    j -> JobTransitions.settled(j, JobState.SCHEDULED, Optional.empty(), NOW)),
            new Move(
                    "settled cancelled",
                    PENDING,
                    JobState.CANCELLED,
                    j -> JobTransitions.settled(j, JobState.CANCELLED, Optional.empty(), NOW)),
            new Move(
                    "reopened ready",
                    EnumSet.of(JobState.FAILED, JobState.CANCELLED),
                    JobState.READY,
                    j -> JobTransitions.reopened(j, JobState.READY, NOW)),
            new Move(
                    "reopened pending",
                    EnumSet.of(JobState.CANCELLED),
                    JobState.PENDING,
                    j -> JobTransitions.reopened(j, JobState.PENDING, NOW)));

    /**
     * A move is made only from the states it starts from, each of which the table allows; from any
     * other state it is refused, even where the table allows the target from there (a scheduled job
     * cannot be "released", which would record a run it never had).
     */
    @Test
    void everyMoveFromEveryStateIsAllowedExactlyFromItsOwnStates() {
        for (Move move : MOVES) {
            for (JobState from : move.from()) {
                assertThat(from.canTransitionTo(move.target()))
                        .as(move.name() + ": the table allows " + from + " -> " + move.target())
                        .isTrue();
            }
            for (JobState from : JobState.values()) {
                Job job = in(from);
                if (move.from().contains(from)) {
                    assertThat(move.apply().apply(job).state())
                            .as(move.name() + " from " + from)
                            .isEqualTo(move.target());
                } else {
                    assertThatThrownBy(() -> move.apply().apply(job))
                            .as(move.name() + " from " + from)
                            .isInstanceOf(InvalidTransitionException.class)
                            .hasMessageContaining(job.id().toString());
                }
            }
        }
    }

    @Test
    void anAcquiredJobCountsAnAttemptUnderAFreshLease() {
        Job ready = in(JobState.READY);
        UUID token = UUID.randomUUID();
        Job running = JobTransitions.acquired(ready, "w-7", token, Duration.ofSeconds(30), NOW);
        assertThat(running.attempt()).isEqualTo(ready.attempt() + 1);
        assertThat(running.leaseToken()).contains(token);
        assertThat(running.leaseOwner()).contains("w-7");
        assertThat(running.leaseExpiresAt()).contains(NOW.plusSeconds(30));
        assertThat(running.startedAt()).contains(NOW);
    }

    @Test
    void everyWayOutOfRunningClearsTheLeaseAndRecordsTheRun() {
        for (Move move : MOVES) {
            if (!move.from().contains(JobState.RUNNING) || move.name().equals("cancelled")) {
                continue;
            }
            Job running = in(JobState.RUNNING);
            Job after = move.apply().apply(running);
            assertThat(after.leaseToken()).as(move.name()).isEmpty();
            assertThat(after.leaseOwner()).as(move.name()).isEmpty();
            assertThat(after.attempts()).as(move.name()).hasSize(1);
            Attempt run = after.attempts().get(0);
            assertThat(run.worker()).as(move.name()).isEqualTo("worker-1");
            assertThat(run.number()).as(move.name()).isEqualTo(2);
        }
    }

    @Test
    void aSnoozeOrAReleaseDoesNotCountTheAttempt() {
        Job running = in(JobState.RUNNING);
        assertThat(JobTransitions.snoozed(running, NOW.plusSeconds(5), NOW).attempt())
                .isEqualTo(1);
        assertThat(JobTransitions.released(running, NOW).attempt()).isEqualTo(1);
        assertThat(JobTransitions.failed(running, BOOM, Optional.empty(), NOW).attempt())
                .isEqualTo(2);
    }

    @Test
    void theHistoryKeepsTheNewestRunsOnly() {
        var history = new ArrayList<Attempt>();
        for (int i = 1; i <= JobLimits.MAX_ATTEMPT_HISTORY; i++) {
            history.add(new Attempt(i, "w", NOW, NOW, Attempt.Outcome.FAILED, Optional.of(BOOM)));
        }
        Job running = in(JobState.RUNNING).toBuilder()
                .attempt(JobLimits.MAX_ATTEMPT_HISTORY + 1)
                .attempts(history)
                .build();
        Job failed = JobTransitions.failed(running, BOOM, Optional.empty(), NOW);
        assertThat(failed.attempts()).hasSize(JobLimits.MAX_ATTEMPT_HISTORY);
        assertThat(failed.attempts().get(0).number()).isEqualTo(2);
        assertThat(failed.attempts().get(JobLimits.MAX_ATTEMPT_HISTORY - 1).number())
                .isEqualTo(JobLimits.MAX_ATTEMPT_HISTORY + 1);
    }

    @Test
    void aLeaseIsHonouredOnlyWhileTheJobRunsUnderIt() {
        Job running = in(JobState.RUNNING);
        assertThat(JobTransitions.requireLease(Optional.of(running), running.id(), TOKEN))
                .isSameAs(running);
        assertThatThrownBy(() -> JobTransitions.requireLease(Optional.of(running), running.id(), UUID.randomUUID()))
                .isInstanceOf(LeaseLostException.class)
                .hasMessageContaining("worker-1");
        Job done = JobTransitions.succeeded(running, Optional.empty(), NOW);
        assertThatThrownBy(() -> JobTransitions.requireLease(Optional.of(done), done.id(), TOKEN))
                .isInstanceOf(LeaseLostException.class)
                .hasMessageContaining("SUCCEEDED");
        assertThatThrownBy(() -> JobTransitions.requireLease(Optional.empty(), done.id(), TOKEN))
                .isInstanceOf(LeaseLostException.class)
                .hasMessageContaining("no longer exists");
    }

    @Test
    void aLapsedJobThatWasAskedToCancelEndsCancelled() {
        Job running = in(JobState.RUNNING);
        assertThat(JobTransitions.lapsed(running, Optional.of(NOW), NOW).state())
                .isEqualTo(JobState.RETRYING);
        assertThat(JobTransitions.lapsed(running, Optional.empty(), NOW).state())
                .isEqualTo(JobState.FAILED);
        Job asked = JobTransitions.cancelRequested(running, NOW);
        Job lapsed = JobTransitions.lapsed(asked, Optional.of(NOW), NOW);
        assertThat(lapsed.state()).isEqualTo(JobState.CANCELLED);
        assertThat(lapsed.lastError().orElseThrow().type()).isEqualTo(JobError.LEASE_EXPIRED);
    }

    @Test
    void aRetriedJobHasAnAttemptLeft() {
        Job failed = in(JobState.FAILED).toBuilder().attempt(3).maxAttempts(3).build();
        Job reopened = JobTransitions.reopened(failed, JobState.READY, NOW);
        assertThat(reopened.maxAttempts()).isEqualTo(4);
        assertThat(reopened.finishedAt()).isEmpty();
        assertThat(reopened.runAt()).isEqualTo(NOW);
    }
}
