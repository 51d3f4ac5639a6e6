package dev.jobs.core;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jobs.core.internal.Json;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import org.hibernate.validator.constraints.time.DurationMax;
import org.hibernate.validator.constraints.time.DurationMin;

/**
 * What to run: a type and a JSON payload, with options. Immutable; each {@code with…} method
 * returns a copy. A spec is checked when it reaches the engine ({@link JobEngine#enqueue}), which
 * rejects it with a {@link JobValidationException} naming every offending field.
 *
 * <pre>{@code
 * JobSpec.of("email.send", new Email("a@example.com"))
 *     .withQueue("mail")
 *     .withPriority(Priority.HIGH)
 *     .withDelay(Duration.ofMinutes(5));
 * }</pre>
 */
public final class JobSpec {
    @NotNull
    @Pattern(regexp = JobLimits.TYPE_PATTERN, message = "must match " + JobLimits.TYPE_PATTERN)
    private final String type;

    @NotNull
    private final JsonNode payload;

    @NotNull
    @Pattern(regexp = JobLimits.QUEUE_PATTERN, message = "must match " + JobLimits.QUEUE_PATTERN)
    private final String queue;

    @Min(value = Priority.MIN, message = "must be between {value} and " + Priority.MAX)
    @Max(value = Priority.MAX, message = "must be between " + Priority.MIN + " and {value}")
    private final int priority;

    private final Instant runAt;

    @DurationMin(nanos = 0, message = "must not be negative")
    @DurationMax(days = 366, message = "must be at most 366 days")
    private final Duration delay;

    @Min(value = 1, message = "must be at least 1")
    @Max(value = JobLimits.MAX_ATTEMPTS, message = "must be at most {value}")
    private final int maxAttempts;

    @DurationMin(nanos = 1, message = "must be positive")
    @DurationMax(days = 366, message = "must be at most 366 days")
    private final Duration timeout;

    @Size(max = JobLimits.MAX_DEPENDENCIES, message = "must name at most {max} jobs")
    private final Set<@NotNull UUID> dependsOn;

    @NotNull
    private final DependencyFailurePolicy onDependencyFailure;

    @Size(min = 1, max = JobLimits.MAX_UNIQUE_KEY_LENGTH, message = "must be 1 to {max} characters")
    private final String uniqueKey;

    @Size(min = 1, max = JobLimits.MAX_CONCURRENCY_KEY_LENGTH, message = "must be 1 to {max} characters")
    private final String concurrencyKey;

    @Size(min = 1, max = JobLimits.MAX_IDEMPOTENCY_KEY_LENGTH, message = "must be 1 to {max} characters")
    private final String idempotencyKey;

    @Size(max = JobLimits.MAX_METADATA_ENTRIES, message = "must have at most {max} entries")
    private final Map<
                    @NotBlank
                    @Size(max = JobLimits.MAX_METADATA_KEY_LENGTH, message = "keys must be 1 to {max} characters")
                    String,
                    @NotNull
                    @Size(
                            max = JobLimits.MAX_METADATA_VALUE_LENGTH,
                            message = "values must be at most {max} characters")
                    String>
            metadata;

    private final RetryPolicy retryPolicy;

    private JobSpec(
            String type,
            JsonNode payload,
            String queue,
            int priority,
            Instant runAt,
            Duration delay,
            int maxAttempts,
            Duration timeout,
            Set<UUID> dependsOn,
            DependencyFailurePolicy onDependencyFailure,
            String uniqueKey,
            String concurrencyKey,
            String idempotencyKey,
            Map<String, String> metadata,
            RetryPolicy retryPolicy) {
        this.type = type;
        this.payload = payload;
        this.queue = queue;
        this.priority = priority;
        this.runAt = runAt;
        this.delay = delay;
        this.maxAttempts = maxAttempts;
        this.timeout = timeout;
        this.dependsOn = dependsOn;
        this.onDependencyFailure = onDependencyFailure;
        this.uniqueKey = uniqueKey;
        this.concurrencyKey = concurrencyKey;
        this.idempotencyKey = idempotencyKey;
        this.metadata = metadata;
        this.retryPolicy = retryPolicy;
    }

    /**
     * A job of this type with this payload, on the default queue with normal priority. The payload
     * may be a {@link JsonNode} or any object Jackson can turn into JSON.
     */
    public static JobSpec of(String type, Object payload) {
        Objects.requireNonNull(payload, "payload (use JobSpec.of(type) for none)");
        JsonNode json = payload instanceof JsonNode node
                ? node.deepCopy()
                : Json.mapper().valueToTree(payload);
        return new JobSpec(
                type,
                json,
                JobLimits.DEFAULT_QUEUE,
                Priority.NORMAL,
                null,
                null,
                JobLimits.DEFAULT_MAX_ATTEMPTS,
                null,
                Set.of(),
                DependencyFailurePolicy.CANCEL,
                null,
                null,
                null,
                Map.of(),
                null);
    }

    /** A job of this type with an empty JSON object as payload. */
    public static JobSpec of(String type) {
        return of(type, Json.mapper().createObjectNode());
    }

    public JobSpec withQueue(String newQueue) {
        return copy(b -> b.queue = newQueue);
    }

    /** Lower runs first; see {@link Priority}. */
    public JobSpec withPriority(int newPriority) {
        return copy(b -> b.priority = newPriority);
    }

    /** Not before this instant. Replaces any delay. */
    public JobSpec withRunAt(Instant newRunAt) {
        return copy(b -> {
            b.runAt = Objects.requireNonNull(newRunAt, "runAt");
            b.delay = null;
        });
    }

    /** Not before this long after it is enqueued. Replaces any {@code runAt}. */
    public JobSpec withDelay(Duration newDelay) {
        return copy(b -> {
            b.delay = Objects.requireNonNull(newDelay, "delay");
            b.runAt = null;
        });
    }

    public JobSpec withMaxAttempts(int newMaxAttempts) {
        return copy(b -> b.maxAttempts = newMaxAttempts);
    }

    /** One attempt running longer than this is interrupted and counts as failed. */
    public JobSpec withTimeout(Duration newTimeout) {
        return copy(b -> b.timeout = Objects.requireNonNull(newTimeout, "timeout"));
    }

    /** Runs only after these jobs have succeeded (see {@link #withOnDependencyFailure}). */
    public JobSpec withDependsOn(UUID... ids) {
        return withDependsOn(List.of(ids));
    }

    /** Runs only after these jobs have succeeded (see {@link #withOnDependencyFailure}). */
    public JobSpec withDependsOn(Iterable<UUID> ids) {
        var all = new LinkedHashSet<UUID>();
        ids.forEach(all::add);
        return copy(b -> b.dependsOn = Set.copyOf(all));
    }

    public JobSpec withOnDependencyFailure(DependencyFailurePolicy policy) {
        return copy(b -> b.onDependencyFailure = Objects.requireNonNull(policy, "policy"));
    }

    /** While an unfinished job holds this key, enqueueing another returns that job instead. */
    public JobSpec withUniqueKey(String key) {
        return copy(b -> b.uniqueKey = Objects.requireNonNull(key, "uniqueKey"));
    }

    /**
     * Counts this job, while it runs, against its queue's {@link QueueLimits#maxRunningPerKey()}: at
     * most that many jobs of the queue with the same key run at once, on all engines together, and
     * the others wait without holding back jobs of other keys. Use a customer id or the host an API
     * call goes to. On a queue without a per-key limit the key changes nothing.
     */
    public JobSpec withConcurrencyKey(String key) {
        return copy(b -> b.concurrencyKey = Objects.requireNonNull(key, "concurrencyKey"));
    }

    /**
     * Makes creating this job idempotent: as long as the job created with this key exists (until
     * retention purges it, unlike a unique key, which is freed when its job finishes), creating a
     * job with the same key returns that job and creates nothing. Reusing the key for a job that
     * differs in anything but its retry policy is refused with {@link IdempotencyKeyReusedException}.
     * Keys are global across clients: use random ones, such as UUIDs.
     */
    public JobSpec withIdempotencyKey(String key) {
        return copy(b -> b.idempotencyKey = Objects.requireNonNull(key, "idempotencyKey"));
    }

    /** Small string labels for the host (a task id, a tenant). */
    public JobSpec withMetadata(Map<String, String> newMetadata) {
        return copy(b -> b.metadata = Map.copyOf(newMetadata));
    }

    /** This job's own retry policy, overriding its type's and the engine's. */
    public JobSpec withRetryPolicy(RetryPolicy policy) {
        return copy(b -> b.retryPolicy = Objects.requireNonNull(policy, "retryPolicy"));
    }

    public String type() {
        return type;
    }

    public JsonNode payload() {
        return payload;
    }

    public String queue() {
        return queue;
    }

    public int priority() {
        return priority;
    }

    public Optional<Instant> runAt() {
        return Optional.ofNullable(runAt);
    }

    public Optional<Duration> delay() {
        return Optional.ofNullable(delay);
    }

    public int maxAttempts() {
        return maxAttempts;
    }

    public Optional<Duration> timeout() {
        return Optional.ofNullable(timeout);
    }

    public Set<UUID> dependsOn() {
        return dependsOn;
    }

    public DependencyFailurePolicy onDependencyFailure() {
        return onDependencyFailure;
    }

    public Optional<String> uniqueKey() {
        return Optional.ofNullable(uniqueKey);
    }

    public Optional<String> concurrencyKey() {
        return Optional.ofNullable(concurrencyKey);
    }

    public Optional<String> idempotencyKey() {
        return Optional.ofNullable(idempotencyKey);
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public Optional<RetryPolicy> retryPolicy() {
        return Optional.ofNullable(retryPolicy);
    }

    @Override
    public String toString() {
        return "JobSpec[type=" + type + ", queue=" + queue + ", priority=" + priority + "]";
    }

    private JobSpec copy(Consumer<Mutable> change) {
        var m = new Mutable(this);
        change.accept(m);
        return new JobSpec(
                m.type,
                m.payload,
                m.queue,
                m.priority,
                m.runAt,
                m.delay,
                m.maxAttempts,
                m.timeout,
                m.dependsOn,
                m.onDependencyFailure,
                m.uniqueKey,
                m.concurrencyKey,
                m.idempotencyKey,
                m.metadata,
                m.retryPolicy);
    }

    /** The fields of a spec while a {@code with…} method changes one of them. */
    private static final class Mutable {
        String type;
        JsonNode payload;
        String queue;
        int priority;
        Instant runAt;
        Duration delay;
        int maxAttempts;
        Duration timeout;
        Set<UUID> dependsOn;
        DependencyFailurePolicy onDependencyFailure;
        String uniqueKey;
        String concurrencyKey;
        String idempotencyKey;
        Map<String, String> metadata;
        RetryPolicy retryPolicy;

        Mutable(JobSpec spec) {
            type = spec.type;
            payload = spec.payload;
            queue = spec.queue;
            priority = spec.priority;
            runAt = spec.runAt;
            delay = spec.delay;
            maxAttempts = spec.maxAttempts;
            timeout = spec.timeout;
            dependsOn = spec.dependsOn;
            onDependencyFailure = spec.onDependencyFailure;
            uniqueKey = spec.uniqueKey;
            concurrencyKey = spec.concurrencyKey;
            idempotencyKey = spec.idempotencyKey;
            metadata = spec.metadata;
            retryPolicy = spec.retryPolicy;
        }
    }
}
