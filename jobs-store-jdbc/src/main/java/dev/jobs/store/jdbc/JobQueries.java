package dev.jobs.store.jdbc;

import dev.jobs.core.FinishedInMinute;
import dev.jobs.core.Job;
import dev.jobs.core.JobPage;
import dev.jobs.core.JobQuery;
import dev.jobs.core.JobState;
import dev.jobs.core.QueueCounts;
import dev.jobs.core.QueueStats;
import dev.jobs.core.spi.StoreHealth;
import dev.jobs.core.spi.support.JobIds;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/**
 * What the store is asked about its jobs: one job, pages of them by filter, how many each queue
 * holds per state, throughput and run times, and the database's upkeep. Thread-safe.
 */
final class JobQueries {
    /** The states of jobs not yet finished, counted from the job table itself. */
    private static final List<String> LIVE = Arrays.stream(JobState.values())
            .filter(state -> !state.isTerminal())
            .map(Enum::name)
            .toList();

    private final Transactions tx;
    private final SqlDialect dialect;
    private final JobRows rows;
    private final JobTable table;
    private final QueueSettings settings;

    /** The database's {@code statistics} statements: live counts, queue statistics, finishes per minute. */
    private final SqlStatements statistics;

    /** The store's tables with their prefix, partitions included: the ones whose upkeep {@link #health} reports. */
    private final List<String> tables;

    private final Duration vacuumHeldBackAfter;

    JobQueries(
            Transactions tx,
            SqlDialect dialect,
            SqlStatements statistics,
            JobRows rows,
            JobTable table,
            QueueSettings settings,
            List<String> tables,
            Duration vacuumHeldBackAfter) {
        this.tx = tx;
        this.dialect = dialect;
        this.rows = rows;
        this.table = table;
        this.settings = settings;
        this.tables = List.copyOf(tables);
        this.vacuumHeldBackAfter = vacuumHeldBackAfter;
        this.statistics = statistics;
    }

    Optional<Job> get(UUID jobId) {
        return tx.inTransaction(h -> table.find(h, jobId));
    }

    /**
     * A page of jobs, newest first, after the cursor. The one statement of the store built from
     * parts: each of six filters is there only when the query asks for it (sixty-four whole
     * statements otherwise), and a filter left out costs the database nothing, where a neutral
     * condition in its place ({@code :any_state OR state IN …}) would keep it from using an index.
     */
    JobPage list(JobQuery query) {
        var sql = new StringBuilder("SELECT * FROM <job> WHERE 1 = 1");
        if (!query.states().isEmpty()) {
            sql.append(" AND state IN (<states>)");
        }
        if (!query.queues().isEmpty()) {
            sql.append(" AND queue IN (<queues>)");
        }
        if (!query.types().isEmpty()) {
            sql.append(" AND type IN (<types>)");
        }
        query.since().ifPresent(s -> sql.append(" AND created_at >= :since"));
        query.dependsOn()
                .ifPresent(
                        p -> sql.append(" AND id IN (SELECT job_id FROM <dependency> WHERE depends_on_id = :parent)"));
        Optional<UUID> cursor = query.cursor().map(JobIds::cursorId);
        cursor.ifPresent(c -> sql.append(" AND id < :cursor"));
        sql.append(" ORDER BY id DESC LIMIT :limit");
        List<Job> found = tx.inTransaction(h -> {
            var statement = h.createQuery(sql.toString()).bind("limit", query.limit() + 1);
            if (!query.states().isEmpty()) {
                statement.bindList(
                        "states", query.states().stream().map(Enum::name).toList());
            }
            if (!query.queues().isEmpty()) {
                statement.bindList("queues", List.copyOf(query.queues()));
            }
            if (!query.types().isEmpty()) {
                statement.bindList("types", List.copyOf(query.types()));
            }
            query.since().ifPresent(s -> statement.bind("since", JobRows.toColumn(s)));
            query.dependsOn().ifPresent(p -> statement.bind("parent", dialect.uuid(p)));
            cursor.ifPresent(c -> statement.bind("cursor", dialect.uuid(c)));
            return statement.map((rs, ctx) -> rows.read(rs)).list();
        });
        boolean more = found.size() > query.limit();
        List<Job> page = more ? found.subList(0, query.limit()) : found;
        return JobIds.page(page, more);
    }

    List<QueueCounts> counts() {
        return tx.inTransaction(h -> {
            // Live jobs counted (on PostgreSQL in the live partition alone), finished ones summed from
            // their running totals: the work grows with the jobs in hand, not with the history.
            Map<String, Map<JobState, Long>> byQueue = FinishedCounts.read(h);
            h.createQuery(statistics.get("live-counts"))
                    .bindList("live", LIVE)
                    .map((rs, ctx) -> {
                        byQueue.computeIfAbsent(rs.getString("queue"), q -> new EnumMap<>(JobState.class))
                                .put(JobState.valueOf(rs.getString("state")), rs.getLong("n"));
                        return null;
                    })
                    .list();
            Set<String> paused = settings.pausedQueues(h);
            paused.forEach(q -> byQueue.computeIfAbsent(q, name -> new EnumMap<>(JobState.class)));
            return byQueue.entrySet().stream()
                    .map(e -> new QueueCounts(e.getKey(), e.getValue(), paused.contains(e.getKey())))
                    .toList();
        });
    }

    List<QueueStats> queueStats(Instant finishedSince) {
        return tx.inTransaction(h -> {
            var byQueue = new TreeMap<String, QueueStats>();
            h.createQuery(statistics.get("queue-stats"))
                    .bind("since", JobRows.toColumn(finishedSince))
                    .map((rs, ctx) -> {
                        long n = rs.getLong("n");
                        double runMs = rs.getDouble("run_ms");
                        Optional<Duration> run = rs.wasNull()
                                ? Optional.empty()
                                : Optional.of(Duration.ofNanos(Math.round(runMs * 1_000_000)));
                        boolean succeeded = rs.getString("state").equals("SUCCEEDED");
                        var row = new QueueStats(rs.getString("queue"), succeeded ? n : 0, succeeded ? 0 : n, run);
                        byQueue.merge(row.queue(), row, JobQueries::combine);
                        return row;
                    })
                    .list();
            return List.copyOf(byQueue.values());
        });
    }

    List<FinishedInMinute> finishedPerMinute(Instant since) {
        return tx.inTransaction(h -> {
            var byMinute = new TreeMap<Instant, long[]>();
            h.createQuery(statistics.get("finished-per-minute"))
                    .bind("since", JobRows.toColumn(since))
                    .map((rs, ctx) -> {
                        Instant minute = JobRows.instant(rs, "finished_minute");
                        int column = rs.getString("state").equals("SUCCEEDED") ? 0 : 1;
                        byMinute.computeIfAbsent(minute, m -> new long[2])[column] += rs.getLong("n");
                        return minute;
                    })
                    .list();
            return byMinute.entrySet().stream()
                    .map(e -> new FinishedInMinute(e.getKey(), e.getValue()[0], e.getValue()[1]))
                    .toList();
        });
    }

    /** One queue's succeeded and failed rows as one, their mean run times weighted by count. */
    private static QueueStats combine(QueueStats a, QueueStats b) {
        long countA = a.succeeded() + a.failed();
        long countB = b.succeeded() + b.failed();
        Optional<Duration> run;
        if (a.averageRunTime().isEmpty() || b.averageRunTime().isEmpty()) {
            run = a.averageRunTime().or(b::averageRunTime);
        } else {
            double nanos = (a.averageRunTime().get().toNanos() * (double) countA
                            + b.averageRunTime().get().toNanos() * (double) countB)
                    / (countA + countB);
            run = Optional.of(Duration.ofNanos(Math.round(nanos)));
        }
        return new QueueStats(a.queue(), a.succeeded() + b.succeeded(), a.failed() + b.failed(), run);
    }

    /** The database's plan for counting the live jobs, for tests that hold it to leaving the history out. */
    List<String> explainLiveCounts() {
        return tx.inTransaction(h -> QueryPlans.planOf(
                h.createQuery("EXPLAIN " + statistics.get("live-counts")).bindList("live", LIVE)));
    }

    Optional<StoreHealth> health() {
        return tx.inOneStatement(h -> dialect.health(h, tables, vacuumHeldBackAfter));
    }
}
