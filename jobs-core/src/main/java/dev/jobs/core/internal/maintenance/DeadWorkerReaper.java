package dev.jobs.core.internal.maintenance;

import dev.jobs.core.internal.RetryDecider;
import dev.jobs.core.spi.DeadWorker;
import dev.jobs.core.spi.JobStore;
import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Declares dead the workers that stopped reporting to the registry and takes back the jobs they
 * were running, each counted as a failed attempt that retries by its policy. The store declares
 * each worker dead once, so whichever instance notices first does it and no job is taken back twice.
 */
public final class DeadWorkerReaper extends MaintenanceTask {
    private static final Logger log = LoggerFactory.getLogger(DeadWorkerReaper.class);

    private final JobStore store;
    private final RetryDecider retryDecider;
    private final Clock clock;

    public DeadWorkerReaper(JobStore store, RetryDecider retryDecider, Clock clock, Duration interval) {
        super("dead worker reaper", interval);
        this.store = store;
        this.retryDecider = retryDecider;
        this.clock = clock;
    }

    @Override
    protected int work() {
        var reaped = store.reapDeadWorkers(job -> retryDecider.retryAt(job, clock.instant()));
        for (DeadWorker dead : reaped) {
            log.warn(
                    "worker {} on {} has not reported since {}; declared it dead and took back its {} running jobs",
                    dead.worker().id(),
                    dead.worker().host(),
                    dead.worker().lastHeartbeatAt(),
                    dead.reclaimed().size());
        }
        return reaped.size();
    }
}
