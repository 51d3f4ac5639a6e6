package dev.jobs.http.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jobs.core.DependencyFailurePolicy;
import dev.jobs.core.JobSpec;
import dev.jobs.core.JobValidationException.FieldError;
import dev.jobs.core.Priority;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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
        JobSpec spec = body.payload() == null || body.payload().isNull()
                ? JobSpec.of(body.type())
                : JobSpec.of(body.type(), body.payload());
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
        if (body.metadata() != null) {
            spec = spec.withMetadata(body.metadata());
        }
        return new Parsed(spec, dependsOnRefs);
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
