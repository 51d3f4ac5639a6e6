package dev.jobs.http;

import dev.jobs.core.JobLimits;
import dev.jobs.core.JobValidationException.FieldError;
import dev.jobs.http.internal.ApiException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.regex.Pattern;

/** Each rule for a parameter of the API's paths, queries and bodies, in one place. */
final class Params {
    private static final Pattern QUEUE_NAME = Pattern.compile(JobLimits.QUEUE_PATTERN);

    private Params() {}

    /** A job id from the path; text that is no id names no job, so it is a 404 like an unknown id. */
    static UUID jobId(String text) {
        try {
            return UUID.fromString(text);
        } catch (IllegalArgumentException e) {
            throw new ApiException(404, "Not found", "no job has the id '" + text + "'");
        }
    }

    /** A queue's name from the path ({@code /api/queues/{name}/…}); a malformed one is named {@code name}. */
    static String queueName(String name) {
        if (!QUEUE_NAME.matcher(name).matches()) {
            throw ApiException.invalid(List.of(new FieldError("name", "must match " + JobLimits.QUEUE_PATTERN)));
        }
        return name;
    }

    /** A duration in whole milliseconds from a body's field, {@code min} to {@code max}; {@code fallback} when absent. */
    static Duration durationMs(String field, Long value, Duration fallback, Duration min, Duration max) {
        if (value == null) {
            return fallback;
        }
        if (value < min.toMillis() || value > max.toMillis()) {
            throw ApiException.invalid(field, "must be " + min.toMillis() + " to " + max.toMillis() + " milliseconds");
        }
        return Duration.ofMillis(value);
    }

    /** A whole-number query parameter, 1 to {@code max}; {@code fallback} when absent. */
    static int positive(ApiRequest request, String name, int fallback, int max) {
        Optional<String> text = request.param(name);
        if (text.isEmpty()) {
            return fallback;
        }
        OptionalInt value = positive(text.get(), max);
        if (value.isEmpty()) {
            throw ApiException.invalid(name, positiveRule(max));
        }
        return value.getAsInt();
    }

    /** The text as a whole number 1 to {@code max}; empty when it is not one. */
    static OptionalInt positive(String text, int max) {
        try {
            int value = Integer.parseInt(text);
            return value >= 1 && value <= max ? OptionalInt.of(value) : OptionalInt.empty();
        } catch (NumberFormatException e) {
            return OptionalInt.empty();
        }
    }

    /** What a client is told of a whole number out of range. */
    static String positiveRule(int max) {
        return "must be a whole number 1 to " + max;
    }
}
