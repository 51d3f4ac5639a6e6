package dev.jobs.store.jdbc;

import dev.jobs.core.Job;
import dev.jobs.core.spi.AcquireRequest;
import dev.jobs.core.spi.JobTransitions;
import dev.jobs.core.spi.QueueAllowance;
import dev.jobs.core.spi.StartBucket;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
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
 * Leases the jobs of queues with limits (running jobs, starts per window, running jobs per
 * concurrency key), within them: the queues' limit rows are locked first, so claims on a limited
 * queue take turns, whichever engine makes them, and each one's count of the running jobs holds
 * until it commits. Says, too, when the first job of such queues may start. Thread-safe.
 */
final class LimitedClaims {
    private final Transactions tx;
    private final SqlDialect dialect;
    private final SqlStatements statements;
    private final JobRows rows;
    private final JobTable table;

    LimitedClaims(Transactions tx, SqlDialect dialect, SqlStatements statements, JobRows rows, JobTable table) {
        this.tx = tx;
        this.dialect = dialect;
        this.statements = statements;
        this.rows = rows;
        this.table = table;
    }

    /**
     * Leases up to {@code max} jobs of the request's limited queues, within their limits. The
     * queues' limit rows are locked first (in name order, so that claims on several cannot deadlock):
     * claims on a limited queue take turns, so each one's count of the running jobs holds until it
     * commits, whichever engine makes it. A quick look without a transaction comes first, so that
     * claims on stores without limits pay one primary-key probe and nothing more.
     */
    List<Job> claim(AcquireRequest request, int max, Optional<List<UUID>> candidates) {
        List<String> requested = List.copyOf(new TreeSet<>(request.queues()));
        boolean anyLimited = tx.inOneStatement(h -> h.createQuery(statements.get("any-limited"))
                        .bindList("queues", requested)
                        .mapTo(String.class)
                        .findFirst())
                .isPresent();
        if (!anyLimited) {
            return List.of();
        }
        return tx.inTransaction(h -> {
            Instant now = tx.now();
            List<LimitRow> limited = h.createQuery(statements.get("lock-requested-limited-queues"))
                    .bindList("queues", requested)
                    .map((rs, ctx) -> LimitRow.read(rs))
                    .list();
            var acquired = new ArrayList<Job>();
            for (LimitRow row : limited) {
                if (acquired.size() == max) {
                    break;
                }
                QueueAllowance allowance = allowance(h, row, now);
                acquired.addAll(
                        claimWithin(h, row.queue(), allowance, max - acquired.size(), request, candidates, now));
                Optional<StartBucket> bucket = allowance.bucket();
                if (bucket.isPresent() && allowance.started() > 0) {
                    h.createUpdate(statements.get("take-starts"))
                            .bind("tokens", bucket.get().tokens())
                            .bind("tokens_at", JobRows.toColumn(bucket.get().at()))
                            .bind("queue", row.queue())
                            .execute();
                }
            }
            return acquired;
        });
    }

    /**
     * Leases the queue's jobs in claim order that {@code allowance} lets start, up to {@code max}.
     * Candidates are read a page at a time, leaving out keys already at their limit; each page's
     * leases are written before the next is read, so the next page starts after them.
     */
    private List<Job> claimWithin(
            Handle h,
            String queue,
            QueueAllowance allowance,
            int max,
            AcquireRequest request,
            Optional<List<UUID>> candidates,
            Instant now) {
        Duration lease = request.leaseDuration().truncatedTo(ChronoUnit.MICROS);
        var acquired = new ArrayList<Job>();
        while (acquired.size() < max && allowance.remaining() > 0) {
            int wanted = Math.min(max - acquired.size(), allowance.remaining());
            Set<String> saturated = allowance.saturatedKeys();
            Query query = h.createQuery(statements.get(limitedClaim(candidates.isPresent(), saturated)))
                    .bindList("queues", List.of(queue))
                    .bind("now", JobRows.toColumn(now))
                    .bind("max", wanted);
            candidates.ifPresent(
                    ids -> query.bindList("ids", ids.stream().map(dialect::uuid).toList()));
            if (!saturated.isEmpty()) {
                query.bindList("saturated", List.copyOf(saturated));
            }
            List<Job> page = query.map((rs, ctx) -> rows.read(rs)).list();
            var taken = new ArrayList<Job>();
            for (Job job : page) {
                if (allowance.tryStart(job)) {
                    taken.add(JobTransitions.acquired(job, request.workerId(), UUID.randomUUID(), lease, now));
                }
            }
            table.writeAll(h, taken);
            acquired.addAll(taken);
            // A short page had every candidate left; one where nothing started changes nothing next time.
            if (page.size() < wanted
                    || taken.isEmpty() && allowance.saturatedKeys().equals(saturated)) {
                break;
            }
        }
        return acquired;
    }

    /** The claim on one limited queue: among ids a dispatch queue handed out or not, past the saturated keys or not. */
    private static String limitedClaim(boolean amongIds, Set<String> saturated) {
        return "claim-limited" + (amongIds ? "-among-ids" : "") + (saturated.isEmpty() ? "" : "-past-saturated-keys");
    }

    /** What a limited queue lets a claim start now: its limits, its bucket and its running jobs. */
    private QueueAllowance allowance(Handle h, LimitRow row, Instant now) {
        var runningPerKey = h.createQuery(statements.get("running-per-key"))
                .bind("queue", row.queue())
                .map((rs, ctx) -> Map.entry(Optional.ofNullable(rs.getString("concurrency_key")), rs.getInt("running")))
                .list();
        var runningByKey = new HashMap<String, Integer>();
        runningPerKey.forEach(entry -> entry.getKey().ifPresent(key -> runningByKey.put(key, entry.getValue())));
        int running = runningPerKey.stream().mapToInt(Map.Entry::getValue).sum();
        return new QueueAllowance(row.limits(), Optional.of(row.bucket()), running, runningByKey, now);
    }

    /**
     * When the first job of the requested limited queues may start: its runAt, or later when the
     * queue's limits hold it back; empty when none of them has a claimable job.
     */
    Optional<Instant> earliest(Handle h, Set<String> queues, Instant now) {
        Optional<Instant> earliest = Optional.empty();
        List<LimitRow> limited = h.createQuery(statements.get("requested-limited-queues"))
                .bindList("queues", List.copyOf(queues))
                .map((rs, ctx) -> LimitRow.read(rs))
                .list();
        for (LimitRow row : limited) {
            QueueAllowance allowance = allowance(h, row, now);
            Optional<Instant> start = allowance.earliestStart(now);
            if (start.isEmpty()) {
                continue;
            }
            Set<String> saturated = allowance.saturatedKeys();
            Query query = h.createQuery(statements.get(
                            saturated.isEmpty() ? "earliest-limited" : "earliest-limited-past-saturated-keys"))
                    .bindList("queues", List.of(row.queue()))
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
