package dev.jobs.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MissedOccurrencesTest {
    private static final Duration GRACE = Duration.ofMinutes(1);
    private static final Schedule NIGHTLY = Schedule.cron("0 2 * * *", ZoneOffset.UTC);
    private static final Schedule HOURLY = Schedule.cron("@hourly", ZoneOffset.UTC);

    @Test
    void anOccurrenceJustDueIsCreatedUnderEveryPolicyAndNothingBeforeIt() {
        Instant since = at("2026-12-02T10:00:00Z");
        Schedule minutely = Schedule.cron("* * * * *", ZoneOffset.UTC);
        for (MissedOccurrences policy : MissedOccurrences.values()) {
            assertThat(policy.due(minutely, Optional.of(since), at("2026-12-02T10:00:30Z"), GRACE, 10))
                    .isEqualTo(new MissedOccurrences.Due(List.of(), Optional.of(since)));
            assertThat(policy.due(minutely, Optional.of(since), at("2026-12-02T10:01:00.5Z"), GRACE, 10))
                    .isEqualTo(new MissedOccurrences.Due(
                            List.of(at("2026-12-02T10:01:00Z")), Optional.of(at("2026-12-02T10:01:00Z"))));
        }
    }

    @Test
    void afterThreeDaysDownEachPolicyCreatesWhatItSays() {
        Optional<Instant> since = Optional.of(at("2026-12-01T02:00:00Z"));
        Instant now = at("2026-12-04T09:00:00Z");
        Optional<Instant> upTo = Optional.of(at("2026-12-04T02:00:00Z"));

        assertThat(MissedOccurrences.RUN_ONCE.due(NIGHTLY, since, now, GRACE, 10))
                .isEqualTo(new MissedOccurrences.Due(List.of(at("2026-12-04T02:00:00Z")), upTo));
        assertThat(MissedOccurrences.RUN_ALL.due(NIGHTLY, since, now, GRACE, 10).create())
                .containsExactly(at("2026-12-02T02:00:00Z"), at("2026-12-03T02:00:00Z"), at("2026-12-04T02:00:00Z"));
        assertThat(MissedOccurrences.RUN_ALL.due(NIGHTLY, since, now, GRACE, 2).create())
                .as("bounded: the latest ones")
                .containsExactly(at("2026-12-03T02:00:00Z"), at("2026-12-04T02:00:00Z"));
        assertThat(MissedOccurrences.SKIP.due(NIGHTLY, since, now, GRACE, 10))
                .as("dropped, yet passed: the next call starts after them")
                .isEqualTo(new MissedOccurrences.Due(List.of(), upTo));
    }

    @Test
    void missedOnesFollowThePolicyWhileTheOneOnTimeIsCreated() {
        Optional<Instant> since = Optional.of(at("2026-12-02T07:00:00Z"));
        Instant now = at("2026-12-02T10:00:20Z");

        assertThat(MissedOccurrences.RUN_ONCE.due(HOURLY, since, now, GRACE, 10).create())
                .containsExactly(at("2026-12-02T09:00:00Z"), at("2026-12-02T10:00:00Z"));
        assertThat(MissedOccurrences.SKIP.due(HOURLY, since, now, GRACE, 10).create())
                .containsExactly(at("2026-12-02T10:00:00Z"));
    }

    @Test
    void aScheduleSeenForTheFirstTimeMissesNothing() {
        Instant now = at("2026-12-02T10:00:30Z");

        assertThat(MissedOccurrences.RUN_ALL.due(HOURLY, Optional.empty(), now, GRACE, 10))
                .as("the 10:00 occurrence is within its grace")
                .isEqualTo(new MissedOccurrences.Due(
                        List.of(at("2026-12-02T10:00:00Z")), Optional.of(at("2026-12-02T10:00:00Z"))));
        assertThat(MissedOccurrences.RUN_ALL.due(HOURLY, Optional.empty(), at("2026-12-02T10:05:00Z"), GRACE, 10))
                .isEqualTo(new MissedOccurrences.Due(List.of(), Optional.empty()));
    }

    private static Instant at(String instant) {
        return Instant.parse(instant);
    }
}
