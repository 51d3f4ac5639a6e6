package dev.jobs.core.spi;

import dev.jobs.core.FinishedInMinute;
import dev.jobs.core.QueueCounts;
import dev.jobs.core.QueueStats;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What a {@link JobStore} tells about its jobs in aggregate: counts per queue and state, finishes
 * over time, and the database's own upkeep.
 *
 * <p>This SPI may change between minor versions.
 */
public interface StatisticsStore {
    /** Counts per queue and state, for every queue that holds a job or is paused. */
    List<QueueCounts> counts();

    /**
     * For each queue with jobs that succeeded or failed at or after {@code finishedSince}: how many
     * of each, and the mean time their last attempts ran ({@code finishedAt - startedAt}).
     */
    List<QueueStats> queueStats(Instant finishedSince);

    /**
     * Jobs that succeeded or failed at or after {@code since}, counted per minute (UTC), oldest
     * first; minutes without any are left out.
     */
    List<FinishedInMinute> finishedPerMinute(Instant since);

    /**
     * The database's view of the store's upkeep (table sizes, dead rows, what holds vacuum back),
     * read afresh; sampled by the engine every half minute or so, never on a hot path.
     *
     * @return empty for stores that have nothing to say (in memory, or a database without such statistics)
     */
    default Optional<StoreHealth> health() {
        return Optional.empty();
    }
}
