package dev.jobs.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LeaseScanWindowTest {
    private static final Instant T = Instant.parse("2026-12-02T06:00:00Z");
    private static final long SECOND = Duration.ofSeconds(1).toNanos();

    private final LeaseScanWindow window = new LeaseScanWindow();

    @Test
    void aScanStartsAMarginBeforeTheLastCompleteOneAndFromTheStartEveryFewMinutes() {
        assertThat(window.since(T, 0)).as("no scan yet: from the start").isEmpty();
        window.scanned(Optional.empty(), T, true, 0);

        Instant later = T.plusSeconds(5);
        assertThat(window.since(later, 5 * SECOND)).contains(T.minus(LeaseScanWindow.MARGIN));
        window.scanned(Optional.of(T.minus(LeaseScanWindow.MARGIN)), later, true, 5 * SECOND);
        assertThat(window.since(later.plusSeconds(5), 10 * SECOND)).contains(later.minus(LeaseScanWindow.MARGIN));

        long fullScanDue = LeaseScanWindow.FULL_SCAN_EVERY.toNanos();
        assertThat(window.since(T.plus(LeaseScanWindow.FULL_SCAN_EVERY), fullScanDue))
                .isEmpty();
    }

    @Test
    void aScanThatStoppedAtItsLimitMovesNothing() {
        window.scanned(Optional.empty(), T, true, 0);
        Optional<Instant> since = window.since(T.plusSeconds(60), SECOND);
        window.scanned(since, T.plusSeconds(60), false, SECOND);

        assertThat(window.since(T.plusSeconds(65), 2 * SECOND))
                .as("leases that lapsed in the last minute may still be waiting")
                .contains(T.minus(LeaseScanWindow.MARGIN));
    }

    @Test
    void aClockThatWentBackScansFromTheStart() {
        window.scanned(Optional.empty(), T, true, 0);

        assertThat(window.since(T.minusSeconds(1), SECOND)).isEmpty();
    }

    @Test
    void anIncompleteFirstScanLeavesTheNextToStartFromTheStartToo() {
        window.scanned(Optional.empty(), T, false, 0);

        assertThat(window.since(T.plusSeconds(1), SECOND)).isEmpty();
    }
}
