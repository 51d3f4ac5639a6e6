package dev.jobs.core.internal;

import dev.jobs.core.Job;
import dev.jobs.core.RetryPolicy;
import dev.jobs.core.StepOrderException;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * Decides when a failed attempt runs again, from the job's attempts and the policy that applies to
 * it: the job's own, else its type's, else the engine's default. Thread-safe: the random source is
 * used under this object's lock so a seeded generator gives the same delays every run.
 */
public final class RetryDecider {
    private final RetryPolicy defaultPolicy;
    private final Map<String, RetryPolicy> policyByType;
    private final RandomGenerator random;

    public RetryDecider(RetryPolicy defaultPolicy, Map<String, RetryPolicy> policyByType, RandomGenerator random) {
        this.defaultPolicy = defaultPolicy;
        this.policyByType = Map.copyOf(policyByType);
        this.random = random;
    }

    /** The policy that applies to a job. */
    public RetryPolicy policyFor(Job job) {
        return job.retryPolicy().orElseGet(() -> policyByType.getOrDefault(job.type(), defaultPolicy));
    }

    /** When to retry after this failure, or empty when the job fails for good. */
    public Optional<Instant> retryAt(Job job, Throwable failure, Instant now) {
        // Steps asked in another order would be asked so again: the code changed under the job.
        if (failure instanceof StepOrderException) {
            return Optional.empty();
        }
        return policyFor(job).isRetryable(failure) ? retryAt(job, now) : Optional.empty();
    }

    /** When to retry after a failure that carries no exception (timeout, lapsed lease). */
    public Optional<Instant> retryAt(Job job, Instant now) {
        if (job.attempt() >= job.maxAttempts()) {
            return Optional.empty();
        }
        synchronized (this) {
            return policyFor(job).delayAfter(job.attempt(), random).map(now::plus);
        }
    }
}
