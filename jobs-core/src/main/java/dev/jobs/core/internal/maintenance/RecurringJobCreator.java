package dev.jobs.core.internal.maintenance;

import dev.jobs.core.Job;
import dev.jobs.core.MissedOccurrences;
import dev.jobs.core.RecurringJob;
import dev.jobs.core.internal.RecurringCodec;
import dev.jobs.core.spi.JobStore;
import dev.jobs.core.spi.NewJob;
import dev.jobs.core.spi.RecurringRecord;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the jobs of recurring schedules whose occurrences have come. Every instance runs it; for
 * each schedule, the store's compare-and-set on the high-water mark ({@link
 * JobStore#advanceRecurring}) lets one instance create an occurrence and turns the others away, so
 * each occurrence is created once.
 */
public final class RecurringJobCreator extends MaintenanceTask {
    private static final Logger log = LoggerFactory.getLogger(RecurringJobCreator.class);

    /** Turns a recurring job's occurrences into jobs to create, validated and with ids. */
    @FunctionalInterface
    public interface OccurrenceJobs {
        List<NewJob> jobsFor(RecurringJob recurring, List<Instant> occurrences);
    }

    private final JobStore store;
    private final OccurrenceJobs occurrenceJobs;
    private final Clock clock;

    /** The last problem logged per schedule, so a broken schedule warns once, not every second. */
    private final Map<String, String> lastProblem = new ConcurrentHashMap<>();

    public RecurringJobCreator(JobStore store, OccurrenceJobs occurrenceJobs, Clock clock, Duration interval) {
        super("recurring job creator", interval);
        this.store = store;
        this.occurrenceJobs = occurrenceJobs;
        this.clock = clock;
    }

    @Override
    protected int work() {
        Instant now = clock.instant();
        int created = 0;
        for (RecurringRecord record : store.recurringJobs()) {
            try {
                created += createDue(record, now);
                lastProblem.remove(record.name());
            } catch (RuntimeException e) {
                // One broken schedule must not hold up the others; it is tried again next round.
                String problem = record.version() + ": " + e.getMessage();
                if (!problem.equals(lastProblem.put(record.name(), problem))) {
                    log.warn(
                            "recurring job '{}' could not create its due occurrences; tried again every {}",
                            record.name(),
                            interval(),
                            e);
                }
            }
        }
        return created;
    }

    private int createDue(RecurringRecord record, Instant now) {
        RecurringJob recurring = RecurringCodec.decode(record.name(), record.definition());
        MissedOccurrences.Due due = recurring
                .missed()
                .due(recurring.schedule(), Optional.of(record.upTo()), now, recurring.grace(), recurring.runAllLimit());
        Instant upTo = due.upTo().orElseThrow();
        if (!upTo.isAfter(record.upTo())) {
            return 0;
        }
        List<NewJob> jobs = occurrenceJobs.jobsFor(recurring, due.create());
        Optional<List<Job>> stored = store.advanceRecurring(record.name(), record.version(), upTo, jobs);
        boolean missedSome = recurring
                .schedule()
                .nextAfter(record.upTo())
                .filter(first -> first.isBefore(now.minus(recurring.grace())))
                .isPresent();
        if (stored.isPresent() && missedSome) {
            log.info(
                    "recurring job '{}' caught up on occurrences missed since {}: created {} ({})",
                    record.name(),
                    record.upTo(),
                    jobs.size(),
                    recurring.missed());
        }
        return stored.map(List::size).orElse(0);
    }
}
