package dev.jobs.core.internal.maintenance;

import dev.jobs.core.internal.JobMetrics;
import dev.jobs.core.spi.JobStore;
import java.time.Duration;

/**
 * Refreshes the queue depth gauges from the store's counts, so a metrics scrape never queries the
 * store itself.
 */
public final class QueueDepthSampler extends MaintenanceTask {
    private final JobStore store;
    private final JobMetrics metrics;

    public QueueDepthSampler(JobStore store, JobMetrics metrics, Duration interval) {
        super("queue depth sampler", interval);
        this.store = store;
        this.metrics = metrics;
    }

    @Override
    protected int work() {
        metrics.sampleDepth(store.counts());
        return 0;
    }
}
