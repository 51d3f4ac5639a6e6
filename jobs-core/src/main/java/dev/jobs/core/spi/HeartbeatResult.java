package dev.jobs.core.spi;

import java.time.Instant;
import java.util.Objects;

/**
 * The answer to a lease heartbeat.
 *
 * @param leaseExpiresAt the lease's new expiry
 * @param cancelRequested an operator asked to cancel the job: the handler should stop
 * @param leaseOwner the worker holding the lease
 */
public record HeartbeatResult(Instant leaseExpiresAt, boolean cancelRequested, String leaseOwner) {
    public HeartbeatResult {
        Objects.requireNonNull(leaseExpiresAt, "leaseExpiresAt");
        Objects.requireNonNull(leaseOwner, "leaseOwner");
    }
}
