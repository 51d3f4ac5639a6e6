package dev.jobs.store.jdbc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jobs.core.Attempt;
import dev.jobs.core.DependencyFailurePolicy;
import dev.jobs.core.Job;
import dev.jobs.core.JobError;
import dev.jobs.core.JobState;
import dev.jobs.core.RetryPolicy;
import dev.jobs.core.WorkerInfo;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Collectors;
import org.jdbi.v3.core.statement.SqlStatement;

/**
 * Moves jobs between {@link Job} snapshots and rows of the job table: the one place that knows the
 * columns. Instants are stored as UTC {@code LocalDateTime}s with microseconds, which every
 * supported database keeps exactly, whatever the JVM's or the server's time zone. Thread-safe.
 */
final class JobRows {
    /** Every column of the job table, in the order of the schema. */
    static final List<String> COLUMNS = List.of(
            "id",
            "queue",
            "type",
            "payload",
            "priority",
            "state",
            "run_at",
            "attempt",
            "max_attempts",
            "timeout_ms",
            "depends_on",
            "on_dependency_failure",
            "unique_key",
            "progress",
            "progress_message",
            "result",
            "last_error_type",
            "last_error_message",
            "last_error_stack",
            "lease_owner",
            "lease_token",
            "lease_expires_at",
            "cancel_requested",
            "created_at",
            "started_at",
            "finished_at",
            "updated_at",
            "metadata",
            "attempts",
            "retry_policy");

    private static final TypeReference<Map<String, String>> METADATA = new TypeReference<>() {};

    private final ObjectMapper mapper;
    private final SqlDialect dialect;

    JobRows(ObjectMapper mapper, SqlDialect dialect) {
        this.mapper = mapper;
        this.dialect = dialect;
    }

    /** Instants as stored: the database keeps microseconds. */
    static Instant micros(Instant instant) {
        return instant.truncatedTo(ChronoUnit.MICROS);
    }

    static LocalDateTime toColumn(Instant instant) {
        return LocalDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    static Instant fromColumn(LocalDateTime value) {
        return value.toInstant(ZoneOffset.UTC);
    }

    /** Binds every column of {@code job} as a named parameter of the same name. */
    <S extends SqlStatement<S>> S bind(S statement, Job job) {
        statement
                .bind("id", dialect.uuid(job.id()))
                .bind("queue", job.queue())
                .bind("type", job.type())
                .bind("payload", json(job.payload()))
                .bind("priority", job.priority())
                .bind("state", job.state().name())
                .bind("run_at", toColumn(job.runAt()))
                .bind("attempt", job.attempt())
                .bind("max_attempts", job.maxAttempts())
                .bindByType("timeout_ms", job.timeout().map(Duration::toMillis).orElse(null), Long.class)
                .bind("depends_on", job.dependsOn().stream().map(UUID::toString).collect(Collectors.joining(",")))
                .bind("on_dependency_failure", job.onDependencyFailure().name())
                .bindByType("unique_key", job.uniqueKey().orElse(null), String.class)
                .bind("progress", job.progress())
                .bindByType("progress_message", job.progressMessage().orElse(null), String.class)
                .bindByType("result", job.result().map(this::json).orElse(null), String.class)
                .bindByType(
                        "last_error_type", job.lastError().map(JobError::type).orElse(null), String.class)
                .bindByType(
                        "last_error_message",
                        job.lastError().map(JobError::message).orElse(null),
                        String.class)
                .bindByType(
                        "last_error_stack",
                        job.lastError().map(JobError::stackTrace).orElse(null),
                        String.class)
                .bindByType("lease_owner", job.leaseOwner().orElse(null), String.class)
                .bind("cancel_requested", job.cancelRequested())
                .bind("created_at", toColumn(job.createdAt()))
                .bind("updated_at", toColumn(job.updatedAt()))
                .bind("metadata", json(job.metadata()))
                .bind("attempts", attempts(job.attempts()))
                .bindByType("retry_policy", job.retryPolicy().map(this::json).orElse(null), String.class);
        bindUuid(statement, "lease_token", job.leaseToken());
        bindInstant(statement, "lease_expires_at", job.leaseExpiresAt());
        bindInstant(statement, "started_at", job.startedAt());
        bindInstant(statement, "finished_at", job.finishedAt());
        return statement;
    }

    <S extends SqlStatement<S>> void bindUuid(S statement, String name, Optional<UUID> value) {
        if (value.isPresent()) {
            statement.bind(name, dialect.uuid(value.get()));
        } else {
            statement.bindNull(name, dialect.uuidSqlType());
        }
    }

    static <S extends SqlStatement<S>> void bindInstant(S statement, String name, Optional<Instant> value) {
        if (value.isPresent()) {
            statement.bind(name, toColumn(value.get()));
        } else {
            statement.bindNull(name, Types.TIMESTAMP);
        }
    }

    /** The job in the current row. */
    Job read(ResultSet rs) throws SQLException {
        Long timeoutMs = rs.getObject("timeout_ms", Long.class);
        String dependsOn = rs.getString("depends_on");
        String errorType = rs.getString("last_error_type");
        String result = rs.getString("result");
        String retryPolicy = rs.getString("retry_policy");
        String leaseToken = rs.getString("lease_token");
        return Job.builder()
                .id(UUID.fromString(rs.getString("id")))
                .queue(rs.getString("queue"))
                .type(rs.getString("type"))
                .payload(parse(rs.getString("payload"), JsonNode.class))
                .priority(rs.getInt("priority"))
                .state(JobState.valueOf(rs.getString("state")))
                .runAt(instant(rs, "run_at"))
                .attempt(rs.getInt("attempt"))
                .maxAttempts(rs.getInt("max_attempts"))
                .timeout(timeoutMs == null ? null : Duration.ofMillis(timeoutMs))
                .dependsOn(
                        dependsOn.isEmpty()
                                ? List.of()
                                : Arrays.stream(dependsOn.split(","))
                                        .map(UUID::fromString)
                                        .toList())
                .onDependencyFailure(DependencyFailurePolicy.valueOf(rs.getString("on_dependency_failure")))
                .uniqueKey(rs.getString("unique_key"))
                .progress(rs.getInt("progress"))
                .progressMessage(rs.getString("progress_message"))
                .result(result == null ? null : parse(result, JsonNode.class))
                .lastError(
                        errorType == null
                                ? null
                                : new JobError(
                                        errorType,
                                        rs.getString("last_error_message"),
                                        rs.getString("last_error_stack")))
                .lease(
                        rs.getString("lease_owner"),
                        leaseToken == null ? null : UUID.fromString(leaseToken),
                        optionalInstant(rs, "lease_expires_at"))
                .cancelRequested(rs.getBoolean("cancel_requested"))
                .createdAt(instant(rs, "created_at"))
                .startedAt(optionalInstant(rs, "started_at"))
                .finishedAt(optionalInstant(rs, "finished_at"))
                .updatedAt(instant(rs, "updated_at"))
                .metadata(parse(rs.getString("metadata"), METADATA))
                .attempts(attempts(rs.getString("attempts")))
                .retryPolicy(retryPolicy == null ? null : parse(retryPolicy, RetryPolicy.class))
                .build();
    }

    static Instant instant(ResultSet rs, String column) throws SQLException {
        return fromColumn(rs.getObject(column, LocalDateTime.class));
    }

    /** The instant in a nullable column, or null. */
    static Instant optionalInstant(ResultSet rs, String column) throws SQLException {
        LocalDateTime value = rs.getObject(column, LocalDateTime.class);
        return value == null ? null : fromColumn(value);
    }

    /** A row of the worker registry. */
    static WorkerInfo readWorker(ResultSet rs) throws SQLException {
        String queues = rs.getString("queues");
        return new WorkerInfo(
                rs.getString("id"),
                rs.getString("host"),
                queues.isEmpty() ? Set.of() : Set.of(queues.split(",")),
                rs.getInt("concurrency"),
                rs.getInt("running"),
                instant(rs, "started_at"),
                instant(rs, "last_heartbeat_at"),
                instant(rs, "expires_at"),
                Optional.ofNullable(optionalInstant(rs, "died_at")));
    }

    /** The registry columns of a worker reporting in (alive, so no {@code died_at}). */
    static Map<String, Object> workerColumns(WorkerInfo worker) {
        return Map.of(
                "id", worker.id(),
                "host", worker.host(),
                "queues", String.join(",", new TreeSet<>(worker.queues())),
                "concurrency", worker.concurrency(),
                "running", worker.running(),
                "started_at", toColumn(worker.startedAt()),
                "last_heartbeat_at", toColumn(worker.lastHeartbeatAt()),
                "expires_at", toColumn(worker.expiresAt()));
    }

    /**
     * A job's run history as a JSON array, written field by field (not by the host's mapper, whose
     * settings the store does not control) with ISO-8601 instants.
     */
    String attempts(List<Attempt> attempts) {
        ArrayNode array = mapper.createArrayNode();
        for (Attempt attempt : attempts) {
            ObjectNode node = array.addObject()
                    .put("number", attempt.number())
                    .put("worker", attempt.worker())
                    .put("startedAt", attempt.startedAt().toString())
                    .put("endedAt", attempt.endedAt().toString())
                    .put("outcome", attempt.outcome().name());
            attempt.error()
                    .ifPresent(error -> node.put("errorType", error.type()).put("errorMessage", error.message()));
        }
        return array.toString();
    }

    private List<Attempt> attempts(String json) {
        var attempts = new ArrayList<Attempt>();
        for (JsonNode node : parse(json, JsonNode.class)) {
            attempts.add(new Attempt(
                    node.path("number").asInt(),
                    node.path("worker").asText(),
                    Instant.parse(node.path("startedAt").asText()),
                    Instant.parse(node.path("endedAt").asText()),
                    Attempt.Outcome.valueOf(node.path("outcome").asText()),
                    node.has("errorType")
                            ? Optional.of(JobError.of(
                                    node.path("errorType").asText(),
                                    node.path("errorMessage").asText()))
                            : Optional.empty()));
        }
        return attempts;
    }

    String json(Object value) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(
                    "cannot write " + value.getClass().getName() + " as JSON", e);
        }
    }

    private <T> T parse(String json, Class<T> type) {
        try {
            return mapper.readValue(json, type);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a stored job column is not the JSON the store wrote", e);
        }
    }

    private <T> T parse(String json, TypeReference<T> type) {
        try {
            return mapper.readValue(json, type);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a stored job column is not the JSON the store wrote", e);
        }
    }
}
