package dev.jobs.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jobs.core.DependencyFailurePolicy;
import dev.jobs.core.JobLimits;
import dev.jobs.core.Priority;
import dev.jobs.core.spi.IdempotencyKey;
import dev.jobs.core.spi.NewJob;
import dev.jobs.core.spi.support.JobIds;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Makes {@link NewJob}s for store tests, with ids from a real {@link JobIds} so they sort by
 * creation. Not thread-safe; the ids it makes are.
 */
public final class NewJobs {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final JobIds ids;
    private final Clock clock;

    public NewJobs(Clock clock) {
        this.ids = new JobIds(clock);
        this.clock = clock;
    }

    /** A job of this type, due now, on the default queue, with default options. */
    public Draft of(String type) {
        return new Draft(ids.next(), type, clock.instant());
    }

    /** A job being described; {@link #build()} makes the {@link NewJob}. */
    public static final class Draft {
        private final UUID id;
        private final String type;
        private String queue = JobLimits.DEFAULT_QUEUE;
        private JsonNode payload = MAPPER.createObjectNode();
        private int priority = Priority.NORMAL;
        private Instant runAt;
        private int maxAttempts = 3;
        private Duration timeout;
        private List<UUID> dependsOn = List.of();
        private DependencyFailurePolicy onDependencyFailure = DependencyFailurePolicy.CANCEL;
        private String uniqueKey;
        private String concurrencyKey;
        private IdempotencyKey idempotencyKey;
        private Map<String, String> metadata = Map.of();

        private Draft(UUID id, String type, Instant now) {
            this.id = id;
            this.type = type;
            this.runAt = now;
        }

        public UUID id() {
            return id;
        }

        public Draft queue(String value) {
            queue = value;
            return this;
        }

        public Draft payload(String json) {
            try {
                payload = MAPPER.readTree(json);
            } catch (Exception e) {
                throw new IllegalArgumentException("not JSON: " + json, e);
            }
            return this;
        }

        public Draft priority(int value) {
            priority = value;
            return this;
        }

        public Draft runAt(Instant value) {
            runAt = value;
            return this;
        }

        public Draft maxAttempts(int value) {
            maxAttempts = value;
            return this;
        }

        public Draft timeout(Duration value) {
            timeout = value;
            return this;
        }

        public Draft dependsOn(UUID... ids) {
            dependsOn = List.of(ids);
            return this;
        }

        public Draft onDependencyFailure(DependencyFailurePolicy value) {
            onDependencyFailure = value;
            return this;
        }

        public Draft concurrencyKey(String value) {
            concurrencyKey = value;
            return this;
        }

        public Draft uniqueKey(String value) {
            uniqueKey = value;
            return this;
        }

        public Draft idempotencyKey(String key, String fingerprint) {
            idempotencyKey = new IdempotencyKey(key, fingerprint);
            return this;
        }

        public Draft metadata(Map<String, String> value) {
            metadata = value;
            return this;
        }

        public NewJob build() {
            return new NewJob(
                    id,
                    queue,
                    type,
                    payload,
                    priority,
                    runAt,
                    maxAttempts,
                    Optional.ofNullable(timeout),
                    dependsOn,
                    onDependencyFailure,
                    Optional.ofNullable(uniqueKey),
                    Optional.ofNullable(concurrencyKey),
                    Optional.ofNullable(idempotencyKey),
                    metadata,
                    Optional.empty(),
                    Map.of());
        }
    }
}
