package dev.jobs.store.jdbc;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Where a store's scan for lapsed leases starts. The lease index holds an entry for every lease
 * given out, and those of jobs that have moved on stay until vacuum removes them: while a long-open
 * snapshot holds vacuum back, a scan for everything that lapsed before now steps through all of
 * them, every few seconds. A lease lapses when the clock passes its expiry, so once a scan has
 * taken every lease that had lapsed by its time, the next needs only those that lapsed since: it
 * starts {@link #MARGIN} before the last complete scan (for clocks of other instances that run
 * behind, and for leases written before that scan but committed after it read). Every {@link
 * #FULL_SCAN_EVERY} a scan from the start catches anything else, such as a lapsed lease whose row
 * was locked when a scan passed it over and whose holder then rolled back. Thread-safe.
 */
final class LeaseScanWindow {
    static final Duration MARGIN = Duration.ofSeconds(30);
    static final Duration FULL_SCAN_EVERY = Duration.ofMinutes(5);

    /** Every lease that lapsed up to here has been taken; null before the first complete scan. */
    private Instant takenUpTo;

    private long lastFullScanNanos;

    /** Where the next scan starts (leases that lapse after it); empty for a scan from the start. */
    synchronized Optional<Instant> since(Instant now, long nowNanos) {
        if (takenUpTo == null || now.isBefore(takenUpTo) || nowNanos - lastFullScanNanos >= FULL_SCAN_EVERY.toNanos()) {
            return Optional.empty();
        }
        return Optional.of(takenUpTo.minus(MARGIN));
    }

    /**
     * A scan that started at {@code startedNanos} with {@code since} took every lease that had
     * lapsed by {@code now} ({@code complete}), or stopped at its limit with more to take.
     */
    synchronized void scanned(Optional<Instant> since, Instant now, boolean complete, long startedNanos) {
        if (!complete) {
            return;
        }
        if (since.isEmpty()) {
            lastFullScanNanos = startedNanos;
            takenUpTo = now;
        } else if (takenUpTo != null && now.isAfter(takenUpTo)) {
            takenUpTo = now;
        }
    }
}
