package dev.jobs.core;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Optional;

/**
 * When a recurring job's occurrences fall: a cron expression in a time zone, or a fixed interval.
 * Occurrences are instants computed from the schedule alone, never from when an engine happened to
 * look, so every instance of a cluster arrives at the same ones.
 *
 * <p>Immutable and thread-safe.
 */
public sealed interface Schedule permits CronSchedule, IntervalSchedule {
    /**
     * A cron expression of five fields (minute, hour, day of month, month, day of week) or six
     * (second first), read in {@code zone}; see {@link CronSchedule} for the syntax and for what
     * happens on the days clocks change.
     *
     * @throws JobValidationException naming the field that is wrong, or if the expression never
     *     matches a date (such as the 30th of February)
     */
    static CronSchedule cron(String expression, ZoneId zone) {
        return CronSchedule.parse(expression, zone);
    }

    /**
     * Every {@code interval}, at the instants {@code anchor + k * interval}.
     *
     * @throws JobValidationException if the interval is shorter than a second
     */
    static IntervalSchedule every(Duration interval, Instant anchor) {
        return new IntervalSchedule(interval, anchor);
    }

    /** Every {@code interval}, counted from the epoch (so every hour falls on the hour, in UTC). */
    static IntervalSchedule every(Duration interval) {
        return new IntervalSchedule(interval, Instant.EPOCH);
    }

    /** The first occurrence strictly after {@code instant}; empty when there is none. */
    Optional<Instant> nextAfter(Instant instant);

    /** The schedule as a person would write it: the expression and zone, or the interval. */
    String describe();
}
