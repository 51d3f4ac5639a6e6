package dev.jobs.store.jdbc;

import dev.jobs.core.StoppedWorker;
import dev.jobs.core.WorkerInfo;
import dev.jobs.core.spi.DeadWorker;
import dev.jobs.core.spi.LapsedLeasePolicy;
import dev.jobs.core.spi.support.JobLifecycle;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.Query;

/**
 * The workers that registered, each held by its owner: their heartbeats, the ones declared dead
 * (their jobs taken back), stopped (their jobs handed back) or removed. Thread-safe.
 */
final class WorkerRegistry {
    private final Transactions tx;
    private final JobTable table;

    WorkerRegistry(Transactions tx, JobTable table) {
        this.tx = tx;
        this.table = table;
    }

    void registerWorker(WorkerInfo worker) {
        tx.inTransaction(h -> {
            JobLifecycle.registerWorker(table.in(h, tx.now()), worker);
            return null;
        });
    }

    void removeWorker(String workerId) {
        tx.inTransaction(h -> h.createUpdate("DELETE FROM <worker> WHERE id = :id")
                .bind("id", workerId)
                .execute());
    }

    List<WorkerInfo> workers() {
        return tx.inTransaction(h -> h.createQuery("SELECT * FROM <worker> ORDER BY id")
                .map((rs, ctx) -> readWorker(rs))
                .list());
    }

    /** The registry's first page, in id order. */
    private static final String FIRST_PAGE = "SELECT * FROM <worker> ORDER BY id LIMIT :limit";

    /** The registry's page after the worker {@code :after}, in id order. */
    private static final String PAGE_AFTER = "SELECT * FROM <worker> WHERE id > :after ORDER BY id LIMIT :limit";

    List<WorkerInfo> workers(Optional<String> after, int limit) {
        return tx.inOneStatement(h -> {
            Query query =
                    h.createQuery(after.isPresent() ? PAGE_AFTER : FIRST_PAGE).bind("limit", limit);
            after.ifPresent(id -> query.bind("after", id));
            return query.map((rs, ctx) -> readWorker(rs)).list();
        });
    }

    Optional<WorkerInfo> worker(String id) {
        return tx.inOneStatement(h -> h.createQuery("SELECT * FROM <worker> WHERE id = :id")
                .bind("id", id)
                .map((rs, ctx) -> readWorker(rs))
                .findOne());
    }

    List<DeadWorker> reapDeadWorkers(LapsedLeasePolicy policy) {
        return tx.inTransaction(h -> JobLifecycle.reapDeadWorkers(table.in(h, tx.now()), policy));
    }

    Optional<StoppedWorker> stopWorker(String workerId) {
        return tx.inTransaction(h -> JobLifecycle.stopWorker(table.in(h, tx.now()), workerId));
    }

    // ---- the registry's rows, as core's use cases lock and change them (JdbcTransaction) ----

    static Optional<WorkerInfo> lock(Handle h, String workerId) {
        return h.createQuery("SELECT * FROM <worker> WHERE id = :id FOR UPDATE")
                .bind("id", workerId)
                .map((rs, ctx) -> readWorker(rs))
                .findOne();
    }

    /** Inserts the worker unless its id has an entry; a concurrent insert of the id is waited for. */
    static boolean insertIfAbsent(Handle h, SqlStatements inserts, WorkerInfo worker) {
        return h.createUpdate(inserts.get("insert-worker"))
                        .bindMap(workerColumns(worker))
                        .bind("key", worker.id())
                        .execute()
                == 1;
    }

    /** A worker reporting in: every column rewritten, alive again ({@code died_at} and {@code stopped_at} cleared). */
    static void update(Handle h, WorkerInfo worker) {
        h.createUpdate("UPDATE <worker> SET owner = :owner, host = :host, queues = :queues,"
                        + " concurrency = :concurrency, running = :running, started_at = :started_at,"
                        + " last_heartbeat_at = :last_heartbeat_at, expires_at = :expires_at, died_at = NULL,"
                        + " stopped_at = NULL WHERE id = :id")
                .bindMap(workerColumns(worker))
                .execute();
    }

    /**
     * Live workers past their expiry, locked in id order. SKIP LOCKED: instances reaping at once take
     * disjoint workers, and a worker's row is marked dead by the one transaction that locked it.
     */
    static List<WorkerInfo> lockExpired(Handle h, Instant now) {
        return h.createQuery(
                        "SELECT * FROM <worker> WHERE died_at IS NULL AND stopped_at IS NULL AND expires_at <= :now"
                                + " ORDER BY id FOR UPDATE SKIP LOCKED")
                .bind("now", JobRows.toColumn(now))
                .map((rs, ctx) -> readWorker(rs))
                .list();
    }

    /** Conditional too, for a database that waited on the lock and read the row as it was. */
    static boolean declareDead(Handle h, String workerId, Instant now) {
        return h.createUpdate(
                                "UPDATE <worker> SET died_at = :now WHERE id = :id AND died_at IS NULL AND stopped_at IS NULL")
                        .bind("now", JobRows.toColumn(now))
                        .bind("id", workerId)
                        .execute()
                > 0;
    }

    static void forgetSilent(Handle h, String workerId, Instant now) {
        h.createUpdate("DELETE FROM <worker> WHERE id = :id AND died_at IS NULL AND stopped_at IS NULL"
                        + " AND expires_at <= :now")
                .bind("id", workerId)
                .bind("now", JobRows.toColumn(now))
                .execute();
    }

    static Optional<WorkerInfo> markStopped(Handle h, String workerId, Instant now) {
        h.createUpdate("UPDATE <worker> SET stopped_at = :now WHERE id = :id AND stopped_at IS NULL")
                .bind("now", JobRows.toColumn(now))
                .bind("id", workerId)
                .execute();
        return h.createQuery("SELECT * FROM <worker> WHERE id = :id")
                .bind("id", workerId)
                .map((rs, ctx) -> readWorker(rs))
                .findOne();
    }

    int removeWorkersSilentSince(Instant cutoff) {
        return tx.inTransaction(h -> h.createUpdate("DELETE FROM <worker> WHERE last_heartbeat_at < :cutoff")
                .bind("cutoff", JobRows.toColumn(cutoff))
                .execute());
    }

    /** A row of the worker registry. */
    private static WorkerInfo readWorker(ResultSet rs) throws SQLException {
        String queues = rs.getString("queues");
        return new WorkerInfo(
                rs.getString("id"),
                rs.getString("owner"),
                rs.getString("host"),
                queues.isEmpty() ? Set.of() : Set.of(queues.split(",")),
                rs.getInt("concurrency"),
                rs.getInt("running"),
                JobRows.instant(rs, "started_at"),
                JobRows.instant(rs, "last_heartbeat_at"),
                JobRows.instant(rs, "expires_at"),
                Optional.ofNullable(JobRows.optionalInstant(rs, "died_at")),
                Optional.ofNullable(JobRows.optionalInstant(rs, "stopped_at")));
    }

    /** The registry columns of a worker reporting in (alive, so no {@code died_at}). */
    private static Map<String, Object> workerColumns(WorkerInfo worker) {
        return Map.of(
                "id", worker.id(),
                "owner", worker.owner(),
                "host", worker.host(),
                "queues", String.join(",", new TreeSet<>(worker.queues())),
                "concurrency", worker.concurrency(),
                "running", worker.running(),
                "started_at", JobRows.toColumn(worker.startedAt()),
                "last_heartbeat_at", JobRows.toColumn(worker.lastHeartbeatAt()),
                "expires_at", JobRows.toColumn(worker.expiresAt()));
    }
}
