package dev.jobs.core;

import dev.jobs.core.JobValidationException.FieldError;
import dev.jobs.core.internal.ObservedJobStore;
import dev.jobs.core.internal.RecurringCodec;
import dev.jobs.core.internal.SpecValidator;
import dev.jobs.core.spi.NewJob;
import dev.jobs.core.spi.RecurringRecord;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's recurring jobs: each checked whole before it is saved for every engine on the
 * store, read back with its next runs, and its due occurrences made into jobs. Thread-safe.
 */
final class RecurringJobs {
    private static final Logger log = LoggerFactory.getLogger(JobEngine.class);

    private final SpecValidator validator;
    private final ObservedJobStore store;
    private final Clock clock;
    private final JobSubmission submission;

    RecurringJobs(SpecValidator validator, ObservedJobStore store, Clock clock, JobSubmission submission) {
        this.validator = validator;
        this.store = store;
        this.clock = clock;
        this.submission = submission;
    }

    /** What is wrong with a recurring job, its schedule's fields and its template's ({@code template.}). */
    List<FieldError> problemsOf(RecurringJob recurring) {
        var errors = new ArrayList<>(recurring.problems());
        errors.addAll(validator.validate(recurring.template(), "template."));
        return errors;
    }

    RecurringStatus put(RecurringJob recurring) {
        List<FieldError> errors = problemsOf(recurring);
        if (!errors.isEmpty()) {
            throw new JobValidationException(errors);
        }
        return save(recurring);
    }

    /** Saves a recurring job checked already. */
    RecurringStatus save(RecurringJob recurring) {
        return status(store.saveRecurring(
                recurring.name(), recurring.schedule().describe(), RecurringCodec.encode(recurring), clock.instant()));
    }

    /** Every recurring job in the store whose definition this engine can read. */
    List<RecurringStatus> all() {
        var statuses = new ArrayList<RecurringStatus>();
        for (RecurringRecord record : store.recurringJobs()) {
            try {
                statuses.add(status(record));
            } catch (IllegalStateException e) {
                log.debug("recurring job '{}' not listed: {}", record.name(), e.getMessage());
            }
        }
        return statuses;
    }

    Optional<RecurringStatus> get(String name) {
        return store.recurringJob(name).map(this::status);
    }

    boolean delete(String name) {
        return store.deleteRecurring(name);
    }

    private RecurringStatus status(RecurringRecord record) {
        RecurringJob recurring = RecurringCodec.decode(record.name(), record.definition());
        var nextRuns = new ArrayList<Instant>();
        Instant from = clock.instant();
        if (record.upTo().isAfter(from)) {
            from = record.upTo();
        }
        Optional<Instant> next = recurring.schedule().nextAfter(from);
        while (next.isPresent() && nextRuns.size() < RecurringStatus.NEXT_RUNS_SHOWN) {
            nextRuns.add(next.get());
            next = recurring.schedule().nextAfter(next.get());
        }
        return new RecurringStatus(recurring, record.upTo(), record.updatedAt(), nextRuns);
    }

    /** The jobs of a recurring job's occurrences (see {@link RecurringJob#occurrence}), validated and with ids. */
    List<NewJob> occurrenceJobs(RecurringJob recurring, List<Instant> occurrences) {
        if (occurrences.isEmpty()) {
            return List.of();
        }
        return submission.prepare(
                occurrences.stream().map(recurring::occurrence).toList());
    }
}
