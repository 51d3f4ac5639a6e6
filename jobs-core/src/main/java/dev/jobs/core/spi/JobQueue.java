package dev.jobs.core.spi;

import dev.jobs.core.DispatchDepth;
import dev.jobs.core.Job;
import dev.jobs.core.QueueLimits;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Dispatch: carries claimable jobs from the store to workers. The engine's default acquires
 * straight from the store; a faster queue (Redis) sits in front of it but
 * the store stays the truth: a job handed out by a queue is a worker's only once the store has
 * moved it to {@code RUNNING}.
 *
 * <p>Implementations are thread-safe. This SPI may change between minor versions.
 */
public interface JobQueue extends AutoCloseable {

    /** Leases jobs, as {@link JobStore#acquire} describes. */
    List<Job> acquire(AcquireRequest request);

    /**
     * Makes jobs available for dispatch. Called after the store committed them as claimable ({@code
     * READY}, {@code SCHEDULED} or {@code RETRYING}); jobs in other states are ignored.
     */
    void publish(Collection<Job> jobs);

    /**
     * Blocks until work may be available on these queues, or {@code maxWait} passes. Returning does
     * not promise a job; it means "try acquiring now".
     *
     * @throws InterruptedException when the waiting thread is interrupted (shutdown)
     */
    void awaitWork(Set<String> queues, Duration maxWait) throws InterruptedException;

    /**
     * Whether idle workers learn at once of work other processes publish; otherwise they find it by
     * polling. Only said in the engine's start-up log.
     */
    default boolean hearsOtherProcesses() {
        return false;
    }

    /**
     * Checks that the queue's backing service answers, for health checks. The default does
     * nothing: a queue kept in the store is as available as the store.
     *
     * @throws dev.jobs.core.StoreUnavailableException if it cannot be reached
     */
    default void ping() {}

    /**
     * Told after the store paused or resumed a queue, for a queue that keeps its own copy of the
     * flag. The store's flag stays the truth: it refuses to lease jobs of a paused queue anyway.
     */
    default void queuePaused(String queue, boolean paused) {}

    /**
     * Told after the store set a queue's limits, for a queue that dispatches limited queues in its
     * own way. The store enforces them anyway: a queue in front of it only learns to ask it.
     */
    default void queueLimited(String queue, QueueLimits limits) {}

    /**
     * What this queue holds for dispatch on one queue, for a queue that keeps its own state (Redis);
     * empty for one that reads the store, whose counts already say it.
     */
    default Optional<DispatchDepth> depth(String queue) {
        return Optional.empty();
    }

    @Override
    default void close() {}
}
