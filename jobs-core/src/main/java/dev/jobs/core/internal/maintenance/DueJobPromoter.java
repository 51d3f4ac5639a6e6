package dev.jobs.core.internal.maintenance;

import dev.jobs.core.spi.JobStore;
import java.time.Duration;

/**
 * Moves scheduled jobs whose time has come to {@code READY}, so counts and dashboards show them as
 * ready and dispatch queues (Redis) learn of them. Workers may claim a due job before this runs.
 */
public final class DueJobPromoter extends MaintenanceTask {
    static final int BATCH = 1000;

    private final JobStore store;

    public DueJobPromoter(JobStore store, Duration interval) {
        super("due job promoter", interval);
        this.store = store;
    }

    @Override
    protected int work() {
        int total = 0;
        int round;
        do {
            round = store.promoteDueJobs(BATCH).size();
            total += round;
        } while (round == BATCH);
        return total;
    }
}
