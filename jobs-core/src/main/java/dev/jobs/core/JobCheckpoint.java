package dev.jobs.core;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Objects;

/**
 * The state a job's handler saved last ({@link JobContext#checkpoint}), kept with the job so that a
 * later attempt resumes from it ({@link JobContext#lastCheckpoint}).
 *
 * @param state what the handler saved, as JSON
 * @param savedAt when it was saved
 */
public record JobCheckpoint(JsonNode state, Instant savedAt) {
    public JobCheckpoint {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(savedAt, "savedAt");
    }
}
