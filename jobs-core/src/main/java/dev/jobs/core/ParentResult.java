package dev.jobs.core;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * What one of a job's dependencies (its parents) came to, for a fan-in job that reads its parents'
 * results ({@link JobContext#parentResults}).
 *
 * @param id the parent's id
 * @param name the parent's ref in the {@link JobGraph} that created them both; empty for a parent
 *     named by id
 * @param state the parent's state; empty when it has been purged
 * @param result what the parent returned, once it succeeded
 */
public record ParentResult(UUID id, Optional<String> name, Optional<JobState> state, Optional<JsonNode> result) {
    public ParentResult {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(result, "result");
    }
}
