package dev.jobs.core.internal.maintenance;

import dev.jobs.core.internal.JobMetrics;
import dev.jobs.core.spi.JobStore;
import dev.jobs.core.spi.StoreHealth;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Samples the store's {@link StoreHealth} into the metrics, if any, and warns while something holds
 * vacuum back: at once when it starts, then every few minutes while it lasts (a held-back vacuum
 * lets dead rows pile up until claims slow down), and once more when it ends.
 */
public final class StoreHealthMonitor extends MaintenanceTask {
    private static final Logger log = LoggerFactory.getLogger(StoreHealthMonitor.class);

    /** How often the warning repeats while vacuum stays held back. */
    static final Duration WARN_EVERY = Duration.ofMinutes(5);

    private final JobStore store;
    private final Optional<JobMetrics> metrics;
    private final Clock clock;
    private Instant lastWarned;
    private long warnings;

    public StoreHealthMonitor(JobStore store, Optional<JobMetrics> metrics, Clock clock, Duration interval) {
        super("store health monitor", interval);
        this.store = store;
        this.metrics = metrics;
        this.clock = clock;
    }

    @Override
    protected synchronized int work() {
        Optional<StoreHealth> sampled = store.health();
        if (sampled.isEmpty()) {
            return 0;
        }
        StoreHealth health = sampled.get();
        metrics.ifPresent(m -> m.sampleHealth(health));
        Instant now = clock.instant();
        if (health.vacuumHeldBack().isPresent()) {
            if (lastWarned == null || !now.isBefore(lastWarned.plus(WARN_EVERY))) {
                log.warn("vacuum is held back: {}", health.vacuumHeldBack().get());
                lastWarned = now;
                warnings++;
            }
        } else if (lastWarned != null) {
            log.info("vacuum is no longer held back; the dead rows it could not reclaim go at its next run");
            lastWarned = null;
        }
        return 0;
    }

    /** How many warnings this monitor has logged (for tests). */
    public synchronized long warnings() {
        return warnings;
    }
}
