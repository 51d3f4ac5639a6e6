package dev.jobs.store.jdbc;

import dev.jobs.core.Job;
import dev.jobs.core.spi.AcquireRequest;
import dev.jobs.core.spi.ClaimPlace;
import dev.jobs.core.spi.support.JobClaims;
import dev.jobs.core.spi.support.JobIds;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.Query;

/**
 * Leases claimable jobs to workers: from the queues without limits, in one statement where the
 * database can, then from the limited ones ({@link LimitedClaims}); says when the next job of some
 * queues becomes claimable, and pages through a queue's claim order. The statements are whole, per
 * database, in {@code sql/<database>/claims.sql}. Thread-safe.
 */
final class Claims {
    /** The order a claim returns its jobs in, which an {@code UPDATE … RETURNING} does not keep. */
    private static final Comparator<Job> CLAIM_ORDER =
            Comparator.comparingInt(Job::priority).thenComparing(Job::runAt).thenComparing(Job::id, JobIds.ORDER);

    private final Transactions tx;
    private final SqlDialect dialect;
    private final SqlStatements statements;
    private final JobRows rows;
    private final JobTable table;
    private final ClaimFloors claimFloors;
    private final LimitedClaims limitedClaims;
    private final Outcomes outcomes;

    Claims(
            Transactions tx,
            SqlDialect dialect,
            SqlStatements statements,
            JobRows rows,
            JobTable table,
            ClaimRows claimRows,
            ClaimFloors claimFloors,
            Outcomes outcomes) {
        this.tx = tx;
        this.dialect = dialect;
        this.statements = statements;
        this.rows = rows;
        this.table = table;
        this.claimFloors = claimFloors;
        this.outcomes = outcomes;
        this.limitedClaims = new LimitedClaims(tx, statements, table, claimRows);
    }

    List<Job> acquire(AcquireRequest request) {
        return claim(request, Optional.empty());
    }

    List<Job> acquire(AcquireRequest request, Collection<UUID> candidates) {
        if (candidates.isEmpty()) {
            return List.of();
        }
        return claim(request, Optional.of(List.copyOf(new LinkedHashSet<>(candidates))));
    }

    /**
     * Leases claimable jobs, from all of the request's queues or only among {@code candidates}: first
     * from the queues without limits, then, with what that left of {@code maxJobs}, from the limited
     * ones.
     */
    private List<Job> claim(AcquireRequest request, Optional<List<UUID>> candidates) {
        if (request.queues().isEmpty()) {
            return List.of();
        }
        List<Job> open = claimFromOpenQueues(request, candidates);
        if (open.size() == request.maxJobs()) {
            return open;
        }
        List<Job> limited = limitedClaims.claim(request, request.maxJobs() - open.size(), candidates);
        if (limited.isEmpty()) {
            return open;
        }
        var all = new ArrayList<Job>(open);
        all.addAll(limited);
        return all;
    }

    /**
     * Leases jobs of the request's queues that are neither paused nor limited: by core's claim in
     * the store's transaction, or, where the database can, in one statement of its own that claims
     * and leases at once (the fast path the conformance suite holds to the same lifecycle).
     */
    private List<Job> claimFromOpenQueues(AcquireRequest request, Optional<List<UUID>> candidates) {
        if (!dialect.claimsInOneStatement()) {
            return tx.inTransaction(h -> JobClaims.acquireFromOpenQueues(table.in(h, tx.now()), request, candidates));
        }
        // A claim in one statement has committed by the time its rows are read, so a row it cannot
        // read is set aside and mended after, rather than failing the claim of the others.
        var unreadable = new ArrayList<UnreadableRow>();
        // A claim in one statement commits on its own: no transaction to open and end around it.
        List<Job> claimed = tx.inOneStatement(h -> {
            unreadable.clear();
            List<String> queues = List.copyOf(request.queues());
            long startedNanos = System.nanoTime();
            Optional<String> flooredQueue = claimFloors.floorable(queues, candidates.isPresent());
            Optional<ClaimFloors.Key> floor = flooredQueue.flatMap(q -> claimFloors.start(q, startedNanos));
            String claim = candidates.isPresent()
                    ? statements.get("claim-among-ids", queues.size() == 1)
                    : floor.isPresent()
                            ? statements.get("claim-from-floor")
                            : statements.get("claim", queues.size() == 1);
            Instant now = tx.now();
            Duration lease = request.leaseDuration().truncatedTo(ChronoUnit.MICROS);
            Query query = h.createQuery(claim)
                    .bindList("queues", queues)
                    .bind("now", JobRows.toColumn(now))
                    .bind("max", request.maxJobs())
                    .bind("worker", request.workerId())
                    .bind("expires", JobRows.toColumn(now.plus(lease)));
            candidates.ifPresent(
                    ids -> query.bindList("ids", ids.stream().map(dialect::uuid).toList()));
            floor.ifPresent(key -> bindPlace(query, "floor", key));
            List<Job> leased = query
                    .map((rs, ctx) -> {
                        try {
                            return rows.read(rs);
                        } catch (UnreadableRow e) {
                            unreadable.add(e);
                            return null;
                        }
                    })
                    .list()
                    .stream()
                    .filter(Objects::nonNull)
                    .sorted(CLAIM_ORDER)
                    .toList();
            flooredQueue.ifPresent(q -> claimFloors.claimed(
                    q, floor, Duration.ofNanos(System.nanoTime() - startedNanos), leased, startedNanos));
            return leased;
        });
        unreadable.forEach(outcomes::mend);
        return claimed;
    }

    /** Binds the place {@code key} in the claim order as {@code :<name>_priority}, {@code :<name>_run_at}, {@code :<name>_id}. */
    private void bindPlace(Query query, String name, ClaimFloors.Key key) {
        query.bind(name + "_priority", key.priority())
                .bind(name + "_run_at", JobRows.toColumn(key.runAt()))
                .bind(name + "_id", dialect.uuid(key.id()));
    }

    /**
     * The database's plan for a whole claim on one queue, as the store runs it, one line per
     * element, for tests that hold it to walking its index in order instead of sorting the backlog,
     * on tables analysed or never analysed.
     */
    List<String> explainClaim(String queue, int max) {
        Instant now = tx.now();
        return tx.inTransaction(h -> {
            Query explain = h.createQuery("EXPLAIN " + statements.get("claim", true))
                    .bindList("queues", List.of(queue))
                    .bind("now", JobRows.toColumn(now))
                    .bind("max", max);
            if (dialect.claimsInOneStatement()) {
                explain.bind("worker", "explain").bind("expires", JobRows.toColumn(now));
            }
            return QueryPlans.planOf(explain);
        });
    }

    Optional<Instant> earliestRunAt(Set<String> queues) {
        if (queues.isEmpty()) {
            return Optional.empty();
        }
        // A due job answers "now" from the first entry of the claim index; only when none is due
        // does the minimum over the queue's claimable jobs (all of them in the future) get computed.
        // Both start where the queue's claims start: below a floor lie the entries a held-back
        // vacuum left, and a job there that is claimable after all waits as it would for a claim.
        return tx.inTransaction(h -> {
            Instant now = tx.now();
            Optional<Instant> found = Optional.empty();
            List<String> open = requestedQueues(h, queues);
            if (!open.isEmpty()) {
                Optional<ClaimFloors.Key> floor =
                        claimFloors.floorable(open, false).flatMap(claimFloors::current);
                Query query = h.createQuery(statements.get(floor.isPresent() ? "earliest-from-floor" : "earliest"))
                        .bindList("queues", open)
                        .bind("now", JobRows.toColumn(now));
                floor.ifPresent(key -> bindPlace(query, "floor", key));
                found = query.map((rs, ctx) -> readEarliest(rs)).findOne();
            }
            Optional<Instant> fromOpenQueues = found;
            return limitedClaims
                    .earliest(h, queues, now)
                    .filter(limited -> fromOpenQueues.isEmpty() || limited.isBefore(fromOpenQueues.get()))
                    .or(() -> fromOpenQueues);
        });
    }

    static Instant readEarliest(ResultSet rs) throws SQLException {
        LocalDateTime earliest = rs.getObject("earliest", LocalDateTime.class);
        return earliest == null ? null : JobRows.fromColumn(earliest);
    }

    /**
     * The requested queues a claim without limits may look at: all of them where the claim is one
     * statement, which itself leaves out the paused and limited ones, else those neither paused nor limited now (read
     * in the claim's own transaction).
     */
    private List<String> requestedQueues(Handle h, Set<String> queues) {
        if (dialect.claimsInOneStatement()) {
            return List.copyOf(queues);
        }
        Set<String> held = Set.copyOf(
                h.createQuery(statements.get("held-queues")).mapTo(String.class).list());
        return queues.stream().filter(q -> !held.contains(q)).toList();
    }

    /**
     * A queue's claimable jobs in claim order, from the claim index alone: the row value after
     * {@code after} starts the page, so each page is a walk of the index from where the last ended
     * (PostgreSQL takes it as a range; the others filter, which a pass at a minute's interval can
     * afford).
     */
    List<ClaimPlace> claimOrder(String queue, Optional<ClaimPlace> after, int limit) {
        JobClaims.requireClaimOrderLimit(limit);
        String sql = statements.get(after.isPresent() ? "claim-order-after" : "claim-order");
        return tx.inTransaction(h -> {
            Query query = h.createQuery(sql).bind("queue", queue).bind("limit", limit);
            after.ifPresent(place ->
                    bindPlace(query, "after", new ClaimFloors.Key(place.priority(), place.runAt(), place.id())));
            return query.map((rs, ctx) -> new ClaimPlace(
                            UUID.fromString(rs.getString("id")), rs.getInt("priority"), JobRows.instant(rs, "run_at")))
                    .list();
        });
    }
}
