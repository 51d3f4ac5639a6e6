package dev.jobs.core;

import dev.jobs.core.JobValidationException.FieldError;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A job created again and again on a {@link Schedule}: at each occurrence the engine creates one
 * job from the template, due at the occurrence's instant. However many engine instances share the
 * store, each occurrence is created once; occurrences missed while no instance ran follow the
 * {@link MissedOccurrences} policy.
 *
 * <pre>{@code
 * RecurringJob.of("nightly-report", Schedule.cron("0 2 * * *", ZoneId.of("Europe/Berlin")),
 *         JobSpec.of("report.build", new Report("sales")))
 *     .withMissed(MissedOccurrences.RUN_ONCE);
 * }</pre>
 *
 * <p>Each job it creates carries the metadata {@value #NAME_METADATA} (this name) and {@value
 * #OCCURRENCE_METADATA} (the occurrence's instant). Immutable; each {@code with…} method returns a
 * copy. It is checked when it reaches the engine, which names every field that is wrong.
 */
public final class RecurringJob {
    /**
     * How late an occurrence may be created and still count as on time. A minute covers an engine
     * restart or a slow store; an outage longer than that is what {@link MissedOccurrences} is for.
     */
    public static final Duration DEFAULT_GRACE = Duration.ofMinutes(1);

    /** Shortest grace: the engine looks for due occurrences about every second. */
    public static final Duration MIN_GRACE = Duration.ofSeconds(1);

    /** Most missed occurrences {@link MissedOccurrences#RUN_ALL} makes up by default. */
    public static final int DEFAULT_RUN_ALL_LIMIT = 100;

    /** The metadata key that names the recurring job a job was created for. */
    public static final String NAME_METADATA = "recurring";

    /** The metadata key that gives the occurrence (an ISO-8601 instant) a job was created for. */
    public static final String OCCURRENCE_METADATA = "occurrence";

    /** The metadata every occurrence adds, so the template may not hold these keys. */
    private static final List<String> OCCURRENCE_KEYS = List.of(NAME_METADATA, OCCURRENCE_METADATA);

    private static final Pattern NAME = Pattern.compile(JobLimits.RECURRING_NAME_PATTERN);

    private final String name;
    private final Schedule schedule;
    private final JobSpec template;
    private final MissedOccurrences missed;
    private final Duration grace;
    private final int runAllLimit;

    private RecurringJob(
            String name,
            Schedule schedule,
            JobSpec template,
            MissedOccurrences missed,
            Duration grace,
            int runAllLimit) {
        this.name = Objects.requireNonNull(name, "name");
        this.schedule = Objects.requireNonNull(schedule, "schedule");
        this.template = Objects.requireNonNull(template, "template");
        this.missed = Objects.requireNonNull(missed, "missed");
        this.grace = Objects.requireNonNull(grace, "grace");
        this.runAllLimit = runAllLimit;
    }

    /**
     * A recurring job that creates a job like {@code template} at every occurrence of {@code
     * schedule}; missed occurrences run once ({@link MissedOccurrences#RUN_ONCE}). The template
     * sets no run time, dependencies, idempotency key or retry policy of its own: the occurrence
     * gives the run time, and the retry policy is set per job type on the engine.
     */
    public static RecurringJob of(String name, Schedule schedule, JobSpec template) {
        return new RecurringJob(
                name, schedule, template, MissedOccurrences.RUN_ONCE, DEFAULT_GRACE, DEFAULT_RUN_ALL_LIMIT);
    }

    /** What to do with occurrences missed while no engine ran. Default: {@link MissedOccurrences#RUN_ONCE}. */
    public RecurringJob withMissed(MissedOccurrences policy) {
        return new RecurringJob(name, schedule, template, policy, grace, runAllLimit);
    }

    /** How late an occurrence may be and still count as on time. Default: {@link #DEFAULT_GRACE}. */
    public RecurringJob withGrace(Duration newGrace) {
        return new RecurringJob(name, schedule, template, missed, newGrace, runAllLimit);
    }

    /**
     * Most missed occurrences {@link MissedOccurrences#RUN_ALL} makes up (the latest ones). Default:
     * {@link #DEFAULT_RUN_ALL_LIMIT}; at most {@link JobLimits#MAX_RUN_ALL_LIMIT}.
     */
    public RecurringJob withRunAllLimit(int limit) {
        return new RecurringJob(name, schedule, template, missed, grace, limit);
    }

    public String name() {
        return name;
    }

    public Schedule schedule() {
        return schedule;
    }

    public JobSpec template() {
        return template;
    }

    public MissedOccurrences missed() {
        return missed;
    }

    public Duration grace() {
        return grace;
    }

    public int runAllLimit() {
        return runAllLimit;
    }

    /**
     * What is wrong with this definition besides the template's own fields, which the engine checks
     * as it checks any job ({@code template.} fields).
     */
    List<FieldError> problems() {
        var errors = new ArrayList<FieldError>();
        if (!NAME.matcher(name).matches()) {
            errors.add(
                    new FieldError("name", "must match " + JobLimits.RECURRING_NAME_PATTERN + " (was " + name + ")"));
        }
        if (schedule instanceof CronSchedule cron
                && cron.expression().length() > JobLimits.MAX_CRON_EXPRESSION_LENGTH) {
            errors.add(
                    new FieldError("cron", "must be at most " + JobLimits.MAX_CRON_EXPRESSION_LENGTH + " characters"));
        }
        if (grace.compareTo(MIN_GRACE) < 0 || grace.compareTo(JobLimits.MAX_DURATION) > 0) {
            errors.add(new FieldError("grace", "must be between 1 second and 366 days (was " + grace + ")"));
        }
        if (runAllLimit < 1 || runAllLimit > JobLimits.MAX_RUN_ALL_LIMIT) {
            errors.add(new FieldError(
                    "runAllLimit",
                    "must be between 1 and " + JobLimits.MAX_RUN_ALL_LIMIT + " (was " + runAllLimit + ")"));
        }
        if (template.runAt().isPresent() || template.delay().isPresent()) {
            errors.add(new FieldError("template.runAt", "is set by each occurrence; leave it out"));
        }
        if (!template.dependsOn().isEmpty()) {
            errors.add(new FieldError("template.dependsOn", "a recurring job cannot wait for other jobs"));
        }
        if (template.idempotencyKey().isPresent()) {
            errors.add(new FieldError(
                    "template.idempotencyKey", "is set by each occurrence (its name and instant); leave it out"));
        }
        if (template.retryPolicy().isPresent()) {
            errors.add(
                    new FieldError(
                            "template.retryPolicy",
                            "cannot be stored with the schedule; set it for the job type with JobEngineBuilder.retryPolicy(type, policy)"));
        }
        for (String reserved : OCCURRENCE_KEYS) {
            if (template.metadata().containsKey(reserved)) {
                errors.add(new FieldError(
                        "template.metadata", "'" + reserved + "' is set by each occurrence; leave it out"));
            }
        }
        int room = JobLimits.MAX_METADATA_ENTRIES - OCCURRENCE_KEYS.size();
        if (template.metadata().size() > room) {
            errors.add(new FieldError(
                    "template.metadata",
                    "must have at most " + room + " entries, leaving room for the " + OCCURRENCE_KEYS.size()
                            + " each occurrence adds"));
        }
        return errors;
    }

    /**
     * The job of one occurrence: the template, due at the occurrence, labelled with this name and the
     * occurrence. Its idempotency key, made of the two, is a second guard beside the store's
     * high-water mark against creating an occurrence twice.
     */
    JobSpec occurrence(Instant at) {
        var metadata = new HashMap<>(template.metadata());
        metadata.put(NAME_METADATA, name);
        metadata.put(OCCURRENCE_METADATA, at.toString());
        return template.withRunAt(at).withMetadata(metadata).withIdempotencyKey("recurring:" + name + "@" + at);
    }

    @Override
    public String toString() {
        return "RecurringJob[" + name + ", " + schedule.describe() + ", " + template.type() + ", missed " + missed
                + "]";
    }
}
