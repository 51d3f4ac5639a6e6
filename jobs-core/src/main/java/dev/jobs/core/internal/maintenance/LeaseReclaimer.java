package dev.jobs.core.internal.maintenance;

import dev.jobs.core.internal.RetryDecider;
import dev.jobs.core.spi.JobStore;
import java.time.Clock;
import java.time.Duration;

/**
 * Ends attempts whose lease lapsed (a worker crashed or lost the store), counting each as a failed
 * attempt that retries by its policy; so jobs of a dead worker run elsewhere.
 */
public final class LeaseReclaimer extends MaintenanceTask {
    /** Leases per round; a round repeats until fewer come back, so a large backlog clears quickly. */
    static final int BATCH = 500;

    private final JobStore store;
    private final RetryDecider retryDecider;
    private final Clock clock;

    public LeaseReclaimer(JobStore store, RetryDecider retryDecider, Clock clock, Duration interval) {
        super("lease reclaimer", interval);
        this.store = store;
        this.retryDecider = retryDecider;
        this.clock = clock;
    }

    @Override
    protected int work() {
        int total = 0;
        int round;
        do {
            round = store.reclaimExpiredLeases(BATCH, job -> retryDecider.retryAt(job, clock.instant()))
                    .size();
            total += round;
        } while (round == BATCH);
        return total;
    }
}
