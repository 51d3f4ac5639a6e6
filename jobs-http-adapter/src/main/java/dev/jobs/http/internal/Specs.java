package dev.jobs.http.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jobs.core.DependencyFailurePolicy;
import dev.jobs.core.JobSpec;
import dev.jobs.core.JobValidationException;
import dev.jobs.core.JobValidationException.FieldError;
import dev.jobs.core.MissedOccurrences;
import dev.jobs.core.Priority;
import dev.jobs.core.RecurringJob;
import dev.jobs.core.Schedule;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Turns a create request into a {@link JobSpec}, naming every field that cannot be read. What a job
 * may hold (patterns, ranges, sizes) is then checked by the engine, not here.
 */
public final class Specs {
    private Specs() {}

    /**
     * A job to create and the batch refs it waits on.
     *
     * @param spec the job, with its dependencies on existing jobs
     * @param dependsOnRefs the refs of jobs of the same batch it waits on
     */
    public record Parsed(JobSpec spec, List<String> dependsOnRefs) {}

    /**
     * @param field the path of this job in the request, such as {@code jobs[3]}, or empty for a body
     *     that is the job itself
     * @param refs the refs of the batch this job is part of; empty for a single job
     * @param errors collects what cannot be read
     */
    public static Parsed parse(Bodies.CreateJob body, String field, Set<String> refs, List<FieldError> errors) {
        // Absent is the empty object; an explicit null is a payload like any other JSON value.
        JobSpec spec = body.payload() == null ? JobSpec.of(body.type()) : JobSpec.of(body.type(), body.payload());
        if (body.queue() != null) {
            spec = spec.withQueue(body.queue());
        }
        if (body.priority() != null) {
            Integer priority = priority(body.priority());
            if (priority == null) {
                errors.add(new FieldError(
                        path(field, "priority"),
                        "must be critical, high, normal, low or a whole number " + Priority.MIN + " to "
                                + Priority.MAX));
            } else {
                spec = spec.withPriority(priority);
            }
        }
        if (body.runAt() != null && body.delayMs() != null) {
            errors.add(new FieldError(path(field, "runAt"), "give runAt or delayMs, not both"));
        } else if (body.runAt() != null) {
            try {
                spec = spec.withRunAt(Instant.parse(body.runAt()));
            } catch (DateTimeParseException e) {
                errors.add(new FieldError(
                        path(field, "runAt"), "must be an ISO-8601 instant such as 2026-01-31T09:00:00Z"));
            }
        } else if (body.delayMs() != null) {
            spec = spec.withDelay(Duration.ofMillis(body.delayMs()));
        }
        if (body.maxAttempts() != null) {
            spec = spec.withMaxAttempts(body.maxAttempts());
        }
        if (body.timeoutMs() != null) {
            spec = spec.withTimeout(Duration.ofMillis(body.timeoutMs()));
        }
        var dependsOnIds = new ArrayList<UUID>();
        var dependsOnRefs = new ArrayList<String>();
        List<String> dependsOn = body.dependsOn() == null ? List.of() : body.dependsOn();
        for (int i = 0; i < dependsOn.size(); i++) {
            String dependency = dependsOn.get(i);
            if (refs.contains(dependency)) {
                dependsOnRefs.add(dependency);
                continue;
            }
            try {
                dependsOnIds.add(UUID.fromString(dependency));
            } catch (IllegalArgumentException e) {
                errors.add(new FieldError(
                        path(field, "dependsOn[" + i + "]"),
                        refs.isEmpty() ? "must be a job id" : "names no ref of this batch and is not a job id"));
            }
        }
        spec = spec.withDependsOn(dependsOnIds);
        if (body.onDependencyFailure() != null) {
            try {
                spec = spec.withOnDependencyFailure(DependencyFailurePolicy.valueOf(
                        body.onDependencyFailure().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                errors.add(new FieldError(path(field, "onDependencyFailure"), "must be cancel or run"));
            }
        }
        if (body.uniqueKey() != null) {
            spec = spec.withUniqueKey(body.uniqueKey());
        }
        if (body.concurrencyKey() != null) {
            spec = spec.withConcurrencyKey(body.concurrencyKey());
        }
        if (body.metadata() != null) {
            spec = spec.withMetadata(body.metadata());
        }
        return new Parsed(spec, dependsOnRefs);
    }

    /**
     * Turns a {@code PUT /api/recurring/{name}} body into a recurring job, naming every field that
     * cannot be read ({@code job.} for the job's own); what the definition may hold is then checked
     * by the engine.
     *
     * @return empty when {@code errors} got something
     */
    public static Optional<RecurringJob> recurring(String name, Bodies.PutRecurring body, List<FieldError> errors) {
        Schedule schedule = null;
        if ((body.cron() == null) == (body.everyMs() == null)) {
            errors.add(new FieldError("cron", "give either cron (with zone) or everyMs"));
        } else if (body.cron() != null) {
            if (body.anchor() != null) {
                errors.add(new FieldError("anchor", "goes with everyMs, not with cron"));
            }
            ZoneId zone = ZoneId.of("UTC");
            if (body.zone() != null) {
                try {
                    zone = ZoneId.of(body.zone());
                } catch (DateTimeException e) {
                    errors.add(new FieldError("zone", "must be a time zone such as Europe/Berlin or UTC"));
                }
            }
            try {
                schedule = Schedule.cron(body.cron(), zone);
            } catch (JobValidationException e) {
                errors.addAll(e.errors());
            }
        } else {
            if (body.zone() != null) {
                errors.add(new FieldError("zone", "goes with cron; an interval counts real time"));
            }
            Instant anchor = Instant.EPOCH;
            if (body.anchor() != null) {
                try {
                    anchor = Instant.parse(body.anchor());
                } catch (DateTimeParseException e) {
                    errors.add(new FieldError("anchor", "must be an ISO-8601 instant such as 2026-01-31T09:00:00Z"));
                }
            }
            schedule = Schedule.every(Duration.ofMillis(body.everyMs()), anchor);
        }
        MissedOccurrences missed = MissedOccurrences.RUN_ONCE;
        if (body.missed() != null) {
            try {
                missed = MissedOccurrences.valueOf(body.missed().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                errors.add(new FieldError("missed", "must be run_once, run_all or skip"));
            }
        }
        if (body.job().ref() != null) {
            errors.add(new FieldError("job.ref", "refs name jobs within a batch; leave it out"));
        }
        JobSpec template = parse(body.job(), "job", Set.of(), errors).spec();
        if (!errors.isEmpty()) {
            return Optional.empty();
        }
        RecurringJob recurring = RecurringJob.of(name, schedule, template).withMissed(missed);
        if (body.graceMs() != null) {
            recurring = recurring.withGrace(Duration.ofMillis(body.graceMs()));
        }
        if (body.runAllLimit() != null) {
            recurring = recurring.withRunAllLimit(body.runAllLimit());
        }
        return Optional.of(recurring);
    }

    private static Integer priority(JsonNode value) {
        if (value.isTextual()) {
            return Priority.named(value.asText()).orElse(null);
        }
        if (value.isIntegralNumber() && value.canConvertToInt()) {
            return value.intValue();
        }
        return null;
    }

    static String path(String prefix, String field) {
        return prefix.isEmpty() ? field : prefix + "." + field;
    }
}
