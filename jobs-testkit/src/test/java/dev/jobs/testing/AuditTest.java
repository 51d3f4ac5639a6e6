package dev.jobs.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.jobs.core.Attempt;
import dev.jobs.core.Job;
import dev.jobs.core.JobState;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** A retry takes its place in the claim order when its backoff is over, not when the run before it ended. */
class AuditTest {
    private static final Instant T0 = Instant.parse("2026-12-07T10:00:00Z");
    private static final Duration BACKOFF = Duration.ofMillis(10);
    /** Measured only: the retry also waits through a stall here, which is beside the point. */
    private static final Optional<Deadline> DEADLINE = Optional.empty();

    @Test
    void workCreatedWithinARetrysBackoffIsAheadOfItNotPassingItOver() {
        Audit.Tally tally = new Audit.Tally(Set.of(), DEADLINE, BACKOFF);
        measure(tally, retriedAfter(100, 5_000), "created");
        // Created 5 ms after the first run failed: ahead of the retry, due 10 ms after it failed.
        measure(tally, ranOnce(105, 200), "created");

        Audit audit = tally.result(2, 3);

        assertThat(audit.longestPassedOver()).isZero();
        assertThat(audit.passedOverLongest()).isEmpty();
    }

    @Test
    void withoutTheBackoffTheSameRunsReadAsARetryPassedOver() {
        Audit.Tally tally = new Audit.Tally(Set.of(), DEADLINE, Duration.ZERO);
        measure(tally, retriedAfter(100, 5_000), "created");
        measure(tally, ranOnce(105, 200), "created");

        Audit audit = tally.result(2, 3);

        assertThat(audit.longestPassedOver()).isEqualTo(Duration.ofMillis(4_800));
        assertThat(audit.passedOverLongest())
                .hasValueSatisfying(
                        run -> assertThat(run).contains("attempt 2").contains("attempt 1 ended FAILED on worker-1"));
    }

    private static void measure(Audit.Tally tally, Job job, String becameReady) {
        tally.measureWaits(job, job.createdAt(), becameReady);
    }

    /** A job created at T0 whose first run failed at {@code failedMs}; its retry started at {@code retriedMs}. */
    private static Job retriedAfter(long failedMs, long retriedMs) {
        return job(
                T0,
                List.of(
                        new Attempt(1, "worker-1", T0, at(failedMs), Attempt.Outcome.FAILED, Optional.empty()),
                        new Attempt(
                                2,
                                "worker-1",
                                at(retriedMs),
                                at(retriedMs + 50),
                                Attempt.Outcome.SUCCEEDED,
                                Optional.empty())));
    }

    private static Job ranOnce(long createdMs, long startedMs) {
        return job(
                at(createdMs),
                List.of(new Attempt(
                        1,
                        "worker-2",
                        at(startedMs),
                        at(startedMs + 50),
                        Attempt.Outcome.SUCCEEDED,
                        Optional.empty())));
    }

    private static Job job(Instant createdAt, List<Attempt> attempts) {
        return Job.builder()
                .id(UUID.randomUUID())
                .type("t")
                .payload(JsonNodeFactory.instance.objectNode())
                .state(JobState.SUCCEEDED)
                .runAt(createdAt)
                .createdAt(createdAt)
                .updatedAt(createdAt)
                .attempts(attempts)
                .build();
    }

    private static Instant at(long ms) {
        return T0.plusMillis(ms);
    }
}
