package dev.jobs.core;

import java.time.Instant;
import java.util.Objects;

/**
 * How many jobs finished in one minute, for throughput charts.
 *
 * @param minute the minute's start, in UTC
 * @param succeeded jobs that succeeded in it
 * @param failed jobs that failed for good in it
 */
public record FinishedInMinute(Instant minute, long succeeded, long failed) {
    public FinishedInMinute {
        Objects.requireNonNull(minute, "minute");
    }
}
