package dev.jobs.store.jdbc;

import dev.jobs.core.Job;
import dev.jobs.core.JobState;
import dev.jobs.core.WorkerIdTakenException;
import dev.jobs.core.WorkerInfo;
import dev.jobs.core.spi.DeadWorker;
import dev.jobs.core.spi.JobStore.LapsedLeasePolicy;
import dev.jobs.core.spi.StoppedWorker;
import dev.jobs.core.spi.Transition;
import dev.jobs.core.spi.support.JobLifecycle;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
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
    private final JobRows rows;
    private final JobTable table;

    /** The database's {@code insert-if-absent} statements. */
    private final SqlStatements inserts;

    WorkerRegistry(Transactions tx, SqlStatements inserts, JobRows rows, JobTable table) {
        this.tx = tx;
        this.inserts = inserts;
        this.rows = rows;
        this.table = table;
    }

    void registerWorker(WorkerInfo worker) {
        tx.inTransaction(h -> {
            int updated = h.createUpdate("UPDATE <worker> SET owner = :owner, host = :host, queues = :queues,"
                            + " concurrency = :concurrency, running = :running, started_at = :started_at,"
                            + " last_heartbeat_at = :last_heartbeat_at, expires_at = :expires_at, died_at = NULL,"
                            + " stopped_at = NULL"
                            + " WHERE id = :id AND (owner = :owner OR owner = '' OR stopped_at IS NOT NULL)")
                    .bindMap(workerColumns(worker))
                    .execute();
            if (updated == 0) {
                h.createUpdate(inserts.get("insert-worker"))
                        .bindMap(workerColumns(worker))
                        .bind("key", worker.id())
                        .execute();
                // Inserted, or another owner's row was there all along (then nothing changed).
                String owner = h.createQuery("SELECT owner FROM <worker> WHERE id = :id")
                        .bind("id", worker.id())
                        .mapTo(String.class)
                        .findOne()
                        .orElse(worker.owner());
                if (!owner.equals(worker.owner())) {
                    throw new WorkerIdTakenException(worker.id());
                }
            }
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
        return tx.inTransaction(h -> {
            Instant now = tx.now();
            // SKIP LOCKED: instances reaping at once take disjoint workers, and a worker's row is
            // marked dead by the one transaction that locked it, so its jobs are taken back once.
            List<WorkerInfo> silent = h.createQuery(
                            "SELECT * FROM <worker> WHERE died_at IS NULL AND stopped_at IS NULL AND expires_at <= :now"
                                    + " ORDER BY id FOR UPDATE SKIP LOCKED")
                    .bind("now", JobRows.toColumn(now))
                    .map((rs, ctx) -> readWorker(rs))
                    .list();
            var reaped = new ArrayList<DeadWorker>();
            for (WorkerInfo worker : silent) {
                if (worker.remote() && lockRunningJobsOf(h, worker.id()).isEmpty()) {
                    h.createUpdate("DELETE FROM <worker> WHERE id = :id AND died_at IS NULL AND stopped_at IS NULL"
                                    + " AND expires_at <= :now")
                            .bind("id", worker.id())
                            .bind("now", JobRows.toColumn(now))
                            .execute();
                    continue;
                }
                // Conditional too, for a database that waited on the lock and read the row as it was.
                int declared = h.createUpdate("UPDATE <worker> SET died_at = :now"
                                + " WHERE id = :id AND died_at IS NULL AND stopped_at IS NULL")
                        .bind("now", JobRows.toColumn(now))
                        .bind("id", worker.id())
                        .execute();
                if (declared == 0) {
                    continue;
                }
                JdbcTransaction t = table.in(h, now);
                var reclaimed = new ArrayList<Transition>();
                for (Job job : lockRunningJobsOf(h, worker.id())) {
                    reclaimed.add(JobLifecycle.abandoned(t, job, worker.lastHeartbeatAt(), policy));
                }
                reaped.add(new DeadWorker(worker.declaredDeadAt(now), reclaimed));
            }
            return reaped;
        });
    }

    Optional<StoppedWorker> stopWorker(String workerId) {
        return tx.inTransaction(h -> {
            Instant now = tx.now();
            h.createUpdate("UPDATE <worker> SET stopped_at = :now WHERE id = :id AND stopped_at IS NULL")
                    .bind("now", JobRows.toColumn(now))
                    .bind("id", workerId)
                    .execute();
            Optional<WorkerInfo> worker = h.createQuery("SELECT * FROM <worker> WHERE id = :id")
                    .bind("id", workerId)
                    .map((rs, ctx) -> readWorker(rs))
                    .findOne();
            if (worker.isEmpty()) {
                return Optional.<StoppedWorker>empty();
            }
            JdbcTransaction t = table.in(h, now);
            var handedBack = new ArrayList<Job>();
            for (Job job : lockRunningJobsOf(h, workerId)) {
                handedBack.add(JobLifecycle.handBack(t, job));
            }
            return Optional.of(new StoppedWorker(worker.get(), handedBack));
        });
    }

    /**
     * The jobs a worker is running, locked. Rows another transaction changed while this one waited
     * for their lock (a lease reclaimer that got there first) are read as they now are and left out.
     */
    private List<Job> lockRunningJobsOf(Handle h, String workerId) {
        return h
                .createQuery(
                        "SELECT * FROM <job> WHERE state = 'RUNNING' AND lease_owner = :owner ORDER BY id FOR UPDATE")
                .bind("owner", workerId)
                .map((rs, ctx) -> rows.read(rs))
                .list()
                .stream()
                .filter(job -> job.state() == JobState.RUNNING
                        && job.leaseOwner().filter(workerId::equals).isPresent())
                .toList();
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
