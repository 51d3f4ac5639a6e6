package dev.jobs.core.spi;

import dev.jobs.core.StoppedWorker;
import dev.jobs.core.WorkerInfo;
import dev.jobs.core.spi.support.JobTransitions;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The registry of workers a {@link JobStore} keeps for every engine sharing it: who is alive, who
 * stopped, who was declared dead, and the jobs taken back from them.
 *
 * <p>This SPI may change between minor versions.
 */
public interface WorkerRegistryStore {
    /**
     * Adds or refreshes a worker in the registry. A worker declared dead or stopped that reports
     * again is alive again; the jobs taken back from it stay taken (its old leases fail with {@link
     * dev.jobs.core.LeaseLostException}). An id registered to another {@link WorkerInfo#owner()} is
     * refused unless that worker stopped, atomically with the check: two owners racing for a free id
     * end with one of them holding it. A stored worker without an owner (registered before owners
     * were kept) is taken by the first to report.
     *
     * @throws dev.jobs.core.WorkerIdTakenException if another owner holds the id; nothing changes
     */
    void registerWorker(WorkerInfo worker);

    void removeWorker(String workerId);

    /**
     * A worker says it is stopping: it is marked stopped (listed as such, never declared dead, its id
     * free for anyone) and the jobs it is running are handed back at once ({@link
     * JobTransitions#released}), in one transaction.
     *
     * @return the worker as stopped, with the jobs handed back; empty if no such worker is registered
     */
    Optional<StoppedWorker> stopWorker(String workerId);

    List<WorkerInfo> workers();

    /**
     * A page of the registry in id order: up to {@code limit} workers whose ids sort after {@code
     * after} (from the first when empty), so a registry of any size is read in bounded pieces.
     */
    List<WorkerInfo> workers(Optional<String> after, int limit);

    /** The worker registered under this id, if any. */
    Optional<WorkerInfo> worker(String id);

    /**
     * Declares dead every live worker past its {@link WorkerInfo#expiresAt()}, and takes back the
     * jobs it is running, in the same transaction: each ends as {@link JobTransitions#abandoned}
     * (retrying at the instant {@code policy} gives, failed when it gives none, cancelled if
     * cancellation was asked), whether or not its lease has run out. Each worker is declared dead by
     * exactly one call, so its jobs are taken back once, even when every instance runs this at once.
     * A {@linkplain WorkerInfo#remote() remote} worker running nothing is removed from the registry
     * instead: there is nothing to take back, and ids made up by clients must not pile up.
     *
     * @return the workers this call declared dead, with the jobs it took back
     */
    List<DeadWorker> reapDeadWorkers(LapsedLeasePolicy policy);

    /** Removes workers, dead or alive, whose last heartbeat is older than {@code cutoff}; returns how many. */
    int removeWorkersSilentSince(Instant cutoff);
}
