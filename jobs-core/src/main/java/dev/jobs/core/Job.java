package dev.jobs.core;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * A snapshot of one job, as the store held it at one moment. Immutable: a later change to the job
 * produces a new snapshot and never alters this one. {@code payload} and {@code result} are shared
 * between snapshots and must be treated as read-only.
 *
 * @param id time-ordered UUID v7 made by the engine; safe to expose
 * @param queue the queue it is dispatched on
 * @param type which handler runs it
 * @param payload the handler's input
 * @param priority lower runs first ({@link Priority})
 * @param state where it is in its life ({@link JobState})
 * @param runAt not before this instant
 * @param attempt attempts started so far
 * @param maxAttempts the most attempts it gets
 * @param timeout how long one attempt may run
 * @param dependsOn ids of the jobs that must finish first
 * @param onDependencyFailure what a failed dependency does to it
 * @param uniqueKey while this job is not finished, creating another with the key returns this one
 * @param concurrencyKey counted against its queue's {@link QueueLimits#maxRunningPerKey()} while it runs
 * @param progress 0–100, reported by the handler
 * @param progressMessage what the handler said with its last progress
 * @param result the handler's result, once it succeeded
 * @param lastError the failure of the last failed attempt
 * @param leaseOwner the worker running it now
 * @param leaseToken the fencing token of the current lease
 * @param leaseExpiresAt when the current lease lapses unless renewed
 * @param cancelRequested an operator asked to cancel it while it ran
 * @param createdAt when it was created
 * @param startedAt when its latest attempt started
 * @param finishedAt when it reached a terminal state
 * @param updatedAt when it last changed
 * @param metadata the host's own labels
 * @param attempts its finished runs, oldest first (the most recent {@link JobLimits#MAX_ATTEMPT_HISTORY})
 * @param retryPolicy this job's retry policy, overriding its type's and the engine's
 */
public record Job(
        UUID id,
        String queue,
        String type,
        JsonNode payload,
        int priority,
        JobState state,
        Instant runAt,
        int attempt,
        int maxAttempts,
        Optional<Duration> timeout,
        List<UUID> dependsOn,
        DependencyFailurePolicy onDependencyFailure,
        Optional<String> uniqueKey,
        Optional<String> concurrencyKey,
        int progress,
        Optional<String> progressMessage,
        Optional<JsonNode> result,
        Optional<JobError> lastError,
        Optional<String> leaseOwner,
        Optional<UUID> leaseToken,
        Optional<Instant> leaseExpiresAt,
        boolean cancelRequested,
        Instant createdAt,
        Optional<Instant> startedAt,
        Optional<Instant> finishedAt,
        Instant updatedAt,
        Map<String, String> metadata,
        List<Attempt> attempts,
        Optional<RetryPolicy> retryPolicy) {

    public Job {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(queue, "queue");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(runAt, "runAt");
        Objects.requireNonNull(timeout, "timeout");
        dependsOn = List.copyOf(dependsOn);
        Objects.requireNonNull(onDependencyFailure, "onDependencyFailure");
        Objects.requireNonNull(uniqueKey, "uniqueKey");
        Objects.requireNonNull(concurrencyKey, "concurrencyKey");
        Objects.requireNonNull(progressMessage, "progressMessage");
        Objects.requireNonNull(result, "result");
        Objects.requireNonNull(lastError, "lastError");
        Objects.requireNonNull(leaseOwner, "leaseOwner");
        Objects.requireNonNull(leaseToken, "leaseToken");
        Objects.requireNonNull(leaseExpiresAt, "leaseExpiresAt");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(startedAt, "startedAt");
        Objects.requireNonNull(finishedAt, "finishedAt");
        Objects.requireNonNull(updatedAt, "updatedAt");
        metadata = Map.copyOf(metadata);
        attempts = List.copyOf(attempts);
        Objects.requireNonNull(retryPolicy, "retryPolicy");
    }

    /** Whether the job has finished (succeeded, failed or cancelled). */
    public boolean isTerminal() {
        return state.isTerminal();
    }

    /** A builder holding this snapshot's values, for stores that derive the next snapshot. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** A builder for a new snapshot; every field without a default must be set. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds snapshots; used by stores. Not thread-safe. */
    public static final class Builder {
        private UUID id;
        private String queue = JobLimits.DEFAULT_QUEUE;
        private String type;
        private JsonNode payload;
        private int priority = Priority.NORMAL;
        private JobState state;
        private Instant runAt;
        private int attempt;
        private int maxAttempts = JobLimits.DEFAULT_MAX_ATTEMPTS;
        private Duration timeout;
        private List<UUID> dependsOn = List.of();
        private DependencyFailurePolicy onDependencyFailure = DependencyFailurePolicy.CANCEL;
        private String uniqueKey;
        private String concurrencyKey;
        private int progress;
        private String progressMessage;
        private JsonNode result;
        private JobError lastError;
        private String leaseOwner;
        private UUID leaseToken;
        private Instant leaseExpiresAt;
        private boolean cancelRequested;
        private Instant createdAt;
        private Instant startedAt;
        private Instant finishedAt;
        private Instant updatedAt;
        private Map<String, String> metadata = Map.of();
        private List<Attempt> attempts = List.of();
        private RetryPolicy retryPolicy;

        private Builder() {}

        private Builder(Job job) {
            id = job.id;
            queue = job.queue;
            type = job.type;
            payload = job.payload;
            priority = job.priority;
            state = job.state;
            runAt = job.runAt;
            attempt = job.attempt;
            maxAttempts = job.maxAttempts;
            timeout = job.timeout.orElse(null);
            dependsOn = job.dependsOn;
            onDependencyFailure = job.onDependencyFailure;
            uniqueKey = job.uniqueKey.orElse(null);
            concurrencyKey = job.concurrencyKey.orElse(null);
            progress = job.progress;
            progressMessage = job.progressMessage.orElse(null);
            result = job.result.orElse(null);
            lastError = job.lastError.orElse(null);
            leaseOwner = job.leaseOwner.orElse(null);
            leaseToken = job.leaseToken.orElse(null);
            leaseExpiresAt = job.leaseExpiresAt.orElse(null);
            cancelRequested = job.cancelRequested;
            createdAt = job.createdAt;
            startedAt = job.startedAt.orElse(null);
            finishedAt = job.finishedAt.orElse(null);
            updatedAt = job.updatedAt;
            metadata = job.metadata;
            attempts = job.attempts;
            retryPolicy = job.retryPolicy.orElse(null);
        }

        public Builder id(UUID value) {
            id = value;
            return this;
        }

        public Builder queue(String value) {
            queue = value;
            return this;
        }

        public Builder type(String value) {
            type = value;
            return this;
        }

        public Builder payload(JsonNode value) {
            payload = value;
            return this;
        }

        public Builder priority(int value) {
            priority = value;
            return this;
        }

        public Builder state(JobState value) {
            state = value;
            return this;
        }

        public Builder runAt(Instant value) {
            runAt = value;
            return this;
        }

        public Builder attempt(int value) {
            attempt = value;
            return this;
        }

        public Builder maxAttempts(int value) {
            maxAttempts = value;
            return this;
        }

        /** The attempt timeout; {@code null} for none. */
        public Builder timeout(Duration value) {
            timeout = value;
            return this;
        }

        public Builder dependsOn(List<UUID> value) {
            dependsOn = value;
            return this;
        }

        public Builder onDependencyFailure(DependencyFailurePolicy value) {
            onDependencyFailure = value;
            return this;
        }

        /** The unique key; {@code null} for none. */
        public Builder uniqueKey(String value) {
            uniqueKey = value;
            return this;
        }

        /** The concurrency key; {@code null} for none. */
        public Builder concurrencyKey(String value) {
            concurrencyKey = value;
            return this;
        }

        public Builder progress(int value) {
            progress = value;
            return this;
        }

        /** The progress message; {@code null} for none. */
        public Builder progressMessage(String value) {
            progressMessage = value;
            return this;
        }

        /** The result; {@code null} for none. */
        public Builder result(JsonNode value) {
            result = value;
            return this;
        }

        /** The last error; {@code null} for none. */
        public Builder lastError(JobError value) {
            lastError = value;
            return this;
        }

        /** Sets the lease; pass {@code null}s to clear it. */
        public Builder lease(String owner, UUID token, Instant expiresAt) {
            leaseOwner = owner;
            leaseToken = token;
            leaseExpiresAt = expiresAt;
            return this;
        }

        /** Clears the lease, as every transition out of {@link JobState#RUNNING} must. */
        public Builder clearLease() {
            return lease(null, null, null).cancelRequested(false);
        }

        public Builder cancelRequested(boolean value) {
            cancelRequested = value;
            return this;
        }

        public Builder createdAt(Instant value) {
            createdAt = value;
            return this;
        }

        /** When the latest attempt started; {@code null} for never. */
        public Builder startedAt(Instant value) {
            startedAt = value;
            return this;
        }

        /** When it finished; {@code null} for not yet. */
        public Builder finishedAt(Instant value) {
            finishedAt = value;
            return this;
        }

        public Builder updatedAt(Instant value) {
            updatedAt = value;
            return this;
        }

        public Builder metadata(Map<String, String> value) {
            metadata = value;
            return this;
        }

        public Builder attempts(List<Attempt> value) {
            attempts = value;
            return this;
        }

        /** This job's own retry policy; {@code null} to follow its type's. */
        public Builder retryPolicy(RetryPolicy value) {
            retryPolicy = value;
            return this;
        }

        public Job build() {
            return new Job(
                    id,
                    queue,
                    type,
                    payload,
                    priority,
                    state,
                    runAt,
                    attempt,
                    maxAttempts,
                    Optional.ofNullable(timeout),
                    dependsOn,
                    onDependencyFailure,
                    Optional.ofNullable(uniqueKey),
                    Optional.ofNullable(concurrencyKey),
                    progress,
                    Optional.ofNullable(progressMessage),
                    Optional.ofNullable(result),
                    Optional.ofNullable(lastError),
                    Optional.ofNullable(leaseOwner),
                    Optional.ofNullable(leaseToken),
                    Optional.ofNullable(leaseExpiresAt),
                    cancelRequested,
                    createdAt,
                    Optional.ofNullable(startedAt),
                    Optional.ofNullable(finishedAt),
                    updatedAt,
                    metadata,
                    attempts,
                    Optional.ofNullable(retryPolicy));
        }
    }
}
