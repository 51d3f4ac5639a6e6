package dev.jobs.store.jdbc;

import dev.jobs.core.Job;
import dev.jobs.core.spi.JobTransaction.LimitedQueue;
import dev.jobs.core.spi.JobTransaction.Running;
import dev.jobs.core.spi.StartBucket;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.Query;

/**
 * The rows a claim locks, read and changes, as core's {@link dev.jobs.core.spi.support.JobClaims}
 * asks for them through {@link JdbcTransaction}: claimable jobs of the open queues, the limited
 * queues' entries, their running jobs, their claimable jobs past saturated keys, and their start
 * buckets. The statements are whole, per database, in {@code sql/<database>/claims.sql}.
 * Thread-safe.
 */
final class ClaimRows {
    private final SqlDialect dialect;
    private final SqlStatements statements;
    private final JobRows rows;

    ClaimRows(SqlDialect dialect, SqlStatements statements, JobRows rows) {
        this.dialect = dialect;
        this.statements = statements;
        this.rows = rows;
    }

    /**
     * Claimable due jobs of the requested queues that are neither paused nor limited now (read in
     * this transaction), locked, in claim order. Where the database claims in one statement, the
     * store does not come here for the open queues ({@link Claims}).
     */
    List<Job> lockClaimable(Handle h, Instant now, Set<String> requested, int max, Optional<List<UUID>> candidates) {
        Set<String> held = Set.copyOf(
                h.createQuery(statements.get("held-queues")).mapTo(String.class).list());
        List<String> queues =
                requested.stream().filter(q -> !held.contains(q)).sorted().toList();
        if (queues.isEmpty()) {
            return List.of();
        }
        Query query = h.createQuery(
                        candidates.isPresent()
                                ? statements.get("claim-among-ids", queues.size() == 1)
                                : statements.get("claim", queues.size() == 1))
                .bindList("queues", queues)
                .bind("now", JobRows.toColumn(now))
                .bind("max", max);
        candidates.ifPresent(
                ids -> query.bindList("ids", ids.stream().map(dialect::uuid).toList()));
        return query.map((rs, ctx) -> rows.read(rs)).list();
    }

    /**
     * The requested queues' limit rows, locked in name order, so that claims on several cannot
     * deadlock and claims on one take turns, whichever engine makes them.
     */
    List<LimitedQueue> lockLimitedQueues(Handle h, Set<String> requested) {
        return h.createQuery(statements.get("lock-requested-limited-queues"))
                .bindList("queues", List.copyOf(new TreeSet<>(requested)))
                .map((rs, ctx) -> LimitRow.read(rs).limitedQueue())
                .list();
    }

    /** The requested queues' limit rows, not locked, for a look at when their next job may start. */
    List<LimitedQueue> limitedQueues(Handle h, Set<String> requested) {
        return h.createQuery(statements.get("requested-limited-queues"))
                .bindList("queues", List.copyOf(requested))
                .map((rs, ctx) -> LimitRow.read(rs).limitedQueue())
                .list();
    }

    Running running(Handle h, String queue) {
        var runningPerKey = h.createQuery(statements.get("running-per-key"))
                .bind("queue", queue)
                .map((rs, ctx) -> Map.entry(Optional.ofNullable(rs.getString("concurrency_key")), rs.getInt("running")))
                .list();
        var byKey = new HashMap<String, Integer>();
        runningPerKey.forEach(entry -> entry.getKey().ifPresent(key -> byKey.put(key, entry.getValue())));
        return new Running(runningPerKey.stream().mapToInt(Map.Entry::getValue).sum(), byKey);
    }

    List<Job> lockClaimableIn(
            Handle h, Instant now, String queue, int max, Set<String> saturated, Optional<List<UUID>> candidates) {
        Query query = h.createQuery(statements.get(limitedClaim(candidates.isPresent(), saturated)))
                .bindList("queues", List.of(queue))
                .bind("now", JobRows.toColumn(now))
                .bind("max", max);
        candidates.ifPresent(
                ids -> query.bindList("ids", ids.stream().map(dialect::uuid).toList()));
        if (!saturated.isEmpty()) {
            query.bindList("saturated", List.copyOf(saturated));
        }
        return query.map((rs, ctx) -> rows.read(rs)).list();
    }

    /** The claim on one limited queue: among ids a dispatch queue handed out or not, past the saturated keys or not. */
    private static String limitedClaim(boolean amongIds, Set<String> saturated) {
        return "claim-limited" + (amongIds ? "-among-ids" : "") + (saturated.isEmpty() ? "" : "-past-saturated-keys");
    }

    void saveStartBucket(Handle h, String queue, StartBucket bucket) {
        h.createUpdate(statements.get("take-starts"))
                .bind("tokens", bucket.tokens())
                .bind("tokens_at", JobRows.toColumn(bucket.at()))
                .bind("queue", queue)
                .execute();
    }
}
