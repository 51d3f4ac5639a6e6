package dev.jobs.core.spi;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * A worker asking for jobs.
 *
 * @param workerId who will hold the leases
 * @param queues the queues to take from (paused queues are skipped)
 * @param maxJobs at most this many, at least 1
 * @param leaseDuration how long each lease lasts unless renewed by a heartbeat
 */
public record AcquireRequest(String workerId, Set<String> queues, int maxJobs, Duration leaseDuration) {
    public AcquireRequest {
        Objects.requireNonNull(workerId, "workerId");
        queues = Set.copyOf(queues);
        if (maxJobs < 1) {
            throw new IllegalArgumentException("maxJobs must be at least 1, was " + maxJobs);
        }
        if (leaseDuration.isNegative() || leaseDuration.isZero()) {
            throw new IllegalArgumentException("leaseDuration must be positive, was " + leaseDuration);
        }
    }
}
