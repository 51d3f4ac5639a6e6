package dev.jobs.core;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Objects;

/**
 * A durable step of a job, as recorded under a lease: the first attempt that reaches it runs it
 * and records its result here; a later attempt of the job (a retry, a crashed worker's job taken
 * over) gets this result back instead of running the step again. See {@link JobContext#step}.
 *
 * @param name the name the handler gave the step
 * @param result what it returned, as JSON ({@code null} as JSON null)
 * @param recordedAt when it was recorded
 */
public record JobStep(String name, JsonNode result, Instant recordedAt) {
    public JobStep {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(result, "result");
        Objects.requireNonNull(recordedAt, "recordedAt");
    }
}
