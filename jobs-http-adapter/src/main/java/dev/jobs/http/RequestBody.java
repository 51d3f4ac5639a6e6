package dev.jobs.http;

import java.io.IOException;

/**
 * A request's body, read when {@link JobsHttpApi#handle(ApiRequest, RequestBody)} needs it, at most
 * once: a request refused before (no token, no such route, no slot) is answered without it.
 */
@FunctionalInterface
public interface RequestBody {
    /**
     * Reads the body, or its first {@code max} bytes when it is longer.
     *
     * @throws IOException when the client went away or sent it too slowly
     */
    byte[] read(int max) throws IOException;
}
