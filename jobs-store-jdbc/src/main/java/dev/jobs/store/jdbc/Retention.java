package dev.jobs.store.jdbc;

import dev.jobs.core.JobState;
import dev.jobs.core.PurgeRequest;
import java.time.LocalDateTime;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.Query;

/**
 * Deletes finished jobs, with their edges and keys, in batches of their own transactions: those
 * finished before a cutoff, and those past the newest a queue keeps. Thread-safe.
 */
final class Retention {
    /** The final states, of the jobs retention may delete. */
    private static final List<String> TERMINAL = Arrays.stream(JobState.values())
            .filter(JobState::isTerminal)
            .map(Enum::name)
            .toList();

    private final Transactions tx;
    private final SqlDialect dialect;
    private final FinishedCounts finishedCounts;

    Retention(Transactions tx, SqlDialect dialect, FinishedCounts finishedCounts) {
        this.tx = tx;
        this.dialect = dialect;
        this.finishedCounts = finishedCounts;
    }

    /**
     * Jobs one purge transaction deletes at most: retention then never holds many locks or a long
     * transaction, and never reads more ids than this into memory, however much history is due.
     */
    static final int PURGE_BATCH = 1000;

    /**
     * Deletes in batches of {@link #PURGE_BATCH}, each its own transaction, oldest first: first the
     * jobs finished before the cutoff (a range of the finished index), then, per queue, those past
     * the newest {@code keepLatestPerQueue}.
     */
    int purge(PurgeRequest request) {
        int purged = 0;
        if (request.finishedBefore().isPresent()) {
            LocalDateTime cutoff = JobRows.toColumn(request.finishedBefore().get());
            purged += purgeInBatches(h -> h.createQuery("SELECT id, queue, state FROM <job> WHERE finished_at < :cutoff"
                            + " AND state IN (<terminal>) ORDER BY finished_at LIMIT :batch")
                    .bind("cutoff", cutoff));
        }
        if (request.keepLatestPerQueue().isPresent()) {
            int keep = request.keepLatestPerQueue().getAsInt();
            List<String> queues =
                    tx.inTransaction(h -> h.createQuery("SELECT DISTINCT queue FROM <job> WHERE state IN (<terminal>)")
                            .bindList("terminal", TERMINAL)
                            .mapTo(String.class)
                            .list());
            for (String queue : queues) {
                purged += purgeBeyondNewest(queue, keep);
            }
        }
        return purged;
    }

    /** Deletes the finished jobs of {@code queue} older than its newest {@code keep}. */
    private int purgeBeyondNewest(String queue, int keep) {
        // The newest job that goes: the one just past the kept ones, in (finished_at, id) order.
        Optional<Map.Entry<LocalDateTime, UUID>> boundary = tx.inTransaction(h -> h.createQuery(
                        "SELECT finished_at, id FROM <job> WHERE queue = :queue AND state IN (<terminal>)"
                                + " ORDER BY finished_at DESC, id DESC LIMIT 1 OFFSET :keep")
                .bind("queue", queue)
                .bindList("terminal", TERMINAL)
                .bind("keep", keep)
                .map((rs, ctx) -> Map.entry(
                        rs.getObject("finished_at", LocalDateTime.class), UUID.fromString(rs.getString("id"))))
                .findOne());
        if (boundary.isEmpty()) {
            return 0;
        }
        return purgeInBatches(h -> h.createQuery("SELECT id, queue, state FROM <job> WHERE queue = :queue"
                        + " AND state IN (<terminal>)"
                        + " AND (finished_at < :finished OR (finished_at = :finished AND id <= :id))"
                        + " ORDER BY finished_at LIMIT :batch")
                .bind("queue", queue)
                .bind("finished", boundary.get().getKey())
                .bind("id", dialect.uuid(boundary.get().getValue())));
    }

    /**
     * Runs the selection of doomed jobs (their id, queue and state; {@code :batch} of them at most,
     * {@code <terminal>} bound here) and deletes them with their edges and keys, batch after batch, until none is left.
     */
    private int purgeInBatches(Function<Handle, Query> doomed) {
        int purged = 0;
        while (true) {
            int deleted = tx.inTransaction(h -> {
                List<UUID> ids = doomed.apply(h)
                        .bindList("terminal", TERMINAL)
                        .bind("batch", PURGE_BATCH)
                        .map((rs, ctx) -> {
                            finishedCounts.purged(rs.getString("queue"), JobState.valueOf(rs.getString("state")));
                            return UUID.fromString(rs.getString("id"));
                        })
                        .list();
                if (!ids.isEmpty()) {
                    var bound = ids.stream().map(dialect::uuid).toList();
                    h.createUpdate("DELETE FROM <dependency> WHERE job_id IN (<ids>) OR depends_on_id IN (<ids>)")
                            .bindList("ids", bound)
                            .execute();
                    h.createUpdate("DELETE FROM <idempotency_key> WHERE job_id IN (<ids>)")
                            .bindList("ids", bound)
                            .execute();
                    h.createUpdate("DELETE FROM <step> WHERE job_id IN (<ids>)")
                            .bindList("ids", bound)
                            .execute();
                    h.createUpdate("DELETE FROM <checkpoint> WHERE job_id IN (<ids>)")
                            .bindList("ids", bound)
                            .execute();
                    h.createUpdate("DELETE FROM <job> WHERE id IN (<ids>)")
                            .bindList("ids", bound)
                            .execute();
                }
                return ids.size();
            });
            purged += deleted;
            if (deleted < PURGE_BATCH) {
                return purged;
            }
        }
    }
}
