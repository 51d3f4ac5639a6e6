package dev.jobs.store.jdbc;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.io.SegmentedStringWriter;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jobs.core.Attempt;
import dev.jobs.core.DependencyFailurePolicy;
import dev.jobs.core.Job;
import dev.jobs.core.JobError;
import dev.jobs.core.JobState;
import dev.jobs.core.RetryPolicy;
import dev.jobs.core.StoreFailureException;
import dev.jobs.core.spi.RecurringRecord;
import dev.jobs.core.spi.support.Storable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.jdbi.v3.core.statement.SqlStatement;

/**
 * Moves jobs between {@link Job} snapshots and rows of the job table: the one place that knows the
 * columns. Instants are stored as UTC {@code LocalDateTime}s with microseconds, which every
 * supported database keeps exactly, whatever the JVM's or the server's time zone. Thread-safe.
 */
final class JobRows {
    /** What a column holds, so that nulls are bound with the right SQL type and bulk rows typed. */
    enum Kind {
        TEXT(String.class),
        /** Text that holds JSON the store wrote. */
        JSON(String.class),
        INT(Integer.class),
        LONG(Long.class),
        BOOL(Boolean.class),
        UUID(java.util.UUID.class),
        TIMESTAMP(LocalDateTime.class);

        /** The Java type its values are bound as (a UUID as the dialect says). */
        final Class<?> javaType;

        Kind(Class<?> javaType) {
            this.javaType = javaType;
        }
    }

    /** A column of the job table. */
    record Column(String name, Kind kind) {}

    /** Every column of the job table that mirrors a field of {@link Job}, in the order of the schema. */
    static final List<Column> JOB_COLUMNS = List.of(
            new Column("id", Kind.UUID),
            new Column("queue", Kind.TEXT),
            new Column("type", Kind.TEXT),
            new Column("payload", Kind.JSON),
            new Column("priority", Kind.INT),
            new Column("state", Kind.TEXT),
            new Column("run_at", Kind.TIMESTAMP),
            new Column("attempt", Kind.INT),
            new Column("max_attempts", Kind.INT),
            new Column("timeout_ms", Kind.LONG),
            new Column("depends_on", Kind.TEXT),
            new Column("on_dependency_failure", Kind.TEXT),
            new Column("unique_key", Kind.TEXT),
            new Column("progress", Kind.INT),
            new Column("progress_message", Kind.TEXT),
            new Column("result", Kind.JSON),
            new Column("last_error_type", Kind.TEXT),
            new Column("last_error_message", Kind.TEXT),
            new Column("last_error_stack", Kind.TEXT),
            new Column("lease_owner", Kind.TEXT),
            new Column("lease_token", Kind.UUID),
            new Column("lease_expires_at", Kind.TIMESTAMP),
            new Column("cancel_requested", Kind.BOOL),
            new Column("created_at", Kind.TIMESTAMP),
            new Column("started_at", Kind.TIMESTAMP),
            new Column("finished_at", Kind.TIMESTAMP),
            new Column("updated_at", Kind.TIMESTAMP),
            new Column("metadata", Kind.JSON),
            new Column("attempts", Kind.JSON),
            new Column("retry_policy", Kind.JSON),
            new Column("concurrency_key", Kind.TEXT));

    /** The names of {@link #JOB_COLUMNS}. */
    static final List<String> COLUMNS = JOB_COLUMNS.stream().map(Column::name).toList();

    /** The column kept beside the job's fields: how many of a waiting job's dependencies are unfinished. */
    static final Column PENDING_DEPENDENCIES = new Column("pending_dependencies", Kind.INT);

    /**
     * The columns {@link dev.jobs.core.spi.support.JobTransitions#succeeded} changes besides clearing the
     * lease: all a completion writes.
     */
    static final List<Column> SUCCESS_COLUMNS = List.of(
            column("state"),
            column("result"),
            column("progress"),
            column("attempts"),
            column("finished_at"),
            column("updated_at"));

    static Column column(String name) {
        return JOB_COLUMNS.stream()
                .filter(c -> c.name().equals(name))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no job column " + name));
    }

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
        Map<String, Object> values = values(job);
        for (Column column : JOB_COLUMNS) {
            bind(statement, column, values.get(column.name()));
        }
        return statement;
    }

    /**
     * Binds one column's value by the column's type, nulls included, so that every row of a JDBC
     * batch binds a parameter the same way.
     */
    <S extends SqlStatement<S>> S bind(S statement, Column column, Object value) {
        if (column.kind() != Kind.UUID) {
            statement.bindByType(column.name(), value, column.kind().javaType);
        } else if (value == null) {
            statement.bindNull(column.name(), dialect.uuidSqlType());
        } else {
            statement.bind(column.name(), dialect.uuid((UUID) value));
        }
        return statement;
    }

    /** Every column's value for {@code job}, by column name (see {@link #value}). */
    Map<String, Object> values(Job job) {
        return values(job, JOB_COLUMNS);
    }

    /** These columns' values for {@code job}, by column name (see {@link #value}). */
    Map<String, Object> values(Job job, List<Column> columns) {
        var values = new HashMap<String, Object>(columns.size() * 2);
        for (Column column : columns) {
            values.put(column.name(), value(job, column));
        }
        return values;
    }

    /**
     * One column's value for {@code job}, as the store binds it: a string (JSON columns as JSON
     * text), number, boolean, UUID or UTC {@link LocalDateTime}; null for an empty field.
     */
    Object value(Job job, Column column) {
        return switch (column.name()) {
            case "id" -> job.id();
            case "queue" -> job.queue();
            case "type" -> job.type();
            case "payload" -> json(job.payload());
            case "priority" -> job.priority();
            case "state" -> job.state().name();
            case "run_at" -> toColumn(job.runAt());
            case "attempt" -> job.attempt();
            case "max_attempts" -> job.maxAttempts();
            case "timeout_ms" -> job.timeout().map(Duration::toMillis).orElse(null);
            case "depends_on" -> job.dependsOn().stream().map(UUID::toString).collect(Collectors.joining(","));
            case "on_dependency_failure" -> job.onDependencyFailure().name();
            case "unique_key" -> job.uniqueKey().orElse(null);
            case "progress" -> job.progress();
            case "progress_message" -> job.progressMessage().orElse(null);
            case "result" -> job.result().map(this::json).orElse(null);
            case "last_error_type" -> job.lastError().map(JobError::type).orElse(null);
            case "last_error_message" -> job.lastError().map(JobError::message).orElse(null);
            case "last_error_stack" -> job.lastError().map(JobError::stackTrace).orElse(null);
            case "lease_owner" -> job.leaseOwner().orElse(null);
            case "lease_token" -> job.leaseToken().orElse(null);
            case "lease_expires_at" ->
                job.leaseExpiresAt().map(JobRows::toColumn).orElse(null);
            case "cancel_requested" -> job.cancelRequested();
            case "created_at" -> toColumn(job.createdAt());
            case "started_at" -> job.startedAt().map(JobRows::toColumn).orElse(null);
            case "finished_at" -> job.finishedAt().map(JobRows::toColumn).orElse(null);
            case "updated_at" -> toColumn(job.updatedAt());
            case "metadata" -> job.metadata().isEmpty() ? "{}" : json(job.metadata());
            case "attempts" -> attempts(job.attempts());
            case "retry_policy" -> job.retryPolicy().map(this::json).orElse(null);
            case "concurrency_key" -> job.concurrencyKey().orElse(null);
            default -> throw new IllegalArgumentException("no job column " + column.name());
        };
    }

    /**
     * Rows as one JSON array of objects, column name to value (UUIDs, timestamps and JSON columns
     * as strings), for a database that takes a whole batch as one parameter ({@code
     * insert-jobs-and-announce} in {@code sql/postgresql/jobs.sql}).
     */
    String rowsJson(List<Map<String, Object>> rows, List<Column> columns) {
        return writeJson(json -> {
            json.writeStartArray();
            for (Map<String, Object> row : rows) {
                writeRow(json, row, columns);
            }
            json.writeEndArray();
        });
    }

    /**
     * Rows as one JSON object whose keys are the rows' ids, each row an object as {@link #rowsJson}
     * writes it, for a statement that looks each row's values up by its id ({@code
     * complete-batch} in {@code sql/postgresql/jobs.sql}).
     */
    String rowsByIdJson(Map<UUID, Map<String, Object>> rows, List<Column> columns) {
        return writeJson(json -> {
            json.writeStartObject();
            for (Map.Entry<UUID, Map<String, Object>> row : rows.entrySet()) {
                json.writeFieldName(row.getKey().toString());
                writeRow(json, row.getValue(), columns);
            }
            json.writeEndObject();
        });
    }

    private interface JsonWriting {
        void write(JsonGenerator json) throws IOException;
    }

    private String writeJson(JsonWriting writing) {
        JsonFactory factory = mapper.getFactory();
        var out = new SegmentedStringWriter(factory._getBufferRecycler());
        try (JsonGenerator json = factory.createGenerator(out)) {
            writing.write(json);
            json.flush();
            return out.getAndClear();
        } catch (IOException e) {
            throw new UncheckedIOException("writing rows as JSON failed", e);
        }
    }

    private static void writeRow(JsonGenerator json, Map<String, Object> row, List<Column> columns) throws IOException {
        json.writeStartObject();
        for (Column column : columns) {
            Object value = row.get(column.name());
            json.writeFieldName(column.name());
            // A JSON column's text goes as a string, never nested: a database unquotes a nested
            // string bound for a text column ("hello" becomes hello) and reads a nested null as SQL
            // NULL, so only the string form keeps every value exact.
            switch (value) {
                case null -> json.writeNull();
                case String text -> json.writeString(text);
                case Integer number -> json.writeNumber(number);
                case Long number -> json.writeNumber(number);
                case Boolean flag -> json.writeBoolean(flag);
                default -> json.writeString(value.toString()); // UUID, LocalDateTime (ISO-8601)
            }
        }
        json.writeEndObject();
    }

    /**
     * The job in the current row.
     *
     * @throws UnreadableRow naming the first column that is not what the store writes (a row edited
     *     by hand, or written by another version)
     * @throws StoreFailureException if not even the row's id can be read
     */
    Job read(ResultSet rs) throws SQLException {
        String storedId = rs.getString("id");
        UUID id;
        try {
            id = UUID.fromString(storedId);
        } catch (IllegalArgumentException e) {
            throw new StoreFailureException(
                    "a stored job's id is not a UUID (" + Storable.shown(storedId, 80) + "); delete or mend that row",
                    e);
        }
        Long timeoutMs = rs.getObject("timeout_ms", Long.class);
        String errorType = rs.getString("last_error_type");
        return Job.builder()
                .id(id)
                .queue(rs.getString("queue"))
                .type(rs.getString("type"))
                .payload(decoded(rs, id, "payload", this::payload))
                .priority(rs.getInt("priority"))
                .state(decoded(rs, id, "state", JobState::valueOf))
                .runAt(instant(rs, "run_at"))
                .attempt(rs.getInt("attempt"))
                .maxAttempts(rs.getInt("max_attempts"))
                .timeout(timeoutMs == null ? null : Duration.ofMillis(timeoutMs))
                .dependsOn(decoded(rs, id, "depends_on", JobRows::dependsOn))
                .onDependencyFailure(decoded(rs, id, "on_dependency_failure", DependencyFailurePolicy::valueOf))
                .uniqueKey(rs.getString("unique_key"))
                .concurrencyKey(rs.getString("concurrency_key"))
                .progress(rs.getInt("progress"))
                .progressMessage(rs.getString("progress_message"))
                .result(decoded(rs, id, "result", json -> json == null ? null : parse(json, JsonNode.class)))
                .lastError(
                        errorType == null
                                ? null
                                : new JobError(
                                        errorType,
                                        rs.getString("last_error_message"),
                                        rs.getString("last_error_stack")))
                .lease(
                        rs.getString("lease_owner"),
                        decoded(rs, id, "lease_token", token -> token == null ? null : UUID.fromString(token)),
                        optionalInstant(rs, "lease_expires_at"))
                .cancelRequested(rs.getBoolean("cancel_requested"))
                .createdAt(instant(rs, "created_at"))
                .startedAt(optionalInstant(rs, "started_at"))
                .finishedAt(optionalInstant(rs, "finished_at"))
                .updatedAt(instant(rs, "updated_at"))
                .metadata(decoded(rs, id, "metadata", this::metadata))
                .attempts(decoded(rs, id, "attempts", this::attempts))
                .retryPolicy(
                        decoded(rs, id, "retry_policy", json -> json == null ? null : parse(json, RetryPolicy.class)))
                .build();
    }

    /** A text column decoded, or {@link UnreadableRow} naming it. */
    private static <T> T decoded(ResultSet rs, UUID id, String column, Function<String, T> decode) throws SQLException {
        String stored = rs.getString(column);
        try {
            return decode.apply(stored);
        } catch (RuntimeException e) {
            throw new UnreadableRow(id, column, stored, e);
        }
    }

    private static List<UUID> dependsOn(String stored) {
        return stored.isEmpty()
                ? List.of()
                : Arrays.stream(stored.split(",")).map(UUID::fromString).toList();
    }

    static Instant instant(ResultSet rs, String column) throws SQLException {
        return fromColumn(rs.getObject(column, LocalDateTime.class));
    }

    /** The instant in a nullable column, or null. */
    static Instant optionalInstant(ResultSet rs, String column) throws SQLException {
        LocalDateTime value = rs.getObject(column, LocalDateTime.class);
        return value == null ? null : fromColumn(value);
    }

    /**
     * A job's run history as a JSON array, written field by field (not by the host's mapper, whose
     * settings the store does not control) with ISO-8601 instants.
     */
    String attempts(List<Attempt> attempts) {
        if (attempts.isEmpty()) {
            return "[]";
        }
        JsonFactory factory = mapper.getFactory();
        var out = new SegmentedStringWriter(factory._getBufferRecycler());
        try (JsonGenerator json = factory.createGenerator(out)) {
            json.writeStartArray();
            for (Attempt attempt : attempts) {
                json.writeStartObject();
                json.writeNumberField("number", attempt.number());
                json.writeStringField("worker", attempt.worker());
                json.writeStringField("startedAt", attempt.startedAt().toString());
                json.writeStringField("endedAt", attempt.endedAt().toString());
                json.writeStringField("outcome", attempt.outcome().name());
                if (attempt.error().isPresent()) {
                    json.writeStringField("errorType", attempt.error().get().type());
                    json.writeStringField("errorMessage", attempt.error().get().message());
                }
                json.writeEndObject();
            }
            json.writeEndArray();
            json.flush();
            return out.getAndClear();
        } catch (IOException e) {
            throw new UncheckedIOException("writing a job's attempts as JSON failed", e);
        }
    }

    /** A payload; the empty object, which most jobs carry, without a parse. */
    private JsonNode payload(String json) {
        return json.equals("{}") ? mapper.createObjectNode() : parse(json, JsonNode.class);
    }

    private Map<String, String> metadata(String json) {
        return json.equals("{}") ? Map.of() : parse(json, METADATA);
    }

    private List<Attempt> attempts(String json) {
        if (json.equals("[]")) {
            return List.of(); // a job that never ran, as every claimed job of a queue's first attempt is
        }
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

    RecurringRecord readRecurring(ResultSet rs) throws SQLException {
        return new RecurringRecord(
                rs.getString("name"),
                rs.getString("schedule"),
                parse(rs.getString("definition"), JsonNode.class),
                instant(rs, "up_to"),
                rs.getLong("version"),
                instant(rs, "updated_at"));
    }

    String json(Object value) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(
                    "cannot write " + value.getClass().getName() + " as JSON", e);
        }
    }

    /** A JSON column the store wrote. */
    JsonNode jsonNode(String json) {
        return parse(json, JsonNode.class);
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
