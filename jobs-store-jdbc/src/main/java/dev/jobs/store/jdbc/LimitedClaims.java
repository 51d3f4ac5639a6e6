package dev.jobs.store.jdbc;

import dev.jobs.core.Job;
import dev.jobs.core.spi.AcquireRequest;
import dev.jobs.core.spi.JobTransaction.LimitedQueue;
import dev.jobs.core.spi.support.JobClaims;
import dev.jobs.core.spi.support.QueueAllowance;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.Query;

/**
 * Leases the jobs of queues with limits (running jobs, starts per window, running jobs per
 * concurrency key), within them: the queues' limit rows are locked first, so claims on a limited
 * queue take turns, whichever engine makes them, and each one's count of the running jobs holds
 * until it commits. Says, too, when the first job of such queues may start. Thread-safe.
 */
final class LimitedClaims {
    private final Transactions tx;
    private final SqlStatements statements;
    private final JobTable table;
    private final ClaimRows claimRows;

    LimitedClaims(Transactions tx, SqlStatements statements, JobTable table, ClaimRows claimRows) {
        this.tx = tx;
        this.statements = statements;
        this.table = table;
        this.claimRows = claimRows;
    }

    /**
     * Leases up to {@code max} jobs of the request's limited queues, within their limits, by core's
     * claim ({@link JobClaims#acquireFromLimitedQueues}). A quick look without a transaction comes
     * first, so that claims on stores without limits pay one primary-key probe and nothing more.
     */
    List<Job> claim(AcquireRequest request, int max, Optional<List<UUID>> candidates) {
        boolean anyLimited = tx.inOneStatement(h -> h.createQuery(statements.get("any-limited"))
                        .bindList("queues", List.copyOf(new TreeSet<>(request.queues())))
                        .mapTo(String.class)
                        .findFirst())
                .isPresent();
        if (!anyLimited) {
            return List.of();
        }
        return tx.inTransaction(
                h -> JobClaims.acquireFromLimitedQueues(table.in(h, tx.now()), request, max, candidates));
    }

    /**
     * When the first job of the requested limited queues may start: its runAt, or later when the
     * queue's limits hold it back; empty when none of them has a claimable job.
     */
    Optional<Instant> earliest(Handle h, Set<String> queues, Instant now) {
        Optional<Instant> earliest = Optional.empty();
        JdbcTransaction t = table.in(h, now);
        for (LimitedQueue queue : claimRows.limitedQueues(h, queues)) {
            QueueAllowance allowance = JobClaims.allowance(t, queue);
            Optional<Instant> start = allowance.earliestStart(now);
            if (start.isEmpty()) {
                continue;
            }
            Set<String> saturated = allowance.saturatedKeys();
            Query query = h.createQuery(statements.get(
                            saturated.isEmpty() ? "earliest-limited" : "earliest-limited-past-saturated-keys"))
                    .bindList("queues", List.of(queue.name()))
                    .bind("now", JobRows.toColumn(now));
            if (!saturated.isEmpty()) {
                query.bindList("saturated", List.copyOf(saturated));
            }
            Optional<Instant> next = query.map((rs, ctx) -> Claims.readEarliest(rs))
                    .findOne()
                    .map(runAt -> runAt.isAfter(start.get()) ? runAt : start.get());
            if (next.isPresent() && (earliest.isEmpty() || next.get().isBefore(earliest.get()))) {
                earliest = next;
            }
        }
        return earliest;
    }
}
