package dev.jobs.store.jdbc;

import dev.jobs.core.JobCheckpoint;
import dev.jobs.core.JobStep;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Handle;

/**
 * The durable work of jobs, read and written in the transaction a handle is in: their steps (schema
 * V17) and their last checkpoints (V18).
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
}
