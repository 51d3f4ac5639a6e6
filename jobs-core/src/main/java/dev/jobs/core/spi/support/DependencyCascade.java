package dev.jobs.core.spi.support;

import dev.jobs.core.Job;
import dev.jobs.core.JobState;
import dev.jobs.core.spi.JobTransaction;
import dev.jobs.core.spi.JobTransaction.Dependent;
import dev.jobs.core.spi.Transition;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The one dependency cascade: carries a job's outcome to the jobs that depend on it, in the same
 * transaction, counting down a waiting dependent's unfinished dependencies, releasing it when none
 * is left, cancelling it when {@link DependencyRule} says a failure does (and on through its own
 * dependents), and, after an operator's retry, reviving what a cancellation had cascaded to. Every
 * store runs it over its own {@link JobTransaction}. Stateless.
 */
public final class DependencyCascade {
    private DependencyCascade() {}

    /** Writes an outcome and carries it to the job's dependents. */
    public static Transition finish(JobTransaction t, Job job, Job next) {
        t.write(job, next);
        var changed = new ArrayList<Job>();
        if (next.isTerminal()) {
            settleDependentsOf(t, next, changed);
        }
        return new Transition(next, changed);
    }

    /**
     * Carries a finished job to its waiting dependents, counting down each one's unfinished
     * dependencies, so the work is O(the finished job's edges): only a dependent whose count reaches
     * zero, or that a failure cancels, changes state; cancellations cascade.
     *
     * @param changed collects every dependent whose state changed
     */
    public static void settleDependentsOf(JobTransaction t, Job finished, List<Job> changed) {
        var work = new ArrayDeque<Job>();
        work.add(finished);
        while (!work.isEmpty()) {
            Job parent = work.poll();
            for (Dependent waiting : t.lockDependents(parent.id())) {
                Job dependent = waiting.job();
                if (dependent.state() != JobState.PENDING) {
                    continue;
                }
                int remaining = Math.max(0, waiting.unfinishedDependencies() - 1);
                // The rule only needs this parent's outcome and whether others are unfinished: a
                // dependency that failed earlier would already have cancelled a CANCEL dependent.
                List<JobState> known =
                        remaining > 0 ? List.of(parent.state(), JobState.PENDING) : List.of(parent.state());
                JobState target =
                        DependencyRule.resolve(known, dependent.onDependencyFailure(), dependent.runAt(), t.now());
                if (target == JobState.PENDING) {
                    t.setUnfinishedDependencies(dependent.id(), remaining);
                    continue;
                }
                Job settled = JobTransitions.settled(
                        dependent,
                        target,
                        target == JobState.CANCELLED ? Optional.of(parent) : Optional.empty(),
                        t.now());
                t.write(dependent, settled);
                changed.add(settled);
                if (settled.isTerminal()) {
                    work.add(settled);
                }
            }
        }
    }

    /**
     * Moves a pending job to the state all its dependencies call for, reading each of them (at
     * creation and after a retry); if it keeps waiting, records how many are unfinished. The caller
     * carries a final state on to the job's own dependents.
     *
     * @return the job as it is now
     */
    static Job settle(JobTransaction t, Job pending, List<Job> changed) {
        Map<UUID, Job> dependencies = t.read(pending.dependsOn());
        List<JobState> states = states(pending, dependencies);
        JobState target = DependencyRule.resolve(states, pending.onDependencyFailure(), pending.runAt(), t.now());
        if (target == JobState.PENDING) {
            t.setUnfinishedDependencies(pending.id(), (int)
                    states.stream().filter(s -> !s.isTerminal()).count());
            return pending;
        }
        Optional<Job> culprit = pending.dependsOn().stream()
                .map(dependencies::get)
                .filter(j -> j != null && (j.state() == JobState.FAILED || j.state() == JobState.CANCELLED))
                .findFirst();
        Job settled = JobTransitions.settled(pending, target, culprit, t.now());
        t.write(pending, settled);
        changed.add(settled);
        return settled;
    }

    /** The state a job's dependencies call for now, read afresh. */
    static JobState waitingStateOf(JobTransaction t, Job job) {
        return DependencyRule.resolve(
                states(job, t.read(job.dependsOn())), job.onDependencyFailure(), job.runAt(), t.now());
    }

    /**
     * The states of a job's dependencies, in its order, from those found: a dependency that no
     * longer exists was purged after it finished and released its dependents, so it counts as
     * {@code SUCCEEDED}.
     */
    static List<JobState> states(Job job, Map<UUID, Job> dependencies) {
        return job.dependsOn().stream()
                .map(id -> Optional.ofNullable(dependencies.get(id))
                        .map(Job::state)
                        .orElse(JobState.SUCCEEDED))
                .toList();
    }

    /**
     * After {@code parent} was retried: its waiting dependents count it as unfinished again, and
     * those the cascade had cancelled because of it wait for it again, transitively.
     */
    static void reviveCascadedDependents(JobTransaction t, Job parent, List<Job> changed) {
        var work = new ArrayDeque<UUID>();
        work.add(parent.id());
        while (!work.isEmpty()) {
            for (Dependent waiting : t.lockDependents(work.poll())) {
                Job dependent = waiting.job();
                if (dependent.state() == JobState.PENDING) {
                    t.setUnfinishedDependencies(dependent.id(), waiting.unfinishedDependencies() + 1);
                } else if (JobTransitions.cancelledByDependency(dependent)
                        && waitingStateOf(t, dependent) == JobState.PENDING) {
                    Job revived = JobTransitions.reopened(dependent, JobState.PENDING, t.now());
                    t.write(dependent, revived);
                    settle(t, revived, changed); // records how many dependencies it waits for
                    changed.add(revived);
                    work.add(dependent.id());
                }
            }
        }
    }
}
