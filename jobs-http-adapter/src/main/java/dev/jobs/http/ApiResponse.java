package dev.jobs.http;

import java.util.Map;
import java.util.Objects;

/**
 * One HTTP response from {@link JobsHttpApi}.
 *
 * @param status the status code
 * @param contentType the body's media type; empty for none
 * @param headers further headers
 * @param body the body, possibly empty
 */
public record ApiResponse(int status, String contentType, Map<String, String> headers, byte[] body) {
    public ApiResponse {
        Objects.requireNonNull(contentType, "contentType");
        headers = Map.copyOf(headers);
        Objects.requireNonNull(body, "body");
    }
}
