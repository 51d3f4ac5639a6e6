package dev.jobs.core;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The answer to a lease heartbeat.
 *
 * @param leaseExpiresAt the lease's new expiry
 * @param cancelRequested the worker should stop: an operator asked to cancel the job, or the
 *     attempt ran past its timeout
 * @param leaseOwner the worker holding the lease
 * @param cancelReason why the worker should stop, when it should
 */
public record HeartbeatResult(
        Instant leaseExpiresAt, boolean cancelRequested, String leaseOwner, Optional<String> cancelReason) {
    /** Why a worker stops when an operator cancelled its job. */
    public static final String CANCELLED_BY_OPERATOR = "an operator asked to cancel the job";

    public HeartbeatResult {
        Objects.requireNonNull(leaseExpiresAt, "leaseExpiresAt");
        Objects.requireNonNull(leaseOwner, "leaseOwner");
        Objects.requireNonNull(cancelReason, "cancelReason");
    }

    /** A store's answer: the job's cancellation flag, which only an operator sets. */
    public HeartbeatResult(Instant leaseExpiresAt, boolean cancelRequested, String leaseOwner) {
        this(
                leaseExpiresAt,
                cancelRequested,
                leaseOwner,
                cancelRequested ? Optional.of(CANCELLED_BY_OPERATOR) : Optional.empty());
    }

    /** This answer, telling the worker to stop for {@code reason}. */
    public HeartbeatResult stopFor(String reason) {
        return new HeartbeatResult(leaseExpiresAt, true, leaseOwner, Optional.of(reason));
    }
}
