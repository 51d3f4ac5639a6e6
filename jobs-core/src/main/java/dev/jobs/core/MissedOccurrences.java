package dev.jobs.core;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a recurring schedule does with the occurrences that passed while no engine was there to
 * create them (all instances down, or the store out of reach). An occurrence is missed when it is
 * more than its grace period in the past; one that is just due is created under every policy.
 */
public enum MissedOccurrences {
    /** The latest missed occurrence is created, the others are dropped: a report run once after an outage. */
    RUN_ONCE,
    /** Every missed occurrence is created, oldest first, up to the bound: each one stands for work of its own. */
    RUN_ALL,
    /** Missed occurrences are dropped: the schedule goes on with the next one. */
    SKIP;

    /**
     * The occurrences to create now: those after {@code since} and up to {@code now}, less the
     * missed ones this policy drops. Computed from the schedule alone, so every instance that
     * asks with the same arguments gets the same answer.
     *
     * @param since the latest occurrence already created or dropped; empty for a schedule seen for
     *     the first time, which misses nothing and starts with the occurrences within its grace
     * @param now the current time: occurrences up to it are due
     * @param grace how late an occurrence may be and still count as on time
     * @param maxRunAll how many missed occurrences {@link #RUN_ALL} creates at most (the latest ones)
     */
    public Due due(Schedule schedule, Optional<Instant> since, Instant now, Duration grace, int maxRunAll) {
        Objects.requireNonNull(schedule, "schedule");
        Objects.requireNonNull(since, "since");
        Objects.requireNonNull(now, "now");
        Objects.requireNonNull(grace, "grace");
        if (maxRunAll < 1) {
            throw new IllegalArgumentException("maxRunAll must be 1 or more, was " + maxRunAll);
        }
        // A schedule seen for the first time has missed nothing: it starts within its grace period.
        Instant from = since.orElse(now.minus(grace));
        Instant onTimeFrom = now.minus(grace);
        int keep = this == RUN_ALL ? maxRunAll : 1;
        var missed = new ArrayDeque<Instant>(keep);
        var onTime = new ArrayDeque<Instant>();
        Instant latest = null;
        Optional<Instant> next = schedule.nextAfter(from);
        while (next.isPresent() && !next.get().isAfter(now)) {
            Instant occurrence = next.get();
            latest = occurrence;
            if (occurrence.isBefore(onTimeFrom)) {
                if (missed.size() == keep) {
                    missed.removeFirst();
                }
                missed.addLast(occurrence);
            } else {
                onTime.addLast(occurrence);
            }
            next = schedule.nextAfter(occurrence);
        }
        var create = new ArrayList<Instant>();
        if (this != SKIP) {
            create.addAll(missed);
        }
        create.addAll(onTime);
        return new Due(List.copyOf(create), Optional.ofNullable(latest).or(() -> since));
    }

    /**
     * The result of {@link #due}.
     *
     * @param create the occurrences to create, oldest first
     * @param upTo the latest occurrence now created or dropped, to pass as {@code since} next time
     */
    public record Due(List<Instant> create, Optional<Instant> upTo) {
        public Due {
            create = List.copyOf(create);
            Objects.requireNonNull(upTo, "upTo");
        }
    }
}
