package dev.jobs.core.spi;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Objects;

/**
 * A recurring job as a store keeps it: the engine's definition, which the store does not read, and
 * the high-water mark that makes each occurrence happen once.
 *
 * @param name the recurring job's name, unique in the store
 * @param schedule the schedule as {@link dev.jobs.core.Schedule#describe()} writes it; a change of
 *     schedule moves the mark (see {@link JobStore#saveRecurring})
 * @param definition the engine's encoding of the whole definition (schedule, template, policy)
 * @param upTo every occurrence at or before this instant has been created or dropped
 * @param version changes with every write of the record, definition or mark, so that a write based
 *     on a stale read is refused ({@link JobStore#advanceRecurring})
 * @param updatedAt when the definition was last saved
 */
public record RecurringRecord(
        String name, String schedule, JsonNode definition, Instant upTo, long version, Instant updatedAt) {
    public RecurringRecord {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(schedule, "schedule");
        Objects.requireNonNull(definition, "definition");
        Objects.requireNonNull(upTo, "upTo");
        Objects.requireNonNull(updatedAt, "updatedAt");
    }
}
