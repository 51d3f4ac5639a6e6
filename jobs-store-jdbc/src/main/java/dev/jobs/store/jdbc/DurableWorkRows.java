package dev.jobs.store.jdbc;

import dev.jobs.core.JobCheckpoint;
import dev.jobs.core.JobStep;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.PreparedBatch;

/**
 * The durable work of jobs, read and written in the transaction a handle is in: their steps (schema
 * V17), their last checkpoints (V18), and the names they have for their dependencies (V19).
 */
final class DurableWorkRows {
    private final SqlDialect dialect;
    private final JobRows rows;

    DurableWorkRows(SqlDialect dialect, JobRows rows) {
        this.dialect = dialect;
        this.rows = rows;
    }

    /** A job's steps, in order. */
    List<JobStep> read(Handle h, UUID jobId) {
        return h.createQuery("SELECT name, result, recorded_at FROM <step> WHERE job_id = :job_id ORDER BY idx")
                .bind("job_id", dialect.uuid(jobId))
                .map((rs, ctx) -> new JobStep(
                        rs.getString("name"),
                        rows.jsonNode(rs.getString("result")),
                        JobRows.instant(rs, "recorded_at")))
                .list();
    }

    void insert(Handle h, UUID jobId, int index, JobStep step) {
        h.createUpdate("INSERT INTO <step> (job_id, idx, name, result, recorded_at)"
                        + " VALUES (:job_id, :idx, :name, :result, :recorded_at)")
                .bind("job_id", dialect.uuid(jobId))
                .bind("idx", index)
                .bind("name", step.name())
                .bind("result", rows.json(step.result()))
                .bind("recorded_at", JobRows.toColumn(step.recordedAt()))
                .execute();
    }

    Optional<JobCheckpoint> checkpoint(Handle h, UUID jobId) {
        return h.createQuery("SELECT state, saved_at FROM <checkpoint> WHERE job_id = :job_id")
                .bind("job_id", dialect.uuid(jobId))
                .map((rs, ctx) ->
                        new JobCheckpoint(rows.jsonNode(rs.getString("state")), JobRows.instant(rs, "saved_at")))
                .findOne();
    }

    /** Rewrites the job's checkpoint, or adds its first; the caller holds the job's row lock, so no other save races it. */
    void writeCheckpoint(Handle h, UUID jobId, JobCheckpoint checkpoint) {
        String state = rows.json(checkpoint.state());
        var savedAt = JobRows.toColumn(checkpoint.savedAt());
        int updated = h.createUpdate(
                        "UPDATE <checkpoint> SET state = :state, saved_at = :saved_at WHERE job_id = :job_id")
                .bind("job_id", dialect.uuid(jobId))
                .bind("state", state)
                .bind("saved_at", savedAt)
                .execute();
        if (updated == 0) {
            h.createUpdate("INSERT INTO <checkpoint> (job_id, state, saved_at) VALUES (:job_id, :state, :saved_at)")
                    .bind("job_id", dialect.uuid(jobId))
                    .bind("state", state)
                    .bind("saved_at", savedAt)
                    .execute();
        }
    }

    /** Names a new job's dependencies, on the edges its insertion wrote. */
    void nameDependencies(Handle h, UUID jobId, Map<UUID, String> names) {
        PreparedBatch batch = h.prepareBatch(
                "UPDATE <dependency> SET name = :name WHERE job_id = :job_id AND depends_on_id = :depends_on_id");
        names.forEach((parent, name) -> batch.bind("job_id", dialect.uuid(jobId))
                .bind("depends_on_id", dialect.uuid(parent))
                .bind("name", name)
                .add());
        if (batch.size() > 0) {
            batch.execute();
        }
    }

    /** The names a job has for its dependencies, by their ids. */
    Map<UUID, String> dependencyNames(Handle h, UUID jobId) {
        var names = new HashMap<UUID, String>();
        h.createQuery("SELECT depends_on_id, name FROM <dependency> WHERE job_id = :job_id AND name IS NOT NULL")
                .bind("job_id", dialect.uuid(jobId))
                .map((rs, ctx) -> Map.entry(UUID.fromString(rs.getString("depends_on_id")), rs.getString("name")))
                .forEach(entry -> names.put(entry.getKey(), entry.getValue()));
        return names;
    }
}
