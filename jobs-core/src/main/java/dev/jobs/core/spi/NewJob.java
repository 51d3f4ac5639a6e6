package dev.jobs.core.spi;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jobs.core.DependencyFailurePolicy;
import dev.jobs.core.RetryPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * A job the engine has validated and given an id, for a store to insert. Dependencies are ids:
 * existing jobs, or other members of the same {@link JobStore#create} batch.
 *
 * @param id the job's UUID v7
 * @param queue its queue
 * @param type its handler
 * @param payload its input
 * @param priority lower runs first
 * @param runAt not before this instant
 * @param maxAttempts the most attempts it gets
 * @param timeout the attempt timeout
 * @param dependsOn the jobs it waits for
 * @param onDependencyFailure what a failed dependency does to it
 * @param uniqueKey while an unfinished job holds it, that job is returned instead
 * @param concurrencyKey counted against its queue's per-key limit while it runs
 * @param idempotencyKey while the job created with it exists, that job is returned instead
 * @param metadata the host's labels
 * @param retryPolicy its own retry policy
 * @param dependencyNames the names some of {@code dependsOn} have for it, by id: the refs of a
 *     {@link dev.jobs.core.JobGraph}'s nodes, by which its handler reads its parents' results
 */
public record NewJob(
        UUID id,
        String queue,
        String type,
        JsonNode payload,
        int priority,
        Instant runAt,
        int maxAttempts,
        Optional<Duration> timeout,
        List<UUID> dependsOn,
        DependencyFailurePolicy onDependencyFailure,
        Optional<String> uniqueKey,
        Optional<String> concurrencyKey,
        Optional<IdempotencyKey> idempotencyKey,
        Map<String, String> metadata,
        Optional<RetryPolicy> retryPolicy,
        Map<UUID, String> dependencyNames) {
    public NewJob {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(queue, "queue");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(runAt, "runAt");
        Objects.requireNonNull(timeout, "timeout");
        dependsOn = List.copyOf(dependsOn);
        Objects.requireNonNull(onDependencyFailure, "onDependencyFailure");
        Objects.requireNonNull(uniqueKey, "uniqueKey");
        Objects.requireNonNull(concurrencyKey, "concurrencyKey");
        Objects.requireNonNull(idempotencyKey, "idempotencyKey");
        metadata = Map.copyOf(metadata);
        Objects.requireNonNull(retryPolicy, "retryPolicy");
        dependencyNames = Map.copyOf(dependencyNames);
        for (UUID named : dependencyNames.keySet()) {
            if (!dependsOn.contains(named)) {
                throw new IllegalArgumentException(
                        "job " + named + " is named as a dependency of " + id + " but is not among its dependencies");
            }
        }
    }

    /** The same job with these names for its dependencies. */
    public NewJob withDependencyNames(Map<UUID, String> names) {
        return new NewJob(
                id,
                queue,
                type,
                payload,
                priority,
                runAt,
                maxAttempts,
                timeout,
                dependsOn,
                onDependencyFailure,
                uniqueKey,
                concurrencyKey,
                idempotencyKey,
                metadata,
                retryPolicy,
                names);
    }

    /** The same job with another {@code runAt}, such as one rounded to the store's precision. */
    public NewJob withRunAt(Instant newRunAt) {
        return new NewJob(
                id,
                queue,
                type,
                payload,
                priority,
                newRunAt,
                maxAttempts,
                timeout,
                dependsOn,
                onDependencyFailure,
                uniqueKey,
                concurrencyKey,
                idempotencyKey,
                metadata,
                retryPolicy,
                dependencyNames);
    }
}
