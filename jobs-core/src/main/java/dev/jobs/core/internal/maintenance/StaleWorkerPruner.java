package dev.jobs.core.internal.maintenance;

import dev.jobs.core.spi.JobStore;
import java.time.Clock;
import java.time.Duration;

/** Drops workers from the registry that stopped reporting (crashed without saying goodbye). */
public final class StaleWorkerPruner extends MaintenanceTask {
    private final JobStore store;
    private final Clock clock;
    private final Duration silence;

    public StaleWorkerPruner(JobStore store, Clock clock, Duration silence, Duration interval) {
        super("stale worker pruner", interval);
        this.store = store;
        this.clock = clock;
        this.silence = silence;
    }

    @Override
    protected int work() {
        return store.removeWorkersSilentSince(clock.instant().minus(silence));
    }
}
