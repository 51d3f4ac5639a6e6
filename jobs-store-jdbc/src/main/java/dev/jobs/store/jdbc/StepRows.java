package dev.jobs.store.jdbc;

import dev.jobs.core.JobStep;
import java.util.List;
import java.util.UUID;
import org.jdbi.v3.core.Handle;

/** The durable steps of jobs (schema V17), read and inserted in the transaction a handle is in. */
final class StepRows {
    private final SqlDialect dialect;
    private final JobRows rows;

    StepRows(SqlDialect dialect, JobRows rows) {
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
}
