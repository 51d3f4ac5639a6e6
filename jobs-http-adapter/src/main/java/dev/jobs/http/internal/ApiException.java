package dev.jobs.http.internal;

import dev.jobs.core.JobValidationException.FieldError;
import java.util.List;
import java.util.Map;

/**
 * A request the API refuses, with the status and the words of its problem document (RFC 9457).
 * Thrown by request handling, turned into an {@code application/problem+json} response in one place.
 */
public final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String title;
    private final List<FieldError> errors;
    private final Map<String, String> headers;

    /** A refusal with headers of its own, such as {@code Retry-After}. */
    public ApiException(int status, String title, String detail, List<FieldError> errors, Map<String, String> headers) {
        super(detail);
        this.status = status;
        this.title = title;
        this.errors = List.copyOf(errors);
        this.headers = Map.copyOf(headers);
    }

    public ApiException(int status, String title, String detail, List<FieldError> errors) {
        this(status, title, detail, errors, Map.of());
    }

    public ApiException(int status, String title, String detail) {
        this(status, title, detail, List.of());
    }

    /** A 400 naming the offending fields. */
    public static ApiException invalid(List<FieldError> errors) {
        return new ApiException(
                400, "Invalid request", errors.size() + " field(s) are invalid; nothing was changed", errors);
    }

    /** A 400 naming one offending field. */
    public static ApiException invalid(String field, String message) {
        return invalid(List.of(new FieldError(field, message)));
    }

    public int status() {
        return status;
    }

    public String title() {
        return title;
    }

    public List<FieldError> errors() {
        return errors;
    }

    public Map<String, String> headers() {
        return headers;
    }
}
