package dev.jobs.core.internal.maintenance;

import dev.jobs.core.Job;
import dev.jobs.core.internal.ObservedJobStore;
import dev.jobs.core.spi.HostTransactionStore;
import java.time.Duration;
import java.util.List;

/**
 * Announces the jobs hosts created in their own transactions (transactional enqueue) once those
 * committed: takes them from the store, which noted them in the host's transaction, and raises
 * their {@code CREATED} events, through which metrics count them and a dispatch queue (Redis)
 * learns of them. A rolled-back job was never noted, so it is never announced.
 */
public final class HostCommitAnnouncer extends MaintenanceTask {
    static final int BATCH = 1000;

    private final HostTransactionStore host;
    private final ObservedJobStore store;

    public HostCommitAnnouncer(HostTransactionStore host, ObservedJobStore store, Duration interval) {
        super("host commit announcer", interval);
        this.host = host;
        this.store = store;
    }

    @Override
    protected int work() {
        int total = 0;
        List<Job> round;
        do {
            round = host.takeUnannounced(BATCH);
            if (!round.isEmpty()) {
                store.announceCreated(round);
            }
            total += round.size();
        } while (round.size() == BATCH);
        return total;
    }
}
