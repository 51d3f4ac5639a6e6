package dev.jobs.core;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * When a failed attempt is tried again: not at all, after a fixed delay, or after an exponential
 * backoff with a cap and jitter; and which exception types are final whatever the policy says. The
 * number of attempts is the job's own {@code maxAttempts}.
 *
 * <p>Policies are immutable values, serializable as JSON so a per-job override is stored with its
 * job. Set a default and per-type policies on the engine's builder, or one job's on its {@link
 * JobSpec}.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
@JsonSubTypes({
    @JsonSubTypes.Type(value = RetryPolicy.None.class, name = "none"),
    @JsonSubTypes.Type(value = RetryPolicy.Fixed.class, name = "fixed"),
    @JsonSubTypes.Type(value = RetryPolicy.Exponential.class, name = "exponential")
})
public sealed interface RetryPolicy {

    /**
     * The engine's default: exponential from one second, doubling, capped at one hour, with equal
     * jitter so that a burst of failures does not retry in lock-step but every retry still waits at
     * least half its backoff.
     */
    RetryPolicy DEFAULT =
            exponential(Duration.ofSeconds(1), Duration.ofHours(1)).withJitter(Jitter.EQUAL);

    /** How a computed backoff is randomised. */
    enum Jitter {
        /** Exactly the computed delay. */
        NONE,
        /** Uniform between zero and the computed delay: spreads retries the most. */
        FULL,
        /** Half the computed delay plus a uniform share of the other half. */
        EQUAL
    }

    /** Never retry: the first failure is final. */
    static RetryPolicy none() {
        return new None(Set.of());
    }

    /** Retry after the same delay every time. */
    static RetryPolicy fixed(Duration delay) {
        return new Fixed(delay, Set.of());
    }

    /**
     * Retry after {@code base}, then twice that, and so on, never more than {@code cap}; no jitter
     * until {@link #withJitter} says so.
     */
    static RetryPolicy exponential(Duration base, Duration cap) {
        return new Exponential(base, cap, 2.0, Jitter.NONE, Set.of());
    }

    /** Class names of exceptions that end the job at once (a subclass matches too). */
    Set<String> nonRetryable();

    /**
     * The delay before the next attempt after attempt number {@code failedAttempt} (1 for the
     * first) failed, or empty when this policy does not retry.
     */
    Optional<Duration> delayAfter(int failedAttempt, RandomGenerator random);

    /** A copy that treats these exception types (and their subclasses) as final. */
    @SuppressWarnings("unchecked")
    default RetryPolicy withNonRetryable(Class<? extends Throwable>... types) {
        var names = new LinkedHashSet<>(nonRetryable());
        Arrays.stream(types).map(Class::getName).forEach(names::add);
        return withNonRetryableNames(Set.copyOf(names));
    }

    /** A copy with exactly these non-retryable class names. */
    RetryPolicy withNonRetryableNames(Set<String> classNames);

    /** Whether this failure may be retried: false if it is, or extends, a non-retryable type. */
    default boolean isRetryable(Throwable failure) {
        for (Class<?> type = failure.getClass(); type != null; type = type.getSuperclass()) {
            if (nonRetryable().contains(type.getName())) {
                return false;
            }
        }
        return true;
    }

    /** Does not retry. */
    record None(Set<String> nonRetryable) implements RetryPolicy {
        public None {
            nonRetryable = Set.copyOf(nonRetryable);
        }

        @Override
        public Optional<Duration> delayAfter(int failedAttempt, RandomGenerator random) {
            return Optional.empty();
        }

        @Override
        public RetryPolicy withNonRetryableNames(Set<String> classNames) {
            return new None(classNames);
        }
    }

    /** Retries after a fixed delay. */
    record Fixed(Duration delay, Set<String> nonRetryable) implements RetryPolicy {
        public Fixed {
            requireDelay("delay", delay);
            nonRetryable = Set.copyOf(nonRetryable);
        }

        @Override
        public Optional<Duration> delayAfter(int failedAttempt, RandomGenerator random) {
            return Optional.of(delay);
        }

        @Override
        public RetryPolicy withNonRetryableNames(Set<String> classNames) {
            return new Fixed(delay, classNames);
        }
    }

    /** Retries after {@code base × multiplier^(attempt-1)}, at most {@code cap}, then jitter. */
    record Exponential(Duration base, Duration cap, double multiplier, Jitter jitter, Set<String> nonRetryable)
            implements RetryPolicy {
        public Exponential {
            requireDelay("base", base);
            requireDelay("cap", cap);
            if (cap.compareTo(base) < 0) {
                throw new IllegalArgumentException("cap " + cap + " is shorter than base " + base);
            }
            if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
                throw new IllegalArgumentException("multiplier must be a finite number >= 1, was " + multiplier);
            }
            Objects.requireNonNull(jitter, "jitter");
            nonRetryable = Set.copyOf(nonRetryable);
        }

        /** A copy with this jitter. */
        public Exponential withJitter(Jitter newJitter) {
            return new Exponential(base, cap, multiplier, newJitter, nonRetryable);
        }

        /** A copy that grows by this factor per attempt instead of doubling. */
        public Exponential withMultiplier(double newMultiplier) {
            return new Exponential(base, cap, newMultiplier, jitter, nonRetryable);
        }

        @Override
        public Optional<Duration> delayAfter(int failedAttempt, RandomGenerator random) {
            double exponent = Math.max(0, failedAttempt - 1);
            double nanos = base.toNanos() * Math.pow(multiplier, exponent);
            long cappedNanos = (long) Math.min(nanos, (double) cap.toNanos());
            long jittered = switch (jitter) {
                case NONE -> cappedNanos;
                case FULL -> random.nextLong(cappedNanos + 1);
                case EQUAL -> cappedNanos / 2 + random.nextLong(cappedNanos - cappedNanos / 2 + 1);
            };
            return Optional.of(Duration.ofNanos(jittered));
        }

        @Override
        public RetryPolicy withNonRetryableNames(Set<String> classNames) {
            return new Exponential(base, cap, multiplier, jitter, classNames);
        }
    }

    /**
     * A copy of an exponential policy with this jitter.
     *
     * @throws IllegalArgumentException if this is not an exponential policy
     */
    default RetryPolicy withJitter(Jitter jitter) {
        if (this instanceof Exponential exponential) {
            return exponential.withJitter(jitter);
        }
        throw new IllegalArgumentException("jitter applies to exponential policies only, not " + this);
    }

    private static void requireDelay(String name, Duration delay) {
        Objects.requireNonNull(delay, name);
        if (delay.isNegative() || delay.compareTo(JobLimits.MAX_DURATION) > 0) {
            throw new IllegalArgumentException(
                    name + " must be between 0 and " + JobLimits.MAX_DURATION + ", was " + delay);
        }
    }
}
