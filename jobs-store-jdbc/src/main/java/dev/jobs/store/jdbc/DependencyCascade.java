package dev.jobs.store.jdbc;

import dev.jobs.core.Job;
import dev.jobs.core.JobState;
import dev.jobs.core.spi.DependencyRule;
import dev.jobs.core.spi.JobTransitions;
import dev.jobs.core.spi.Transition;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Handle;

/**
 * Carries a job's outcome to the jobs that depend on it, in the same transaction: counts down a
 * waiting dependent's unfinished dependencies, releases it when none is left, cancels it when its
 * rule says a failure does, and, after a retry, revives what a cancellation had cascaded to.
 * Thread-safe.
 */
final class DependencyCascade {
    private final SqlDialect dialect;
    private final JobRows rows;
    private final JobTable table;

    DependencyCascade(SqlDialect dialect, JobRows rows, JobTable table) {
        this.dialect = dialect;
        this.rows = rows;
        this.table = table;
    }

    /** Stores an outcome and carries it to the job's dependents, in the same transaction. */
    Transition finish(Handle h, Job job, Job next, Instant now) {
        table.write(h, job, next);
        var changed = new ArrayList<Job>();
        if (next.isTerminal()) {
            settleDependentsOf(h, next, now, changed);
        }
        return new Transition(next, changed);
    }

    /**
     * Carries a finished job to its waiting dependents, counting down each one's unfinished
     * dependencies, so the work is O(the finished job's edges): only a dependent whose count reaches
     * zero, or that a failure cancels, changes state; cancellations cascade.
     */
    void settleDependentsOf(Handle h, Job finished, Instant now, List<Job> changed) {
        var work = new ArrayDeque<Job>();
        work.add(finished);
        while (!work.isEmpty()) {
            Job parent = work.poll();
            for (Waiting waiting : lockDependents(h, parent.id())) {
                Job dependent = waiting.job();
                if (dependent.state() != JobState.PENDING) {
                    continue;
                }
                int remaining = Math.max(0, waiting.pendingDependencies() - 1);
                // The rule only needs this parent's outcome and whether others are unfinished: a
                // dependency that failed earlier would already have cancelled a CANCEL dependent.
                List<JobState> known =
                        remaining > 0 ? List.of(parent.state(), JobState.PENDING) : List.of(parent.state());
                JobState target =
                        DependencyRule.resolve(known, dependent.onDependencyFailure(), dependent.runAt(), now);
                if (target == JobState.PENDING) {
                    setPendingDependencies(h, dependent.id(), remaining);
                    continue;
                }
                Job settled = JobTransitions.settled(
                        dependent, target, target == JobState.CANCELLED ? Optional.of(parent) : Optional.empty(), now);
                table.write(h, dependent, settled);
                changed.add(settled);
                if (settled.isTerminal()) {
                    work.add(settled);
                }
            }
        }
    }

    /**
     * Moves a pending job to the state all its dependencies call for, reading each of them (at
     * creation and after a retry); if it keeps waiting, records how many are unfinished.
     */
    Job settle(Handle h, Job pending, Instant now, List<Job> changed) {
        Map<UUID, Job> dependencies = dependenciesOf(h, pending);
        List<JobState> states = states(pending, dependencies);
        JobState target = DependencyRule.resolve(states, pending.onDependencyFailure(), pending.runAt(), now);
        if (target == JobState.PENDING) {
            setPendingDependencies(h, pending.id(), (int)
                    states.stream().filter(s -> !s.isTerminal()).count());
            return pending;
        }
        Optional<Job> culprit = dependencies.values().stream()
                .filter(j -> j.state() == JobState.FAILED || j.state() == JobState.CANCELLED)
                .findFirst();
        Job settled = JobTransitions.settled(pending, target, culprit, now);
        table.write(h, pending, settled);
        changed.add(settled);
        return settled;
    }

    JobState waitingStateOf(Handle h, Job job, Instant now) {
        return DependencyRule.resolve(states(job, dependenciesOf(h, job)), job.onDependencyFailure(), job.runAt(), now);
    }

    Map<UUID, Job> dependenciesOf(Handle h, Job job) {
        if (job.dependsOn().isEmpty()) {
            return Map.of();
        }
        var found = new HashMap<UUID, Job>();
        h.createQuery("SELECT * FROM <job> WHERE id IN (<ids>)")
                .bindList("ids", job.dependsOn().stream().map(dialect::uuid).toList())
                .map((rs, ctx) -> rows.read(rs))
                .forEach(dependency -> found.put(dependency.id(), dependency));
        return found;
    }

    /** A dependency that no longer exists was purged after it finished and released its dependents. */
    static List<JobState> states(Job job, Map<UUID, Job> dependencies) {
        return job.dependsOn().stream()
                .map(id -> Optional.ofNullable(dependencies.get(id))
                        .map(Job::state)
                        .orElse(JobState.SUCCEEDED))
                .toList();
    }

    void reviveCascadedDependents(Handle h, Job parent, Instant now, List<Job> changed) {
        var work = new ArrayDeque<UUID>();
        work.add(parent.id());
        while (!work.isEmpty()) {
            for (Waiting waiting : lockDependents(h, work.poll())) {
                Job dependent = waiting.job();
                if (dependent.state() == JobState.PENDING) {
                    // Its retried dependency is unfinished again.
                    setPendingDependencies(h, dependent.id(), waiting.pendingDependencies() + 1);
                } else if (JobTransitions.cancelledByDependency(dependent)
                        && waitingStateOf(h, dependent, now) == JobState.PENDING) {
                    Job revived = JobTransitions.reopened(dependent, JobState.PENDING, now);
                    table.write(h, dependent, revived);
                    settle(h, revived, now, changed);
                    changed.add(revived);
                    work.add(dependent.id());
                }
            }
        }
    }

    /** A job waiting on dependencies, with how many of them have not finished yet. */
    private record Waiting(Job job, int pendingDependencies) {}

    /** The jobs that depend on {@code parentId}, locked, in a stable order. */
    List<Waiting> lockDependents(Handle h, UUID parentId) {
        return h.createQuery("SELECT * FROM <job> WHERE id IN"
                        + " (SELECT job_id FROM <dependency> WHERE depends_on_id = :parent) ORDER BY id FOR UPDATE")
                .bind("parent", dialect.uuid(parentId))
                .map((rs, ctx) -> new Waiting(rows.read(rs), rs.getInt("pending_dependencies")))
                .list();
    }

    void setPendingDependencies(Handle h, UUID id, int count) {
        h.createUpdate("UPDATE <job> SET pending_dependencies = :count WHERE id = :id")
                .bind("count", count)
                .bind("id", dialect.uuid(id))
                .execute();
    }
}
