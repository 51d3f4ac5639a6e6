package dev.jobs.core.spi;

import dev.jobs.core.DependencyFailurePolicy;
import dev.jobs.core.JobState;
import java.time.Instant;
import java.util.Collection;

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
}
