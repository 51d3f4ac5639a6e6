package dev.jobs.http.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jobs.core.JobLimits;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The request bodies of the wire format. Shape and sizes are checked here with jakarta.validation;
 * what a job may hold is checked by the engine, so the Java API and HTTP share one set of rules.
 * Unknown fields are refused by the JSON reader.
 */
public final class Bodies {
    private Bodies() {}

    /** {@code POST /api/jobs}, and each item of a batch. */
    public record CreateJob(
            @NotNull String type,
            String queue,
            JsonNode payload,
            JsonNode priority,
            String runAt,
            @Min(0) @Max(JobLimits.MAX_DURATION_MS) Long delayMs,
            Integer maxAttempts,
            @Min(1) @Max(JobLimits.MAX_DURATION_MS) Long timeoutMs,
            @Size(max = JobLimits.MAX_DEPENDENCIES) List<@NotNull String> dependsOn,
            String onDependencyFailure,
            String uniqueKey,
            String concurrencyKey,
            Map<@NotNull String, @NotNull String> metadata,
            @Size(min = 1, max = 255) String ref) {}

    /**
     * {@code PUT /api/recurring/{name}}: a cron expression (with its zone) or an interval, what to
     * do with missed occurrences, and the job to create at each occurrence.
     */
    public record PutRecurring(
            @Size(max = JobLimits.MAX_CRON_EXPRESSION_LENGTH)
            String cron,

            @Size(max = 64) String zone,
            @Min(1000) @Max(JobLimits.MAX_DURATION_MS) Long everyMs,
            String anchor,
            String missed,
            @Min(1000) @Max(JobLimits.MAX_DURATION_MS) Long graceMs,
            @Min(1) @Max(JobLimits.MAX_RUN_ALL_LIMIT) Integer runAllLimit,
            @NotNull @Valid CreateJob job) {}

    /** {@code POST /api/jobs/batch}. */
    public record Batch(
            @NotEmpty @Size(max = JobLimits.MAX_BATCH_SIZE) List<@NotNull @Valid CreateJob> jobs) {}

    /** {@code POST /api/jobs/acquire}. */
    public record Acquire(
            @NotBlank @Size(max = JobLimits.MAX_WORKER_ID_LENGTH)
            String workerId,

            @NotEmpty @Size(max = 64) List<@NotNull String> queues,
            @Min(1) @Max(JobLimits.MAX_ACQUIRE_BATCH) Integer limit,
            Long leaseMs,
            Long waitMs) {}

    /** {@code POST /api/jobs/{id}/heartbeat}. */
    public record Heartbeat(
            @NotNull UUID leaseToken,
            Long leaseMs,
            @Min(0) @Max(100) Integer progress,

            @Size(max = JobLimits.MAX_PROGRESS_MESSAGE_LENGTH)
            String message) {}

    /** {@code PUT /api/queues/{name}/limits}; a limit left out is not set. */
    public record PutQueueLimits(
            @Min(1) @Max(JobLimits.MAX_QUEUE_LIMIT) Integer maxRunning,
            @Valid StartRate maxStarts,
            @Min(1) @Max(JobLimits.MAX_QUEUE_LIMIT) Integer maxRunningPerKey) {}

    /** At most {@code starts} starts per {@code perMs}. */
    public record StartRate(
            @NotNull @Min(1) @Max(JobLimits.MAX_QUEUE_LIMIT) Integer starts,

            @NotNull @Min(JobLimits.MIN_START_WINDOW_MS) @Max(JobLimits.MAX_START_WINDOW_MS)
            Long perMs) {}

    /** {@code POST /api/jobs/{id}/complete}. */
    public record Complete(@NotNull UUID leaseToken, JsonNode result) {}

    /** {@code POST /api/jobs/{id}/steps/{name}}: the step's place among the job's steps, from 0. */
    public record RecordStep(
            @NotNull UUID leaseToken,
            @NotNull @Min(0) @Max(JobLimits.MAX_STEPS - 1) Integer index,
            JsonNode result) {}

    /** {@code PUT /api/jobs/{id}/checkpoint}. */
    public record SaveCheckpoint(
            @NotNull UUID leaseToken, @NotNull JsonNode state) {}

    /** {@code POST /api/jobs/{id}/fail}. */
    public record Fail(
            @NotNull UUID leaseToken,
            @NotNull @Valid Error error,
            Boolean retryable,
            @Min(0) @Max(JobLimits.MAX_DURATION_MS) Long retryAfterMs) {}

    /** What went wrong in a remote worker. */
    public record Error(
            @Size(max = 255) String type,
            @Size(max = JobLimits.MAX_ERROR_MESSAGE_CHARS) String message,
            @Size(max = JobLimits.MAX_STACK_TRACE_CHARS) String stack) {}
}
