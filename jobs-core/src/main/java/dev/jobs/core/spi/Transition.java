package dev.jobs.core.spi;

import dev.jobs.core.Job;
import java.util.List;
import java.util.Objects;

/**
 * The result of a state change, as committed in one transaction.
 *
 * @param job the job after the change
 * @param dependents jobs whose state changed with it: dependents released (now {@code READY},
 *     {@code SCHEDULED} or {@code PENDING} again) or cancelled by the cascade, transitively
 */
public record Transition(Job job, List<Job> dependents) {
    public Transition {
        Objects.requireNonNull(job, "job");
        dependents = List.copyOf(dependents);
    }

    /** A change that touched no other job. */
    public static Transition of(Job job) {
        return new Transition(job, List.of());
    }
}
