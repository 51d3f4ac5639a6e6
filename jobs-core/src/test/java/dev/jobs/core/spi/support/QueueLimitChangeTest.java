package dev.jobs.core.spi.support;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jobs.core.QueueLimits;
import dev.jobs.core.spi.JobTransaction.LimitedQueue;
import dev.jobs.core.spi.StartBucket;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class QueueLimitChangeTest {
    private static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");
    private static final QueueLimits TEN_A_MINUTE = QueueLimits.none().withMaxStarts(10, Duration.ofMinutes(1));
    private static final StartBucket HALF_SPENT = new StartBucket(5, NOW.minusSeconds(1));

    private static Optional<LimitedQueue> stored(QueueLimits limits, StartBucket bucket) {
        return Optional.of(new LimitedQueue("q", limits, Optional.of(bucket)));
    }

    @Test
    void theLimitsAQueueHasChangeNothing() {
        assertThat(QueueLimitChange.over(stored(TEN_A_MINUTE, HALF_SPENT), TEN_A_MINUTE, NOW))
                .isEmpty();
    }

    @Test
    void noneRemovesThem() {
        QueueLimitChange change = QueueLimitChange.over(stored(TEN_A_MINUTE, HALF_SPENT), QueueLimits.none(), NOW)
                .orElseThrow();
        assertThat(change.removes()).isTrue();
        assertThat(change.bucket()).isEmpty();
    }

    @Test
    void aNewOrChangedStartRateStartsFull() {
        QueueLimitChange fresh =
                QueueLimitChange.over(Optional.empty(), TEN_A_MINUTE, NOW).orElseThrow();
        assertThat(fresh.bucket()).contains(new StartBucket(10, NOW));
        QueueLimits twenty = QueueLimits.none().withMaxStarts(20, Duration.ofMinutes(1));
        QueueLimitChange changed = QueueLimitChange.over(stored(TEN_A_MINUTE, HALF_SPENT), twenty, NOW)
                .orElseThrow();
        assertThat(changed.bucket()).contains(new StartBucket(20, NOW));
    }

    @Test
    void anotherChangeKeepsWhatIsLeftOfTheBucket() {
        QueueLimits alsoFive = TEN_A_MINUTE.withMaxRunning(5);
        QueueLimitChange change = QueueLimitChange.over(stored(TEN_A_MINUTE, HALF_SPENT), alsoFive, NOW)
                .orElseThrow();
        assertThat(change.removes()).isFalse();
        assertThat(change.limits()).isEqualTo(alsoFive);
        assertThat(change.bucket()).contains(HALF_SPENT);
    }

    @Test
    void limitsWithoutAStartRateHaveNoBucket() {
        QueueLimitChange change = QueueLimitChange.over(
                        stored(TEN_A_MINUTE, HALF_SPENT), QueueLimits.none().withMaxRunning(3), NOW)
                .orElseThrow();
        assertThat(change.bucket()).isEmpty();
    }
}
