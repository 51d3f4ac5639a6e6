package dev.jobs.core.internal.maintenance;

import dev.jobs.core.PurgeRequest;
import dev.jobs.core.spi.JobStore;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;

/** Deletes finished jobs older than the retention period, and beyond the per-queue count. */
public final class RetentionPruner extends MaintenanceTask {
    private final JobStore store;
    private final Clock clock;
    private final Duration keepFinishedFor;
    private final OptionalInt keepLatestPerQueue;

    public RetentionPruner(
            JobStore store, Clock clock, Duration keepFinishedFor, OptionalInt keepLatestPerQueue, Duration interval) {
        super("retention pruner", interval);
        this.store = store;
        this.clock = clock;
        this.keepFinishedFor = keepFinishedFor;
        this.keepLatestPerQueue = keepLatestPerQueue;
    }

    @Override
    protected int work() {
        return store.purge(new PurgeRequest(Optional.of(clock.instant().minus(keepFinishedFor)), keepLatestPerQueue));
    }
}
