package dev.jobs.store.jdbc;

import dev.jobs.core.Job;
import dev.jobs.core.spi.AcquireRequest;
import dev.jobs.core.spi.ClaimPlace;
import dev.jobs.core.spi.JobIds;
import dev.jobs.core.spi.JobTransitions;
import dev.jobs.core.spi.QueueAllowance;
import dev.jobs.core.spi.StartBucket;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.statement.Query;

/**
 * Leases claimable jobs to workers: from the queues without limits in one statement where the
 * dialect can, then from limited queues within their limits; says when the next job of some queues
 * becomes claimable, and pages through a queue's claim order. Thread-safe.
 */
final class Claims {
    /**
     * The jobs a claim takes ({@code SELECT} and the columns go in front; {@code <claimable_now>} is
     * the dialect's {@link SqlDialect#claimable} and {@code <requested>} the queue condition, {@link
     * #requested}): claimable, due, on the requested queues that are not
     * paused; lowest priority number, then earliest runAt, then oldest id. {@code SKIP LOCKED} lets
     * concurrent workers take disjoint rows instead of waiting on each other. The claim index (partial
     * on PostgreSQL, state-led elsewhere) serves the filter and the order, so the plan is an index
     * range scan over live work that stops after {@code :max} rows, however much history the table
     * holds.
     */
    private static final String CLAIM_CANDIDATES = " FROM <job>"
            + " WHERE <claimable_now> AND <requested> AND run_at <= :now"
            + " ORDER BY <claim_order> LIMIT :max";

    /**
     * The limit rows of the requested queues ({@code <queues>}) that are not paused: the limited
     * queues a claim or a look for work deals with.
     */
    private static final String REQUESTED_LIMITED_QUEUES = "SELECT * FROM <queue_limit> WHERE queue IN (<queues>)"
            + " AND queue NOT IN (SELECT queue FROM <paused_queue>)";

    /** Jobs at or past a {@link ClaimFloors floor} of the claim order (bound by {@link #bindFloor}). */
    private static final String FROM_FLOOR =
            " AND (priority, run_at, id) >= (:floor_priority, :floor_run_at, :floor_id)";

    /** Jobs after a place in the claim order (bound as a floor is), for paging through it. */
    private static final String PAST_PLACE =
            " AND (priority, run_at, id) > (:floor_priority, :floor_run_at, :floor_id)";

    /** {@link #CLAIM_CANDIDATES}, starting at a {@link ClaimFloors floor} of the claim order. */
    private static final String CLAIM_CANDIDATES_FROM_FLOOR =
            CLAIM_CANDIDATES.replace(" AND run_at <= :now", " AND run_at <= :now" + FROM_FLOOR);

    /** {@link #CLAIM_CANDIDATES}, only among the ids a dispatch queue handed out ({@code :ids}). */
    private static final String CLAIM_CANDIDATES_AMONG_IDS =
            CLAIM_CANDIDATES.replace(" AND run_at <= :now", " AND run_at <= :now AND id IN (<ids>)");

    private static final Comparator<Job> CLAIM_ORDER =
            Comparator.comparingInt(Job::priority).thenComparing(Job::runAt).thenComparing(Job::id, JobIds.ORDER);

    private final Transactions tx;
    private final SqlDialect dialect;
    private final JobRows rows;
    private final JobTable table;
    private final ClaimFloors claimFloors;
    private final Outcomes outcomes;

    /**
     * A job's queue is one of {@code <queues>}, not paused and without limits: in the statement
     * where the dialect can say it so that a paused queue's backlog is never scanned, else {@code
     * queue IN (<queues>)} after the store has taken those queues out of the request.
     */
    private final String requested;

    private final boolean storeSkipsHeldQueues;

    Claims(
            Transactions tx,
            SqlDialect dialect,
            JobRows rows,
            JobTable table,
            ClaimFloors claimFloors,
            Outcomes outcomes) {
        this.tx = tx;
        this.dialect = dialect;
        this.rows = rows;
        this.table = table;
        this.claimFloors = claimFloors;
        this.outcomes = outcomes;
        this.requested = dialect.requestedOpenQueues().orElse("queue IN (<queues>)");
        this.storeSkipsHeldQueues = dialect.requestedOpenQueues().isEmpty();
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
        List<Job> limited = claimFromLimitedQueues(request, request.maxJobs() - open.size(), candidates);
        if (limited.isEmpty()) {
            return open;
        }
        var all = new ArrayList<Job>(open);
        all.addAll(limited);
        return all;
    }

    /** Leases jobs of the request's queues that are neither paused nor limited, in one round trip where the dialect can. */
    private List<Job> claimFromOpenQueues(AcquireRequest request, Optional<List<UUID>> candidates) {
        // A claim in one statement has committed by the time its rows are read, so a row it cannot
        // read is set aside and mended after, rather than failing the claim of the others.
        var unreadable = new ArrayList<UnreadableRow>();
        HandleCallback<List<Job>, RuntimeException> work = h -> {
            unreadable.clear();
            List<String> queues = requestedQueues(h, request.queues());
            if (queues.isEmpty()) {
                return List.of();
            }
            long startedNanos = System.nanoTime();
            Optional<String> flooredQueue = claimFloors.floorable(queues, candidates.isPresent());
            Optional<ClaimFloors.Key> floor = flooredQueue.flatMap(q -> claimFloors.start(q, startedNanos));
            String from = claimCandidates(
                    candidates.isPresent()
                            ? CLAIM_CANDIDATES_AMONG_IDS
                            : floor.isPresent() ? CLAIM_CANDIDATES_FROM_FLOOR : CLAIM_CANDIDATES,
                    queues);
            Optional<String> oneStatement = dialect.claimInOneStatement(from);
            Instant now = tx.now();
            Duration lease = request.leaseDuration().truncatedTo(ChronoUnit.MICROS);
            Query query = h.createQuery(oneStatement.orElse("SELECT *" + from + " " + dialect.skipLocked()))
                    .bindList("queues", queues)
                    .bind("now", JobRows.toColumn(now))
                    .bind("max", request.maxJobs());
            candidates.ifPresent(
                    ids -> query.bindList("ids", ids.stream().map(dialect::uuid).toList()));
            bindFloor(query, floor);
            if (oneStatement.isPresent()) {
                List<Job> claimed = query
                        .bind("worker", request.workerId())
                        .bind("expires", JobRows.toColumn(now.plus(lease)))
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
                        q, floor, Duration.ofNanos(System.nanoTime() - startedNanos), claimed, startedNanos));
                return claimed;
            }
            List<Job> claimable = query.map((rs, ctx) -> rows.read(rs)).list();
            var acquired = new ArrayList<Job>(claimable.size());
            for (Job job : claimable) {
                acquired.add(JobTransitions.acquired(job, request.workerId(), UUID.randomUUID(), lease, now));
            }
            table.writeAll(h, acquired);
            return acquired;
        };
        // A claim in one statement commits on its own: no transaction to open and end around it.
        List<Job> claimed =
                dialect.claimInOneStatement("").isPresent() ? tx.inOneStatement(work) : tx.inTransaction(work);
        unreadable.forEach(outcomes::mend);
        return claimed;
    }

    /**
     * Leases up to {@code max} jobs of the request's limited queues, within their limits. The
     * queues' limit rows are locked first (in name order, so that claims on several cannot deadlock):
     * claims on a limited queue take turns, so each one's count of the running jobs holds until it
     * commits, whichever engine makes it. A quick look without a transaction comes first, so that
     * claims on stores without limits pay one primary-key probe and nothing more.
     */
    private List<Job> claimFromLimitedQueues(AcquireRequest request, int max, Optional<List<UUID>> candidates) {
        List<String> requested = List.copyOf(new TreeSet<>(request.queues()));
        boolean anyLimited = tx.inOneStatement(
                        h -> h.createQuery("SELECT queue FROM <queue_limit> WHERE queue IN (<queues>)")
                                .bindList("queues", requested)
                                .mapTo(String.class)
                                .findFirst())
                .isPresent();
        if (!anyLimited) {
            return List.of();
        }
        return tx.inTransaction(h -> {
            Instant now = tx.now();
            List<LimitRow> limited = h.createQuery(REQUESTED_LIMITED_QUEUES + " ORDER BY queue FOR UPDATE")
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
                    h.createUpdate(
                                    "UPDATE <queue_limit> SET tokens = :tokens, tokens_at = :tokens_at WHERE queue = :queue")
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
            Query query = h.createQuery("SELECT *" + limitedCandidates(candidates.isPresent(), saturated) + " "
                            + dialect.skipLocked())
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

    /** The candidates of a claim on one limited queue, without the jobs of {@code saturated} keys. */
    private String limitedCandidates(boolean amongIds, Set<String> saturated) {
        return (amongIds ? CLAIM_CANDIDATES_AMONG_IDS : CLAIM_CANDIDATES)
                .replace("<claimable_now>", dialect.claimable())
                .replace("<requested>", "queue IN (<queues>)")
                .replace("<claim_order>", dialect.claimOrder(true))
                .replace(" AND run_at <= :now", " AND run_at <= :now" + keysAllowed(saturated));
    }

    /** Leaves out jobs of the {@code saturated} keys (bound as {@code <saturated>}); jobs without a key stay in. */
    private static String keysAllowed(Set<String> saturated) {
        return saturated.isEmpty() ? "" : " AND (concurrency_key IS NULL OR concurrency_key NOT IN (<saturated>))";
    }

    /** What a limited queue lets a claim start now: its limits, its bucket and its running jobs. */
    QueueAllowance allowance(Handle h, LimitRow row, Instant now) {
        // The lease index holds exactly the running jobs, however large the backlog.
        var runningPerKey = h.createQuery("SELECT concurrency_key, COUNT(*) AS running FROM <job>"
                        + " WHERE state = 'RUNNING' AND lease_expires_at IS NOT NULL AND queue = :queue"
                        + " GROUP BY concurrency_key")
                .bind("queue", row.queue())
                .map((rs, ctx) -> Map.entry(Optional.ofNullable(rs.getString("concurrency_key")), rs.getInt("running")))
                .list();
        var runningByKey = new HashMap<String, Integer>();
        runningPerKey.forEach(entry -> entry.getKey().ifPresent(key -> runningByKey.put(key, entry.getValue())));
        int running = runningPerKey.stream().mapToInt(Map.Entry::getValue).sum();
        return new QueueAllowance(row.limits(), Optional.of(row.bucket()), running, runningByKey, now);
    }

    void bindFloor(Query query, Optional<ClaimFloors.Key> floor) {
        floor.ifPresent(key -> query.bind("floor_priority", key.priority())
                .bind("floor_run_at", JobRows.toColumn(key.runAt()))
                .bind("floor_id", dialect.uuid(key.id())));
    }

    /** A claim's candidate query with this dialect's claimable condition, queue condition and order. */
    private String claimCandidates(String template, List<String> queues) {
        return template.replace("<claimable_now>", dialect.claimable())
                .replace("<requested>", requested)
                .replace("<claim_order>", dialect.claimOrder(queues.size() == 1));
    }

    /**
     * The database's plan for the candidate query of a claim on one queue, one line per element, for
     * tests that hold the claim to walking its index in order instead of sorting the backlog.
     */
    List<String> explainClaim(String queue, int max) {
        String candidates = claimCandidates(CLAIM_CANDIDATES, List.of(queue));
        return tx.inTransaction(h -> QueryPlans.planOf(h.createQuery("EXPLAIN SELECT id" + candidates)
                .bindList("queues", List.of(queue))
                .bind("now", JobRows.toColumn(tx.now()))
                .bind("max", max)));
    }

    /**
     * The database's plan for a whole claim on one queue, as the store runs it (in one statement
     * where the dialect has one), for tests that hold it to its indexes on tables never analysed.
     */
    List<String> explainClaimStatement(String queue, int max) {
        String candidates = claimCandidates(CLAIM_CANDIDATES, List.of(queue));
        String claim =
                dialect.claimInOneStatement(candidates).orElse("SELECT *" + candidates + " " + dialect.skipLocked());
        Instant now = tx.now();
        return tx.inTransaction(h -> {
            Query explain = h.createQuery("EXPLAIN " + claim)
                    .bindList("queues", List.of(queue))
                    .bind("now", JobRows.toColumn(now))
                    .bind("max", max);
            if (dialect.claimInOneStatement("").isPresent()) {
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
            Optional<Instant> earliest = Optional.empty();
            List<String> open = requestedQueues(h, queues);
            if (!open.isEmpty()) {
                Optional<ClaimFloors.Key> floor =
                        claimFloors.floorable(open, false).flatMap(claimFloors::current);
                String claimable = " FROM <job> WHERE " + dialect.claimable() + " AND " + requested
                        + (floor.isPresent() ? FROM_FLOOR : "");
                Query query = earliestClaimable(h, claimable, now).bindList("queues", open);
                bindFloor(query, floor);
                earliest = query.map((rs, ctx) -> readEarliest(rs)).findOne();
            }
            List<LimitRow> limited = h.createQuery(REQUESTED_LIMITED_QUEUES)
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
                String claimable = " FROM <job> WHERE " + dialect.claimable() + " AND queue IN (<queues>)"
                        + keysAllowed(saturated);
                Query query = earliestClaimable(h, claimable, now).bindList("queues", List.of(row.queue()));
                if (!saturated.isEmpty()) {
                    query.bindList("saturated", List.copyOf(saturated));
                }
                Optional<Instant> next = query.map((rs, ctx) -> readEarliest(rs))
                        .findOne()
                        .map(runAt -> runAt.isAfter(start.get()) ? runAt : start.get());
                if (next.isPresent() && (earliest.isEmpty() || next.get().isBefore(earliest.get()))) {
                    earliest = next;
                }
            }
            return earliest;
        });
    }

    /** Now if a job of {@code claimable} (a {@code FROM … WHERE …}) is due, else the earliest runAt among them. */
    private static Query earliestClaimable(Handle h, String claimable, Instant now) {
        return h.createQuery("SELECT CASE WHEN EXISTS (SELECT 1" + claimable + " AND run_at <= :now)"
                        + " THEN :now ELSE (SELECT MIN(run_at)" + claimable + ") END AS earliest")
                .bind("now", JobRows.toColumn(now));
    }

    private static Instant readEarliest(ResultSet rs) throws SQLException {
        LocalDateTime earliest = rs.getObject("earliest", LocalDateTime.class);
        return earliest == null ? null : JobRows.fromColumn(earliest);
    }

    /**
     * The requested queues a claim without limits may look at: all of them where the statement
     * itself leaves out the paused and limited ones, else those neither paused nor limited now (read
     * in the claim's own transaction).
     */
    private List<String> requestedQueues(Handle h, Set<String> queues) {
        if (!storeSkipsHeldQueues) {
            return List.copyOf(queues);
        }
        Set<String> held =
                Set.copyOf(h.createQuery("SELECT queue FROM <paused_queue> UNION SELECT queue FROM <queue_limit>")
                        .mapTo(String.class)
                        .list());
        return queues.stream().filter(q -> !held.contains(q)).toList();
    }

    /**
     * A queue's claimable jobs in claim order, from the claim index alone: the row value after
     * {@code after} starts the page, so each page is a walk of the index from where the last ended
     * (PostgreSQL takes it as a range; the others filter, which a pass at a minute's interval can
     * afford).
     */
    List<ClaimPlace> claimOrder(String queue, Optional<ClaimPlace> after, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, was " + limit);
        }
        String sql = "SELECT id, priority, run_at FROM <job> WHERE " + dialect.claimable() + " AND queue = :queue"
                + (after.isPresent() ? PAST_PLACE : "")
                + " ORDER BY " + dialect.claimOrder(true) + " LIMIT :limit";
        return tx.inTransaction(h -> {
            Query query = h.createQuery(sql).bind("queue", queue).bind("limit", limit);
            bindFloor(query, after.map(place -> new ClaimFloors.Key(place.priority(), place.runAt(), place.id())));
            return query.map((rs, ctx) -> new ClaimPlace(
                            UUID.fromString(rs.getString("id")), rs.getInt("priority"), JobRows.instant(rs, "run_at")))
                    .list();
        });
    }
}
