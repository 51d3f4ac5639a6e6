package dev.jobs.core.spi.support;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jobs.core.spi.RecurringRecord;
import dev.jobs.core.spi.RecurringStore;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The one rule for saving a recurring job's definition over what a store holds ({@link
 * RecurringStore#saveRecurring}): a new name starts with its mark at {@code upToIfNew}; the same
 * schedule and definition change nothing, so every instance may save its schedules at start; any
 * other change replaces the definition and keeps the mark, unless the schedule changed, which moves
 * the mark to {@code upToIfNew} so that the new schedule misses nothing and makes up nothing.
 * Stateless.
 */
public final class RecurringSave {
    private RecurringSave() {}

    /**
     * @param stored the record the store holds under {@code name}, locked
     * @param sameDefinition whether a stored definition is the one being saved, as the store compares
     *     what it keeps
     * @return the record to write, its version one past the stored one's; empty when nothing changes
     */
    public static Optional<RecurringRecord> over(
            Optional<RecurringRecord> stored,
            String name,
            String schedule,
            JsonNode definition,
            Instant upToIfNew,
            Instant now,
            Predicate<RecurringRecord> sameDefinition) {
        if (stored.isEmpty()) {
            return Optional.of(new RecurringRecord(name, schedule, definition.deepCopy(), upToIfNew, 1, now));
        }
        RecurringRecord current = stored.get();
        boolean sameSchedule = current.schedule().equals(schedule);
        if (sameSchedule && sameDefinition.test(current)) {
            return Optional.empty();
        }
        Instant upTo = sameSchedule ? current.upTo() : upToIfNew;
        return Optional.of(
                new RecurringRecord(name, schedule, definition.deepCopy(), upTo, current.version() + 1, now));
    }
}
