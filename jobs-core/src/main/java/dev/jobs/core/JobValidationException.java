package dev.jobs.core;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A request was rejected for what the caller sent (a job to create, a remote worker's step);
 * nothing from it was stored or changed. {@link #errors()} names every offending field, not just
 * the first.
 */
public final class JobValidationException extends JobsException {
    private static final long serialVersionUID = 1L;

    /**
     * One rejected field.
     *
     * @param field the field's path, such as {@code queue}, {@code [3].priority} for the fourth job
     *     of a batch, or {@code nodes[resize].dependsOn} for a graph node
     * @param message what is wrong and what is allowed
     */
    public record FieldError(String field, String message) {
        @Override
        public String toString() {
            return field + ": " + message;
        }
    }

    private final List<FieldError> errors;

    /** One offending field. */
    public static JobValidationException of(String field, String message) {
        return new JobValidationException(List.of(new FieldError(field, message)));
    }

    public JobValidationException(List<FieldError> errors) {
        super(describe(errors));
        this.errors = List.copyOf(errors);
    }

    /** The rejected fields, never empty. */
    public List<FieldError> errors() {
        return errors;
    }

    private static String describe(List<FieldError> errors) {
        if (errors.isEmpty()) {
            throw new IllegalArgumentException("a validation failure needs at least one field error");
        }
        return "rejected, nothing was stored or changed: "
                + errors.stream().map(FieldError::toString).collect(Collectors.joining("; "));
    }
}
