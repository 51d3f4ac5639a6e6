package dev.jobs.core;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Occurrences every {@code interval} at {@code anchor + k * interval} (for every whole {@code k}),
 * whatever the time zone's clocks do: a fixed interval counts real time.
 *
 * @param interval the time between occurrences, at least {@link #MIN_INTERVAL}
 * @param anchor one of the occurrences; the others are whole intervals before and after it
 */
public record IntervalSchedule(Duration interval, Instant anchor) implements Schedule {
    /** Occurrences are kept to whole seconds apart at the least: each one is a job. */
    public static final Duration MIN_INTERVAL = Duration.ofSeconds(1);

    public IntervalSchedule {
        Objects.requireNonNull(interval, "interval");
        Objects.requireNonNull(anchor, "anchor");
        if (interval.compareTo(MIN_INTERVAL) < 0) {
            throw JobValidationException.of(
                    "interval", "must be at least " + MIN_INTERVAL.toSeconds() + " s, was " + interval);
        }
    }

    @Override
    public Optional<Instant> nextAfter(Instant instant) {
        // dividedBy rounds toward zero: step to the first occurrence after the instant from there.
        Instant at = anchor.plus(
                interval.multipliedBy(Duration.between(anchor, instant).dividedBy(interval)));
        while (!at.isAfter(instant)) {
            at = at.plus(interval);
        }
        while (at.minus(interval).isAfter(instant)) {
            at = at.minus(interval);
        }
        return Optional.of(at);
    }

    @Override
    public String describe() {
        return "every " + interval + (anchor.equals(Instant.EPOCH) ? "" : " from " + anchor);
    }
}
