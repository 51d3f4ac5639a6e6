package dev.jobs.core.spi;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jobs.core.Job;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The recurring jobs' definitions a {@link JobStore} keeps for every engine sharing it, and the
 * mark up to which each one's occurrences were created.
 *
 * <p>This SPI may change between minor versions.
 */
public interface RecurringStore {
    /**
     * Saves a recurring job's definition, for every engine sharing the store. A new name is stored
     * with its mark at {@code upToIfNew}. For a name already stored, an identical definition changes
     * nothing (so every instance may save its code-registered schedules at start); another definition
     * replaces the stored one and keeps the mark, unless the schedule changed, in which case the mark
     * moves to {@code upToIfNew}, so that the new schedule misses nothing and makes up nothing.
     *
     * @return the record as stored now
     */
    RecurringRecord saveRecurring(String name, String schedule, JsonNode definition, Instant upToIfNew);

    /** Every recurring job, by name. */
    List<RecurringRecord> recurringJobs();

    Optional<RecurringRecord> recurringJob(String name);

    /**
     * Deletes a recurring job's definition; jobs it already created stay.
     *
     * @return whether there was one
     */
    boolean deleteRecurring(String name);

    /**
     * Moves a recurring job's mark to {@code upTo} and creates its occurrences' jobs, in one
     * transaction, if the record is still at {@code expectedVersion}; otherwise changes nothing.
     * Every instance may try the same occurrences at once: one wins, the others find the version
     * moved, so each occurrence is created once.
     *
     * @param jobs the occurrences' jobs, created as {@link #create} would
     * @return the created jobs, or empty when the record was changed (or deleted) since it was read
     */
    Optional<List<Job>> advanceRecurring(String name, long expectedVersion, Instant upTo, List<NewJob> jobs);
}
