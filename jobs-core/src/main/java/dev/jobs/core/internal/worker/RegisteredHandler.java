package dev.jobs.core.internal.worker;

import dev.jobs.core.JobHandler;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A handler as registered on the engine.
 *
 * @param type the job type it runs
 * @param payloadType what the JSON payload is converted to
 * @param handler the code
 * @param timeout the type's attempt timeout, used when a job sets none
 */
public record RegisteredHandler<T>(
        String type, Class<T> payloadType, JobHandler<T> handler, Optional<Duration> timeout) {
    public RegisteredHandler {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(payloadType, "payloadType");
        Objects.requireNonNull(handler, "handler");
        Objects.requireNonNull(timeout, "timeout");
    }
}
