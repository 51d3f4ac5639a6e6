package dev.jobs.core;

import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * How many jobs one queue holds in each state.
 *
 * @param queue the queue
 * @param byState count per state; every state is present, zero when none
 * @param paused whether acquisition from this queue is paused
 */
public record QueueCounts(String queue, Map<JobState, Long> byState, boolean paused) {
    public QueueCounts {
        Objects.requireNonNull(queue, "queue");
        var all = new EnumMap<JobState, Long>(JobState.class);
        for (JobState state : JobState.values()) {
            all.put(state, byState.getOrDefault(state, 0L));
        }
        byState = Map.copyOf(all);
    }

    /** The count in one state. */
    public long count(JobState state) {
        return byState.get(state);
    }

    /** Jobs not yet finished. */
    public long unfinished() {
        return byState.entrySet().stream()
                .filter(e -> !e.getKey().isTerminal())
                .mapToLong(Map.Entry::getValue)
                .sum();
    }
}
