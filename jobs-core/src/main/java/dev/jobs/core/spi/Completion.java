package dev.jobs.core.spi;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * One successful attempt in a batch of completions ({@link JobStore#completeAll}).
 *
 * @param jobId the job
 * @param leaseToken the lease it ran under
 * @param result the handler's result
 */
public record Completion(UUID jobId, UUID leaseToken, Optional<JsonNode> result) {
    public Completion {
        Objects.requireNonNull(jobId, "jobId");
        Objects.requireNonNull(leaseToken, "leaseToken");
        Objects.requireNonNull(result, "result");
    }
}
