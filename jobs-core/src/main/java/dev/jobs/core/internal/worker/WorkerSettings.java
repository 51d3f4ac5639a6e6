package dev.jobs.core.internal.worker;

import java.time.Duration;
import java.util.Map;

/**
 * The worker runtime's settings, fixed when the engine is built.
 *
 * @param workerId this engine's worker id, unique per process
 * @param concurrencyByQueue the queues this engine works, each with how many jobs run at once
 * @param leaseDuration how long a lease lasts without a heartbeat
 * @param heartbeatInterval how often a running job's lease is renewed
 * @param cancellationGrace how long a handler may go on after it was told to cancel
 * @param pollInterval first wait before asking the queue again when it seemed empty
 * @param maxPollInterval longest such wait, reached by doubling while the queue stays empty
 * @param shutdownTimeout how long shutdown waits for running jobs before giving their leases back
 * @param tickInterval how often running jobs are checked for heartbeats, timeouts and cancellation
 */
public record WorkerSettings(
        String workerId,
        Map<String, Integer> concurrencyByQueue,
        Duration leaseDuration,
        Duration heartbeatInterval,
        Duration cancellationGrace,
        Duration pollInterval,
        Duration maxPollInterval,
        Duration shutdownTimeout,
        Duration tickInterval) {
    public WorkerSettings {
        concurrencyByQueue = Map.copyOf(concurrencyByQueue);
    }

    /** How often a worker holding leases of this length renews them: three times per lease. */
    public static Duration heartbeatIntervalFor(Duration lease) {
        return lease.dividedBy(3);
    }

    /**
     * How long a worker holding leases of this length may go without reporting to the registry
     * before others declare it dead. It reports as often as it renews its leases, so after a whole
     * lease plus one more interval of silence those leases have lapsed too: taking its jobs back
     * then runs none of them twice at once.
     */
    public static Duration registryLeaseFor(Duration lease) {
        return lease.plus(heartbeatIntervalFor(lease));
    }

    /** {@link #registryLeaseFor} this worker's lease. */
    public Duration registryLease() {
        return registryLeaseFor(leaseDuration);
    }

    public int totalConcurrency() {
        return concurrencyByQueue.values().stream().mapToInt(Integer::intValue).sum();
    }
}
