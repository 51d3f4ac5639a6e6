package dev.jobs.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jobs.core.internal.Json;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Policies are pure functions of the attempt and a seeded random source: no clock, no sleep. */
class RetryPolicyTest {
    private final SplittableRandom random = new SplittableRandom(42);

    @Test
    void noneNeverRetries() {
        assertThat(RetryPolicy.none().delayAfter(1, random)).isEmpty();
    }

    @Test
    void fixedWaitsTheSameEveryTime() {
        RetryPolicy policy = RetryPolicy.fixed(Duration.ofSeconds(7));
        assertThat(policy.delayAfter(1, random)).contains(Duration.ofSeconds(7));
        assertThat(policy.delayAfter(9, random)).contains(Duration.ofSeconds(7));
    }

    @Test
    void exponentialDoublesUpToItsCap() {
        RetryPolicy policy = RetryPolicy.exponential(Duration.ofSeconds(1), Duration.ofSeconds(10));
        assertThat(policy.delayAfter(1, random)).contains(Duration.ofSeconds(1));
        assertThat(policy.delayAfter(2, random)).contains(Duration.ofSeconds(2));
        assertThat(policy.delayAfter(4, random)).contains(Duration.ofSeconds(8));
        assertThat(policy.delayAfter(5, random)).contains(Duration.ofSeconds(10));
        assertThat(policy.delayAfter(500, random)).contains(Duration.ofSeconds(10));
    }

    @Test
    void fullJitterStaysBetweenZeroAndTheBackoff() {
        RetryPolicy policy = RetryPolicy.exponential(Duration.ofSeconds(4), Duration.ofMinutes(1))
                .withJitter(RetryPolicy.Jitter.FULL);
        for (int i = 0; i < 1000; i++) {
            assertThat(policy.delayAfter(1, random).orElseThrow()).isBetween(Duration.ZERO, Duration.ofSeconds(4));
        }
    }

    @Test
    void equalJitterKeepsAtLeastHalfTheBackoff() {
        RetryPolicy policy = RetryPolicy.exponential(Duration.ofSeconds(4), Duration.ofMinutes(1))
                .withJitter(RetryPolicy.Jitter.EQUAL);
        boolean varied = false;
        Duration first = policy.delayAfter(1, random).orElseThrow();
        for (int i = 0; i < 1000; i++) {
            Duration delay = policy.delayAfter(1, random).orElseThrow();
            assertThat(delay).isBetween(Duration.ofSeconds(2), Duration.ofSeconds(4));
            varied |= !delay.equals(first);
        }
        assertThat(varied).as("jitter varies the delay").isTrue();
    }

    @Test
    void sameSeedGivesTheSameDelays() {
        RetryPolicy policy = RetryPolicy.DEFAULT;
        var a = new SplittableRandom(7);
        var b = new SplittableRandom(7);
        for (int attempt = 1; attempt < 20; attempt++) {
            assertThat(policy.delayAfter(attempt, a)).isEqualTo(policy.delayAfter(attempt, b));
        }
    }

    @Test
    void nonRetryableTypesMatchSubclasses() {
        RetryPolicy policy = RetryPolicy.fixed(Duration.ofSeconds(1)).withNonRetryable(IOException.class);
        assertThat(policy.isRetryable(new FileNotFoundException("x"))).isFalse();
        assertThat(policy.isRetryable(new IllegalStateException("x"))).isTrue();
    }

    @Test
    void invalidPoliciesAreRefusedWithTheReason() {
        assertThatThrownBy(() -> RetryPolicy.fixed(Duration.ofSeconds(-1))).hasMessageContaining("delay");
        assertThatThrownBy(() -> RetryPolicy.exponential(Duration.ofSeconds(10), Duration.ofSeconds(1)))
                .hasMessageContaining("cap");
        assertThatThrownBy(() -> RetryPolicy.fixed(Duration.ofSeconds(1)).withJitter(RetryPolicy.Jitter.FULL))
                .hasMessageContaining("exponential");
    }

    @Test
    void policiesSurviveAJsonRoundTrip() throws Exception {
        RetryPolicy policy = RetryPolicy.exponential(Duration.ofMillis(250), Duration.ofMinutes(5))
                .withJitter(RetryPolicy.Jitter.FULL)
                .withNonRetryable(IllegalArgumentException.class);
        String json = Json.mapper().writeValueAsString(policy);
        assertThat(Json.mapper().readValue(json, RetryPolicy.class)).isEqualTo(policy);
        assertThat(json).contains("\"kind\":\"exponential\"");
    }
}
