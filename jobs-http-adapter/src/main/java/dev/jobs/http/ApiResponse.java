package dev.jobs.http;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One HTTP response from {@link JobsHttpApi}: a body in memory, or a body written as it is produced
 * (server-sent events, CSV exports).
 *
 * @param status the status code
 * @param contentType the body's media type; empty for none
 * @param headers further headers
 * @param body the body, possibly empty; empty when {@code stream} is present
 * @param stream a body to write after the headers, for as long as it lasts
 */
public record ApiResponse(
        int status, String contentType, Map<String, String> headers, byte[] body, Optional<StreamingBody> stream) {
    public ApiResponse {
        Objects.requireNonNull(contentType, "contentType");
        headers = Map.copyOf(headers);
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(stream, "stream");
    }

    /** A response whose whole body is {@code body}. */
    public ApiResponse(int status, String contentType, Map<String, String> headers, byte[] body) {
        this(status, contentType, headers, body, Optional.empty());
    }

    /** A response whose body {@code stream} writes after the headers are sent. */
    public static ApiResponse streaming(
            int status, String contentType, Map<String, String> headers, StreamingBody stream) {
        return new ApiResponse(status, contentType, headers, new byte[0], Optional.of(stream));
    }

    /**
     * A body written as it is produced. The server carrying the API calls {@link #writeTo} once, on
     * the request's own thread, after sending the headers, and closes {@code out} afterwards.
     */
    @FunctionalInterface
    public interface StreamingBody {
        /**
         * Writes the body, flushing as it goes, and returns when it is complete.
         *
         * @throws IOException when the client went away
         * @throws InterruptedException when the server stops
         */
        void writeTo(OutputStream out) throws IOException, InterruptedException;
    }
}
