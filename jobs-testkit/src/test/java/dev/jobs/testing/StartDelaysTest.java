package dev.jobs.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** A backlog is no delay; a job passed over, or left waiting while nothing starts, is. */
class StartDelaysTest {
    private static final Instant T0 = Instant.parse("2026-12-03T10:00:00Z");
    /** A deadline of three seconds: a term of one second and the least margin, two. */
    private static final Optional<Deadline> THREE_SECONDS = Optional.of(Deadline.of("a term", Duration.ofSeconds(1)));

    private final StartDelays delays = new StartDelays();

    /** A run queued {@code queuedMs} after T0, ready {@code readyMs} after it, started at {@code startedMs}. */
    private UUID run(long queuedMs, long readyMs, long startedMs) {
        UUID job = UUID.randomUUID();
        delays.add(new StartDelays.Run(job, 1, at(queuedMs), at(readyMs), at(startedMs), "worker-0", "created"));
        return job;
    }

    private static Instant at(long ms) {
        return T0.plusMillis(ms);
    }

    @Test
    void aBacklogDrainedInClaimOrderIsNeverLate() {
        // A hundred jobs ready at once, one started every 100 ms: the last waits ten seconds.
        for (int i = 0; i < 100; i++) {
            run(i, 0, 100L * i);
        }

        StartDelays.Verdict verdict = delays.judge(THREE_SECONDS, 10);

        assertThat(verdict.late()).isZero();
        assertThat(verdict.problems()).isEmpty();
        assertThat(verdict.longestPassedOver()).isZero();
        assertThat(verdict.longestStall()).isEqualTo(Duration.ofMillis(100));
    }

    @Test
    void aJobPassedOverByWorkQueuedBehindItIsLate() {
        UUID forgotten = run(0, 0, 9_000);
        for (int i = 1; i <= 80; i++) {
            run(i, 0, 100L * i);
        }

        StartDelays.Verdict verdict = delays.judge(THREE_SECONDS, 10);

        assertThat(verdict.late()).isEqualTo(1);
        assertThat(verdict.longestPassedOver()).isEqualTo(Duration.ofMillis(8_900));
        assertThat(verdict.problems()).singleElement().asString().startsWith(forgotten + ": attempt 1");
    }

    @Test
    void aLateRunSaysHowItBecameReadyAndWhatTheDeadlineIsMadeOf() {
        UUID forgotten = UUID.randomUUID();
        delays.add(new StartDelays.Run(
                forgotten,
                2,
                at(0),
                at(0),
                at(9_000),
                "worker-2",
                "attempt 1 ended FAILED on worker-1, a worker a fault hit"));
        for (int i = 1; i <= 80; i++) {
            run(i, 0, 100L * i);
        }

        StartDelays.Verdict verdict = delays.judge(THREE_SECONDS, 10);

        assertThat(verdict.problems())
                .singleElement()
                .asString()
                .contains("attempt 1 ended FAILED on worker-1, a worker a fault hit")
                .contains("8.900 s after its turn came at " + at(0) + " and work queued behind it started, first ")
                .contains("queued at " + at(1) + ", ready at " + at(0) + " (created), started at " + at(100))
                .endsWith("deadline 3.0 s = a term 1.0 s + margin 2.0 s");
        assertThat(verdict.passedOverLongest())
                .hasValueSatisfying(run -> assertThat(run).startsWith(forgotten + ": attempt 2"));
    }

    @Test
    void oneRunThatWentAheadOfABacklogMakesNoneOfItLate() {
        // A hundred jobs drained in order over ten seconds; one queued after all of them started
        // first (its claim lapsed and it went back early, say).
        for (int i = 0; i < 100; i++) {
            run(i, 0, 100L * i);
        }
        run(200, 0, 50);

        StartDelays.Verdict verdict = delays.judge(THREE_SECONDS, 10);

        assertThat(verdict.late()).isZero();
        assertThat(verdict.longestPassedOver())
                .as("only the run whose turn came just before it was passed over, by 50 ms")
                .isEqualTo(Duration.ofMillis(50));
    }

    @Test
    void aJobForgottenInTheMiddleOfABacklogIsLateFromItsTurn() {
        for (int i = 0; i < 100; i++) {
            if (i != 50) {
                run(i, 0, 100L * i);
            }
        }
        UUID forgotten = run(50, 0, 20_000);

        StartDelays.Verdict verdict = delays.judge(THREE_SECONDS, 10);

        assertThat(verdict.late())
                .as("passed over, then waited through the stall once the backlog was done")
                .isEqualTo(2);
        assertThat(verdict.longestPassedOver())
                .as("from the first start behind it once the run before it had started")
                .isEqualTo(Duration.ofMillis(20_000 - 5_100));
        assertThat(verdict.problems())
                .first()
                .asString()
                .startsWith(forgotten + ": attempt 1")
                .contains("after its turn came at " + at(4_900));
    }

    @Test
    void workQueuedBehindThatStartedBeforeTheJobWasReadyDoesNotCount() {
        // A graph's child, queued first but ready only when its parent ends at 5 s.
        run(0, 5_000, 5_050);
        for (int i = 1; i <= 50; i++) {
            run(i, 0, 100L * i);
        }

        assertThat(delays.judge(THREE_SECONDS, 10).late()).isZero();
    }

    @Test
    void runsQueuedInOneMillisecondAreNotOrderedAgainstEachOther() {
        run(0, 0, 1_900);
        run(0, 0, 0);
        run(0, 0, 100);

        StartDelays.Verdict verdict = delays.judge(THREE_SECONDS, 10);

        assertThat(verdict.longestPassedOver()).isZero();
    }

    @Test
    void readyJobsWaitingWhileNothingStartsAreLate() {
        run(0, 0, 0);
        UUID waiting = run(1, 500, 6_000);
        run(2, 600, 6_010);
        run(3, 7_000, 7_000);

        StartDelays.Verdict verdict = delays.judge(THREE_SECONDS, 10);

        assertThat(verdict.longestStall()).isEqualTo(Duration.ofMillis(5_500));
        assertThat(verdict.late())
                .as("the run ready at 0.6 s did not wait through all of it")
                .isEqualTo(1);
        assertThat(verdict.problems())
                .singleElement()
                .asString()
                .startsWith("no run started for 5.500 s from " + at(500))
                .contains(waiting.toString());
    }

    @Test
    void withoutADeadlineTheDelaysAreOnlyMeasured() {
        run(0, 0, 9_000);
        run(1, 0, 100);

        StartDelays.Verdict verdict = delays.judge(Optional.empty(), 10);

        assertThat(verdict.late()).isZero();
        assertThat(verdict.longestPassedOver()).isEqualTo(Duration.ofMillis(8_900));
        assertThat(verdict.longestStall()).isEqualTo(Duration.ofMillis(8_900));
    }
}
