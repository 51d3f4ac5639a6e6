package dev.jobs.store.jdbc;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jobs.core.HeartbeatResult;
import dev.jobs.core.Job;
import dev.jobs.core.JobError;
import dev.jobs.core.JobState;
import dev.jobs.core.LeaseLostException;
import dev.jobs.core.spi.Completion;
import dev.jobs.core.spi.CompletionResult;
import dev.jobs.core.spi.LapsedLeasePolicy;
import dev.jobs.core.spi.Transition;
import dev.jobs.core.spi.support.DependencyCascade;
import dev.jobs.core.spi.support.JobLifecycle;
import dev.jobs.core.spi.support.JobTransitions;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.jdbi.v3.core.statement.Query;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What becomes of a claimed job, and of any job an operator acts on: heartbeats and progress under
 * the lease, successes (one at a time, or a batch in one statement), failures, cancellations,
 * snoozes and releases, cancel and retry from outside, leases that lapsed, scheduled jobs that fell
 * due, and rows that could not be read, mended. Each change is fenced on the lease it names and
 * carried to the job's dependents in the same transaction. Thread-safe.
 */
final class Outcomes {
    private static final Logger log = LoggerFactory.getLogger(JdbcJobStore.class);

    private final Transactions tx;
    private final SqlDialect dialect;
    private final JobRows rows;
    private final JobTable table;
    private final JobKeys keys;
    private final FinishedCounts finishedCounts;
    private final LeaseScanWindow leaseScans = new LeaseScanWindow();

    /** A whole batch of successes in one statement, where the database has one ({@code sql/<database>/jobs.sql}). */
    private final Optional<String> completeBatch;

    /** Otherwise: the batch's rows locked, then one success written per row ({@code sql/jobs.sql}). */
    private final String lockForCompletion;

    private final String completeJob;

    Outcomes(
            Transactions tx,
            SqlDialect dialect,
            SqlStatements jobStatements,
            JobRows rows,
            JobTable table,
            JobKeys keys,
            FinishedCounts finishedCounts) {
        this.tx = tx;
        this.dialect = dialect;
        this.rows = rows;
        this.table = table;
        this.keys = keys;
        this.finishedCounts = finishedCounts;
        this.completeBatch = jobStatements.find("complete-batch");
        this.lockForCompletion = jobStatements.get("lock-for-completion");
        this.completeJob = jobStatements.get("complete-job");
    }

    HeartbeatResult heartbeat(UUID jobId, UUID leaseToken, Duration leaseDuration) {
        return tx.inTransaction(h -> JobLifecycle.heartbeat(table.in(h, tx.now()), jobId, leaseToken, leaseDuration));
    }

    Job reportProgress(UUID jobId, UUID leaseToken, int progress, Optional<String> message) {
        return tx.inTransaction(
                h -> JobLifecycle.reportProgress(table.in(h, tx.now()), jobId, leaseToken, progress, message));
    }

    Transition complete(UUID jobId, UUID leaseToken, Optional<JsonNode> result) {
        return tx.inTransaction(h -> JobLifecycle.complete(table.in(h, tx.now()), jobId, leaseToken, result));
    }

    /**
     * All the completions in one transaction, each derived from its worker's snapshot ({@link
     * Completion}) and fenced on its own token: in one statement where the dialect can, otherwise by
     * locking the rows (narrow columns, id order, so concurrent batches cannot deadlock) and sending
     * one batch of updates. Only the jobs that have dependents are walked for the cascade.
     */
    List<CompletionResult> completeAll(List<Completion> completions) {
        if (completions.isEmpty()) {
            return List.of();
        }
        return tx.inTransaction(h -> {
            Instant now = tx.now();
            // A job named twice in one batch: only its first completion can still hold the lease.
            var successes = new LinkedHashMap<UUID, Success>();
            for (Completion completion : completions) {
                successes.computeIfAbsent(
                        completion.jobId(),
                        id -> new Success(
                                completion.leaseToken(),
                                JobTransitions.succeeded(completion.running(), completion.result(), now)));
            }
            Map<UUID, ReadBack> recorded = completeBatch
                    .map(sql -> completeInOneStatement(h, sql, successes))
                    .orElseGet(() -> lockAndComplete(h, successes));
            var unique = new ArrayList<Job>();
            var results = new ArrayList<CompletionResult>(completions.size());
            var seen = new HashSet<UUID>();
            for (Completion completion : completions) {
                UUID id = completion.jobId();
                ReadBack row = recorded.get(id);
                if (row == null || !seen.add(id)) {
                    results.add(CompletionResult.refused(refusal(h, id, completion.leaseToken())));
                    continue;
                }
                Job job = successes.get(id).next().toBuilder()
                        .cancelRequested(row.cancelRequested())
                        .progressMessage(row.progressMessage())
                        .build();
                job.uniqueKey().ifPresent(key -> unique.add(job));
                finishedCounts.finished(job.queue(), job.state());
                var changed = new ArrayList<Job>();
                if (row.hasDependents()) {
                    DependencyCascade.settleDependentsOf(table.in(h, now), job, changed);
                }
                results.add(CompletionResult.recorded(new Transition(job, changed)));
            }
            unique.forEach(job -> keys.releaseUniqueKey(h, job));
            return results;
        });
    }

    /** A success to record: the lease it must still hold, and the job as it then is. */
    private record Success(UUID fence, Job next) {}

    /** What a completion reads of the row it changed, which its worker's snapshot cannot know. */
    private record ReadBack(boolean cancelRequested, String progressMessage, boolean hasDependents) {}

    private static ReadBack readBack(ResultSet rs) throws SQLException {
        return new ReadBack(
                rs.getBoolean("cancel_requested"), rs.getString("progress_message"), rs.getBoolean("has_dependents"));
    }

    private Map<UUID, ReadBack> completeInOneStatement(Handle h, String sql, Map<UUID, Success> successes) {
        var columns = new ArrayList<JobRows.Column>(JobRows.SUCCESS_COLUMNS);
        var byId = new LinkedHashMap<UUID, Map<String, Object>>();
        successes.forEach((id, success) -> {
            Map<String, Object> values = rows.values(success.next(), columns);
            values.put("fence", success.fence());
            byId.put(id, values);
        });
        columns.add(new JobRows.Column("fence", JobRows.Kind.UUID));
        var recorded = new HashMap<UUID, ReadBack>();
        h.createQuery(sql)
                .bind("rows", rows.rowsByIdJson(byId, columns))
                .bindArray("ids", UUID.class, successes.keySet())
                .map((rs, ctx) -> Map.entry(UUID.fromString(rs.getString("id")), readBack(rs)))
                .forEach(row -> recorded.put(row.getKey(), row.getValue()));
        return recorded;
    }

    private Map<UUID, ReadBack> lockAndComplete(Handle h, Map<UUID, Success> successes) {
        var held = new HashMap<UUID, ReadBack>();
        h.createQuery(lockForCompletion)
                .bindList("ids", successes.keySet().stream().map(dialect::uuid).toList())
                .map((rs, ctx) -> {
                    UUID id = UUID.fromString(rs.getString("id"));
                    String token = rs.getString("lease_token");
                    if (rs.getString("state").equals("RUNNING")
                            && token != null
                            && UUID.fromString(token).equals(successes.get(id).fence())) {
                        held.put(id, readBack(rs));
                    }
                    return id;
                })
                .list();
        if (!held.isEmpty()) {
            PreparedBatch updates = h.prepareBatch(completeJob);
            for (UUID id : held.keySet()) {
                Map<String, Object> values = rows.values(successes.get(id).next(), JobRows.SUCCESS_COLUMNS);
                JobRows.SUCCESS_COLUMNS.forEach(column -> rows.bind(updates, column, values.get(column.name())));
                updates.bind("id", dialect.uuid(id)).add();
            }
            updates.execute();
        }
        return held;
    }

    /** Why a completion under {@code leaseToken} was not recorded, read from the row as it now is. */
    private LeaseLostException refusal(Handle h, UUID id, UUID leaseToken) {
        try {
            JobTransitions.requireLease(table.find(h, id), id, leaseToken);
        } catch (LeaseLostException e) {
            return e;
        }
        // The row holds the lease, so this was the second completion of a job in one batch.
        return new LeaseLostException(id, "the job was completed twice in one batch");
    }

    Transition fail(UUID jobId, UUID leaseToken, JobError error, Optional<Instant> retryAt) {
        return tx.inTransaction(h -> JobLifecycle.fail(table.in(h, tx.now()), jobId, leaseToken, error, retryAt));
    }

    Transition cancelRunning(UUID jobId, UUID leaseToken, JobError reason) {
        return tx.inTransaction(h -> JobLifecycle.cancelRunning(table.in(h, tx.now()), jobId, leaseToken, reason));
    }

    Transition snooze(UUID jobId, UUID leaseToken, Instant runAt) {
        return tx.inTransaction(h -> JobLifecycle.snooze(table.in(h, tx.now()), jobId, leaseToken, runAt));
    }

    Transition release(UUID jobId, UUID leaseToken) {
        return tx.inTransaction(h -> JobLifecycle.release(table.in(h, tx.now()), jobId, leaseToken));
    }

    Transition cancel(UUID jobId) {
        return tx.inTransaction(h -> JobLifecycle.cancel(table.in(h, tx.now()), jobId));
    }

    Transition retry(UUID jobId) {
        return tx.inTransaction(h -> JobLifecycle.retry(table.in(h, tx.now()), jobId));
    }

    List<Transition> reclaimExpiredLeases(int limit, LapsedLeasePolicy policy) {
        long startedNanos = System.nanoTime();
        Instant now = tx.now();
        Optional<Instant> since = leaseScans.since(now, startedNanos);
        List<Transition> transitions = tx.inTransaction(h -> {
            Query query = h.createQuery(since.isPresent() ? LAPSED_SINCE : LAPSED);
            since.ifPresent(instant -> query.bind("since", JobRows.toColumn(instant)));
            List<Job> lapsed = query.bind("now", JobRows.toColumn(now))
                    .bind("limit", limit)
                    .map((rs, ctx) -> rows.read(rs))
                    .list();
            JdbcTransaction t = table.in(h, now);
            var reclaimed = new ArrayList<Transition>();
            for (Job job : lapsed) {
                reclaimed.add(JobLifecycle.lapsed(t, job, policy));
            }
            return reclaimed;
        });
        // Only once committed: a scan whose transaction rolled back has taken nothing.
        leaseScans.scanned(since, now, transitions.size() < limit, startedNanos);
        return transitions;
    }

    /** Running jobs whose leases lapsed, oldest lapse first, locked; {@code SKIP LOCKED} lets reclaimers share them. */
    private static final String LAPSED = "SELECT * FROM <job> WHERE state = 'RUNNING' AND lease_expires_at <= :now"
            + " ORDER BY lease_expires_at LIMIT :limit FOR UPDATE SKIP LOCKED";

    /** {@link #LAPSED}, only those that lapsed after {@code :since}, where the last scan ended ({@link LeaseScanWindow}). */
    private static final String LAPSED_SINCE =
            "SELECT * FROM <job> WHERE state = 'RUNNING' AND lease_expires_at <= :now"
                    + " AND lease_expires_at > :since ORDER BY lease_expires_at LIMIT :limit FOR UPDATE SKIP LOCKED";

    List<Job> promoteDueJobs(int limit) {
        return tx.inTransaction(h -> {
            Instant now = tx.now();
            List<Job> due = h.createQuery("SELECT * FROM <job> WHERE state = 'SCHEDULED' AND run_at <= :now"
                            + " ORDER BY run_at LIMIT :limit FOR UPDATE SKIP LOCKED")
                    .bind("now", JobRows.toColumn(now))
                    .bind("limit", limit)
                    .map((rs, ctx) -> rows.read(rs))
                    .list();
            return JobLifecycle.promote(table.in(h, now), due);
        });
    }

    /**
     * The database's plan for recording the success of {@code ids} in one statement, for tests that
     * hold it to finding its rows by primary key; empty where the dialect completes row by row.
     */
    List<String> explainCompletion(List<UUID> ids) {
        return completeBatch
                .map(sql -> tx.inTransaction(h -> QueryPlans.planOf(
                        h.createQuery("EXPLAIN " + sql).bind("rows", "{}").bindArray("ids", UUID.class, ids))))
                .orElse(List.of());
    }

    /**
     * Mends a row that cannot be read, in a transaction of its own: the column gets a value the
     * store can read (see {@link UnreadableRow#replacement}), and the job ends, its error saying
     * what was wrong: a running job fails, a waiting one is cancelled (the transitions the table
     * allows it), and its dependents are settled as for any job that ends so.
     */
    void mend(UnreadableRow unreadable) {
        Job mended = tx.inTransaction(h -> {
            Instant now = tx.now();
            h.createUpdate("UPDATE <job> SET " + unreadable.column() + " = :replacement WHERE id = :id")
                    .bind("replacement", unreadable.replacement())
                    .bind("id", dialect.uuid(unreadable.jobId()))
                    .execute();
            Optional<Job> found = table.lock(h, unreadable.jobId());
            if (found.isEmpty()) {
                return null;
            }
            Job job = found.get();
            JobError error = unreadable.error();
            if (unreadable.isState()) {
                // Its state is unknown: it ends cancelled now, whatever it was.
                Job next = job.toBuilder()
                        .lastError(error)
                        .clearLease()
                        .finishedAt(now)
                        .updatedAt(now)
                        .build();
                table.writeAll(h, List.of(next));
                finishedCounts.finished(next.queue(), next.state());
                keys.releaseUniqueKey(h, next);
                DependencyCascade.settleDependentsOf(table.in(h, now), next, new ArrayList<>());
                return next;
            }
            if (job.isTerminal()) {
                Job next = job.toBuilder().lastError(error).updatedAt(now).build();
                table.write(h, job, next);
                return next;
            }
            Job next = job.state() == JobState.RUNNING
                    ? JobTransitions.failed(job, error, Optional.empty(), now)
                    : JobTransitions.cancelled(job, error, now);
            return DependencyCascade.finish(table.in(h, now), job, next).job();
        });
        if (mended != null) {
            log.warn(
                    "{}; the job is now {} with error {}", unreadable.getMessage(), mended.state(), UnreadableRow.TYPE);
        }
    }
}
