package dev.jobs.core;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A recurring job as the store holds it now, with when it runs next.
 *
 * @param job the definition
 * @param coveredUpTo every occurrence at or before this instant has been created (or dropped, as
 *     its missed-occurrence policy says)
 * @param updatedAt when the definition was last saved
 * @param nextRuns the next occurrences after now, soonest first (a few, for people to read)
 */
public record RecurringStatus(RecurringJob job, Instant coveredUpTo, Instant updatedAt, List<Instant> nextRuns) {
    /** How many next runs a status lists. */
    public static final int NEXT_RUNS_SHOWN = 5;

    public RecurringStatus {
        Objects.requireNonNull(job, "job");
        Objects.requireNonNull(coveredUpTo, "coveredUpTo");
        Objects.requireNonNull(updatedAt, "updatedAt");
        nextRuns = List.copyOf(nextRuns);
    }
}
