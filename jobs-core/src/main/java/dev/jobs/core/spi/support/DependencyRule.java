package dev.jobs.core.spi.support;

import dev.jobs.core.DependencyFailurePolicy;
import dev.jobs.core.JobState;
import dev.jobs.core.JobValidationException;
import dev.jobs.core.JobValidationException.FieldError;
import dev.jobs.core.spi.NewJob;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * The one rule for what a job waiting on dependencies becomes, shared by every store so they
 * cannot drift apart.
 */
public final class DependencyRule {
    private DependencyRule() {}

    /**
     * The state a job with these dependencies should be in.
     *
     * @param dependencyStates the states of its dependencies; a dependency that no longer exists
     *     (purged after it finished and released its dependents) counts as {@code SUCCEEDED}
     * @param policy the job's {@link DependencyFailurePolicy}
     * @param runAt the job's {@code runAt}
     * @param now the store's current time
     * @return {@code CANCELLED} when a dependency failed or was cancelled and the policy is {@code
     *     CANCEL} (at once, without waiting for the others); {@code PENDING} while any dependency is
     *     unfinished; otherwise {@code READY} or, before {@code runAt}, {@code SCHEDULED}
     */
    public static JobState resolve(
            Collection<JobState> dependencyStates, DependencyFailurePolicy policy, Instant runAt, Instant now) {
        boolean anyFailed = dependencyStates.stream().anyMatch(s -> s == JobState.FAILED || s == JobState.CANCELLED);
        if (anyFailed && policy == DependencyFailurePolicy.CANCEL) {
            return JobState.CANCELLED;
        }
        if (!dependencyStates.stream().allMatch(JobState::isTerminal)) {
            return JobState.PENDING;
        }
        return runAt.isAfter(now) ? JobState.SCHEDULED : JobState.READY;
    }

    /** The dependencies of a batch that name no member of the batch: the ones a store must look up. */
    public static Set<UUID> outsideDependencies(List<NewJob> batch) {
        var members = new HashSet<UUID>();
        batch.forEach(job -> members.add(job.id()));
        var outside = new HashSet<UUID>();
        batch.forEach(job ->
                job.dependsOn().stream().filter(d -> !members.contains(d)).forEach(outside::add));
        return outside;
    }

    /**
     * Refuses a batch in which a job depends on itself or on a job that is neither in the batch
     * nor stored.
     *
     * @param stored whether a job outside the batch exists in the store
     * @throws JobValidationException naming each {@code [index].dependsOn} at fault
     */
    public static void requireKnownDependencies(List<NewJob> batch, Predicate<UUID> stored) {
        var members = new HashSet<UUID>();
        batch.forEach(job -> members.add(job.id()));
        var errors = new ArrayList<FieldError>();
        for (int i = 0; i < batch.size(); i++) {
            NewJob job = batch.get(i);
            for (UUID dependency : job.dependsOn()) {
                if (dependency.equals(job.id())) {
                    errors.add(new FieldError("[" + i + "].dependsOn", "a job cannot depend on itself"));
                } else if (!members.contains(dependency) && !stored.test(dependency)) {
                    errors.add(new FieldError(
                            "[" + i + "].dependsOn",
                            "no job " + dependency + " exists (never created, or purged by retention)"));
                }
            }
        }
        if (!errors.isEmpty()) {
            throw new JobValidationException(errors);
        }
    }
}
