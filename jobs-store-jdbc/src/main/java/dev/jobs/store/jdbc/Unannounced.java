package dev.jobs.store.jdbc;

import dev.jobs.core.Job;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.jdbi.v3.core.Handle;

/**
 * The jobs created in a host's own transaction that no engine has announced yet (schema V16): the
 * outbox of transactional enqueue. Each is noted in the host's transaction beside its job, so it
 * is there only if the host commits, and taken once, by whichever engine gets it first.
 * Thread-safe.
 */
final class Unannounced {
    private final Transactions tx;
    private final SqlDialect dialect;
    private final JobTable table;

    Unannounced(Transactions tx, SqlDialect dialect, JobTable table) {
        this.tx = tx;
        this.dialect = dialect;
        this.table = table;
    }

    /** Notes newly created jobs in the transaction {@code h} is in. */
    void note(Handle h, List<Job> created) {
        if (created.isEmpty()) {
            return;
        }
        var batch = h.prepareBatch("INSERT INTO <unannounced> (job_id) VALUES (:id)");
        created.forEach(job -> batch.bind("id", dialect.uuid(job.id())).add());
        batch.execute();
    }

    /**
     * Takes up to {@code max} noted jobs that no other transaction is taking, in a transaction of
     * the store's: their notes are deleted and the jobs returned as they now are (a job deleted
     * since is left out).
     */
    List<Job> take(int max) {
        return tx.inTransaction(h -> {
            List<UUID> ids = h.createQuery("SELECT job_id FROM <unannounced> LIMIT :max FOR UPDATE SKIP LOCKED")
                    .bind("max", max)
                    .map((rs, ctx) -> UUID.fromString(rs.getString("job_id")))
                    .list();
            if (ids.isEmpty()) {
                return List.of();
            }
            h.createUpdate("DELETE FROM <unannounced> WHERE job_id IN (<ids>)")
                    .bindList("ids", ids.stream().map(dialect::uuid).toList())
                    .execute();
            var found = table.read(h, ids);
            var jobs = new ArrayList<Job>(ids.size());
            ids.stream().map(found::get).filter(job -> job != null).forEach(jobs::add);
            return jobs;
        });
    }
}
