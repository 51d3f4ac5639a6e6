package dev.jobs.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScheduleTest {
    private static final ZoneId UTC = ZoneOffset.UTC;
    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    @Test
    void fiveFieldsStepThroughTheHourAndSixStartWithTheSecond() {
        assertThat(next("*/15 * * * *", UTC, "2026-12-02T10:07:00Z")).isEqualTo("2026-12-02T10:15:00Z");
        assertThat(next("*/15 * * * *", UTC, "2026-12-02T10:15:00Z"))
                .as("strictly after")
                .isEqualTo("2026-12-02T10:30:00Z");
        assertThat(next("*/15 * * * *", UTC, "2026-12-02T23:59:59.5Z")).isEqualTo("2026-12-03T00:00:00Z");
        assertThat(next("30 * * * * *", UTC, "2026-12-02T10:07:31Z")).isEqualTo("2026-12-02T10:08:30Z");
        assertThat(next("5/20 10-12 * * *", UTC, "2026-12-02T10:50:00Z")).isEqualTo("2026-12-02T11:05:00Z");
        assertThat(next("0 0 1,15 * *", UTC, "2026-12-02T00:00:00Z")).isEqualTo("2026-12-15T00:00:00Z");
        assertThat(next("@hourly", UTC, "2026-12-02T10:07:00Z")).isEqualTo("2026-12-02T11:00:00Z");
        assertThat(next("@yearly", UTC, "2026-12-02T10:07:00Z")).isEqualTo("2027-01-01T00:00:00Z");
    }

    @Test
    void namesRangesAndTheZoneOfTheExpression() {
        // Friday 2026-12-04 at ten in Berlin: the next weekday nine o'clock is Monday's.
        assertThat(next("0 9 * * mon-FRI", BERLIN, "2026-12-04T09:00:00Z")).isEqualTo("2026-12-07T08:00:00Z");
        assertThat(next("0 9 * * 7", UTC, "2026-12-02T00:00:00Z"))
                .as("7 is Sunday")
                .isEqualTo("2026-12-06T09:00:00Z");
        assertThat(next("0 0 * JUN *", UTC, "2026-12-02T00:00:00Z")).isEqualTo("2027-06-01T00:00:00Z");
    }

    @Test
    void bothDayFieldsRestrictedMatchEitherAsInCron() {
        List<Instant> runs = occurrences("0 9 1 * MON", UTC, "2026-11-29T00:00:00Z", 4);

        assertThat(runs)
                .containsExactly(
                        Instant.parse("2026-11-30T09:00:00Z"), // a Monday
                        Instant.parse("2026-12-01T09:00:00Z"), // the first, a Tuesday
                        Instant.parse("2026-12-07T09:00:00Z"),
                        Instant.parse("2026-12-14T09:00:00Z"));
        assertThat(occurrences("0 9 */1 * MON", UTC, "2026-11-29T00:00:00Z", 1))
                .as("a day of month starting with * does not restrict")
                .containsExactly(Instant.parse("2026-11-30T09:00:00Z"));
    }

    @Test
    void theTwentyNinthOfFebruaryWaitsForALeapYearAndTheThirtiethIsRefused() {
        assertThat(next("0 0 29 2 *", UTC, "2025-03-01T00:00:00Z")).isEqualTo("2028-02-29T00:00:00Z");
        assertThatThrownBy(() -> Schedule.cron("0 0 30 2 *", UTC))
                .isInstanceOf(JobValidationException.class)
                .hasMessageContaining("no date ever matches");
    }

    @Test
    void aLocalTimeTheClocksSkipHappensAsFarAfterTheChangeOnce() {
        // Berlin, 2026-03-29: 02:00 CET becomes 03:00 CEST.
        assertThat(occurrences("30 2 * * *", BERLIN, "2026-03-28T12:00:00Z", 2))
                .containsExactly(
                        OffsetDateTime.parse("2026-03-29T03:30+02:00").toInstant(),
                        OffsetDateTime.parse("2026-03-30T02:30+02:00").toInstant());
        List<Instant> quarterHours = occurrences("*/15 * * * *", BERLIN, "2026-03-29T00:50:00Z", 4);
        assertThat(quarterHours)
                .as("every quarter hour of real time, none twice")
                .containsExactly(
                        Instant.parse("2026-03-29T01:00:00Z"),
                        Instant.parse("2026-03-29T01:15:00Z"),
                        Instant.parse("2026-03-29T01:30:00Z"),
                        Instant.parse("2026-03-29T01:45:00Z"));
    }

    @Test
    void aLocalTimeTheClocksShowTwiceHappensOnceUnlessTheScheduleRunsEveryHour() {
        // Berlin, 2026-10-25: 03:00 CEST goes back to 02:00 CET, so 02:00-02:59 is shown twice.
        assertThat(occurrences("30 2 * * *", BERLIN, "2026-10-24T12:00:00Z", 2))
                .containsExactly(
                        OffsetDateTime.parse("2026-10-25T02:30+02:00").toInstant(),
                        OffsetDateTime.parse("2026-10-26T02:30+01:00").toInstant());

        List<Instant> hourly = occurrences("0 * * * *", BERLIN, "2026-10-24T21:59:00Z", 26);
        assertThat(hourly.subList(0, 25))
                .as("midnight to midnight that day is 25 hours, each with its run")
                .allSatisfy(run -> assertThat(run)
                        .isBetween(Instant.parse("2026-10-24T22:00:00Z"), Instant.parse("2026-10-25T22:00:00Z")));
        for (int i = 1; i < hourly.size(); i++) {
            assertThat(Duration.between(hourly.get(i - 1), hourly.get(i))).isEqualTo(Duration.ofHours(1));
        }
        assertThat(next("30 * * * *", BERLIN, "2026-10-25T00:40:00Z"))
                .as("from the first 02:40, the next is the second 02:30")
                .isEqualTo("2026-10-25T01:30:00Z");
    }

    @Test
    void mistakesAreRefusedNamingTheFieldAndWhatItAllows() {
        assertRefused("61 * * * *", "the minute field '61': 61 is outside 0-59");
        assertRefused("* * *", "has 3 fields; five are needed");
        assertRefused("0 0 L * *", "the day of month field 'L': 'L' is not a value: a number");
        assertRefused("0 0 * * 5-1", "the range 5-1 runs backwards");
        assertRefused("0 0 * * 1#2", "only numbers, names and * ? , - / are allowed");
        assertRefused("*/0 * * * *", "a step must be 1 or more");
        assertRefused("0 0 * FOO *", "'FOO' is not a value: a number or a name (JAN FEB");
        assertRefused("0 0 1,,2 * *", "a list has an empty element");
        assertRefused("@every 5m", "is not a macro this schedule knows");
        assertThatThrownBy(() -> Schedule.cron("0 * * * *", UTC).nextAfter(null))
                .isInstanceOf(NullPointerException.class);
    }

    @Test
    void intervalsCountRealTimeFromTheirAnchor() {
        IntervalSchedule quarterHours = Schedule.every(Duration.ofMinutes(15));
        assertThat(quarterHours.nextAfter(Instant.parse("2026-12-02T10:07:00Z")))
                .contains(Instant.parse("2026-12-02T10:15:00Z"));
        assertThat(quarterHours.nextAfter(Instant.parse("2026-12-02T10:15:00Z")))
                .contains(Instant.parse("2026-12-02T10:30:00Z"));

        IntervalSchedule anchored = Schedule.every(Duration.ofMinutes(10), Instant.parse("2026-12-02T10:03:00Z"));
        assertThat(anchored.nextAfter(Instant.parse("2026-12-02T09:00:00Z")))
                .as("before the anchor too")
                .contains(Instant.parse("2026-12-02T09:03:00Z"));
        assertThat(anchored.nextAfter(Instant.parse("2026-12-02T10:03:00Z")))
                .contains(Instant.parse("2026-12-02T10:13:00Z"));

        assertThatThrownBy(() -> Schedule.every(Duration.ofMillis(500)))
                .isInstanceOf(JobValidationException.class)
                .hasMessageContaining("interval: must be at least 1 s");
    }

    private static void assertRefused(String expression, String message) {
        assertThatThrownBy(() -> Schedule.cron(expression, UTC))
                .isInstanceOf(JobValidationException.class)
                .hasMessageContaining("cron: '" + expression + "' ")
                .hasMessageContaining(message);
    }

    private static String next(String expression, ZoneId zone, String after) {
        return Schedule.cron(expression, zone)
                .nextAfter(Instant.parse(after))
                .orElseThrow()
                .toString();
    }

    private static List<Instant> occurrences(String expression, ZoneId zone, String after, int count) {
        Schedule schedule = Schedule.cron(expression, zone);
        var runs = new ArrayList<Instant>();
        Instant at = Instant.parse(after);
        for (int i = 0; i < count; i++) {
            at = schedule.nextAfter(at).orElseThrow();
            runs.add(at);
        }
        return runs;
    }
}
