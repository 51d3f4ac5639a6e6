package dev.jobs.core;

import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Filters and a page position for listing jobs, newest first. Empty filters match everything.
 * Paging is by keyset: {@code cursor} is the {@link JobPage#nextCursor()} of the previous page, so
 * pages stay stable while jobs change. Immutable.
 *
 * <p>States, queues and types are sets: naming a value twice is the same as naming it once.
 *
 * @param states only jobs in one of these states (all when empty)
 * @param queues only jobs in one of these queues (all when empty)
 * @param types only jobs of one of these types (all when empty)
 * @param since only jobs created at or after this instant
 * @param dependsOn only jobs that depend on this job (its children in a DAG)
 * @param limit page size, 1 to {@link JobLimits#MAX_PAGE_SIZE}
 * @param cursor where the previous page ended
 */
public record JobQuery(
        Set<JobState> states,
        Set<String> queues,
        Set<String> types,
        Optional<Instant> since,
        Optional<UUID> dependsOn,
        int limit,
        Optional<String> cursor) {

    /** Page size when none is given. */
    public static final int DEFAULT_LIMIT = 50;

    public JobQuery {
        states = states.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(states));
        queues = Set.copyOf(queues);
        types = Set.copyOf(types);
        Objects.requireNonNull(since, "since");
        Objects.requireNonNull(dependsOn, "dependsOn");
        if (limit < 1 || limit > JobLimits.MAX_PAGE_SIZE) {
            throw new IllegalArgumentException(
                    "limit must be between 1 and " + JobLimits.MAX_PAGE_SIZE + ", was " + limit);
        }
        Objects.requireNonNull(cursor, "cursor");
    }

    /** Every job, first page of {@link #DEFAULT_LIMIT}. */
    public static JobQuery all() {
        return new JobQuery(
                Set.of(), Set.of(), Set.of(), Optional.empty(), Optional.empty(), DEFAULT_LIMIT, Optional.empty());
    }

    /** Only jobs in one of these states; a state named twice counts once. */
    public JobQuery withStates(JobState... newStates) {
        return new JobQuery(Set.copyOf(List.of(newStates)), queues, types, since, dependsOn, limit, cursor);
    }

    /** Only jobs in this queue. */
    public JobQuery withQueue(String newQueue) {
        return withQueues(newQueue);
    }

    /** Only jobs in one of these queues; a queue named twice counts once. */
    public JobQuery withQueues(String... newQueues) {
        return new JobQuery(states, Set.copyOf(List.of(newQueues)), types, since, dependsOn, limit, cursor);
    }

    /** Only jobs of one of these types; a type named twice counts once. */
    public JobQuery withTypes(String... newTypes) {
        return new JobQuery(states, queues, Set.copyOf(List.of(newTypes)), since, dependsOn, limit, cursor);
    }

    public JobQuery withSince(Instant newSince) {
        return new JobQuery(states, queues, types, Optional.of(newSince), dependsOn, limit, cursor);
    }

    /** Only the jobs that depend on {@code parent}: its children in a DAG. */
    public JobQuery withDependsOn(UUID parent) {
        return new JobQuery(states, queues, types, since, Optional.of(parent), limit, cursor);
    }

    public JobQuery withLimit(int newLimit) {
        return new JobQuery(states, queues, types, since, dependsOn, newLimit, cursor);
    }

    public JobQuery withCursor(String newCursor) {
        return new JobQuery(states, queues, types, since, dependsOn, limit, Optional.of(newCursor));
    }

    /** Whether a job passes the filters (the cursor is not considered). */
    public boolean matches(Job job) {
        return (states.isEmpty() || states.contains(job.state()))
                && (queues.isEmpty() || queues.contains(job.queue()))
                && (types.isEmpty() || types.contains(job.type()))
                && since.map(s -> !job.createdAt().isBefore(s)).orElse(true)
                && dependsOn.map(job.dependsOn()::contains).orElse(true);
    }
}
