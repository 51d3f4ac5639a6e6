package dev.jobs.store.jdbc;

import dev.jobs.core.Job;
import dev.jobs.core.JobState;
import dev.jobs.core.spi.JobTransaction.Dependent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.PreparedBatch;

/**
 * The job table's rows, read, locked and written: every change of a job goes through {@link #write},
 * which counts the jobs entering or leaving a final state, gives a finished job's unique key up, and
 * wakes idle workers for the jobs it makes claimable. Thread-safe.
 */
final class JobTable {
    private final SqlDialect dialect;
    private final JobRows rows;
    private final FinishedCounts finishedCounts;
    private final ClaimFloors claimFloors;
    private final JobKeys keys;
    private final String channel;
    private final ClaimRows claimRows;

    /** Every column of a job rewritten, by id ({@code sql/jobs.sql}). */
    private final String updateJob;

    /** One job's row, for a JDBC batch of inserts ({@code sql/jobs.sql}). */
    private final String insertJob;

    /** A batch of rows inserted and announced in one statement, where the database can. */
    private final Optional<String> insertJobsAndAnnounce;

    private final DurableWorkRows steps;

    JobTable(
            SqlDialect dialect,
            SqlStatements jobStatements,
            JobRows rows,
            FinishedCounts finishedCounts,
            ClaimFloors claimFloors,
            JobKeys keys,
            ClaimRows claimRows,
            DurableWorkRows steps,
            String channel) {
        this.dialect = dialect;
        this.rows = rows;
        this.finishedCounts = finishedCounts;
        this.claimFloors = claimFloors;
        this.keys = keys;
        this.channel = channel;
        this.claimRows = claimRows;
        this.steps = steps;
        this.updateJob = jobStatements.get("update-job");
        this.insertJob = jobStatements.get("insert-job");
        this.insertJobsAndAnnounce = jobStatements.find("insert-jobs-and-announce");
    }

    Optional<Job> find(Handle h, UUID id) {
        return h.createQuery("SELECT * FROM <job> WHERE id = :id")
                .bind("id", dialect.uuid(id))
                .map((rs, ctx) -> rows.read(rs))
                .findOne();
    }

    /** The job, its row locked until the transaction ends. */
    Optional<Job> lock(Handle h, UUID id) {
        return h.createQuery("SELECT * FROM <job> WHERE id = :id FOR UPDATE")
                .bind("id", dialect.uuid(id))
                .map((rs, ctx) -> rows.read(rs))
                .findOne();
    }

    /** Core's view of the transaction {@code h} is in ({@link JdbcTransaction}), at the store's {@code now}. */
    JdbcTransaction in(Handle h, Instant now) {
        return new JdbcTransaction(h, now, this, keys, claimRows, steps);
    }

    /** These jobs as they are, not locked; those that do not exist are left out. */
    Map<UUID, Job> read(Handle h, Collection<UUID> ids) {
        return byId(h, "SELECT * FROM <job> WHERE id IN (<ids>)", ids);
    }

    /** The jobs that depend on {@code parentId}, locked, in id order, with their unfinished dependencies. */
    List<Dependent> lockDependents(Handle h, UUID parentId) {
        return h.createQuery("SELECT * FROM <job> WHERE id IN"
                        + " (SELECT job_id FROM <dependency> WHERE depends_on_id = :parent) ORDER BY id FOR UPDATE")
                .bind("parent", dialect.uuid(parentId))
                .map((rs, ctx) -> new Dependent(rows.read(rs), rs.getInt("pending_dependencies")))
                .list();
    }

    /**
     * The jobs a worker is running, locked. Rows another transaction changed while this one waited
     * for their lock (a lease reclaimer that got there first) are read as they now are and left out.
     */
    List<Job> lockRunningJobsOf(Handle h, String workerId) {
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

    void setPendingDependencies(Handle h, UUID id, int count) {
        h.createUpdate("UPDATE <job> SET pending_dependencies = :count WHERE id = :id")
                .bind("count", count)
                .bind("id", dialect.uuid(id))
                .execute();
    }

    /** These jobs, their rows locked in id order until the transaction ends. */
    Map<UUID, Job> lockAll(Handle h, Collection<UUID> ids) {
        return byId(h, "SELECT * FROM <job> WHERE id IN (<ids>) ORDER BY id FOR UPDATE", ids);
    }

    private Map<UUID, Job> byId(Handle h, String sql, Collection<UUID> ids) {
        var found = new HashMap<UUID, Job>();
        if (!ids.isEmpty()) {
            h.createQuery(sql)
                    .bindList("ids", ids.stream().map(dialect::uuid).toList())
                    .map((rs, ctx) -> rows.read(rs))
                    .forEach(job -> found.put(job.id(), job));
        }
        return found;
    }

    /** Whether {@link #insert} writes and announces a batch in one statement, which may commit on its own. */
    boolean insertsInOneStatement() {
        return insertJobsAndAnnounce.isPresent();
    }

    /**
     * Inserts new jobs' rows, their dependency edges, and the flag on each unfinished parent that
     * its completion must walk its dependents; counts the new jobs, gives up the unique key of one
     * created final, and wakes idle workers for the claimable ones.
     */
    void insert(Handle h, List<Job> jobs, Map<UUID, Integer> unfinishedDependencies) {
        finishedCounts.created(jobs);
        if (insertJobsAndAnnounce.isPresent()) {
            var values = new ArrayList<Map<String, Object>>(jobs.size());
            for (Job job : jobs) {
                Map<String, Object> row = rows.values(job);
                row.put(JobRows.PENDING_DEPENDENCIES.name(), unfinishedDependencies.getOrDefault(job.id(), 0));
                values.add(row);
            }
            var columns = new ArrayList<>(JobRows.JOB_COLUMNS);
            columns.add(JobRows.PENDING_DEPENDENCIES);
            h.createQuery(insertJobsAndAnnounce.get())
                    .bind("rows", rows.rowsJson(values, columns))
                    .bind("channel", channel)
                    .map((rs, ctx) -> true)
                    .list();
            claimFloors.admitted(jobs);
        } else {
            PreparedBatch inserts = h.prepareBatch(insertJob);
            for (Job job : jobs) {
                rows.bind(inserts, job)
                        .bind(JobRows.PENDING_DEPENDENCIES.name(), unfinishedDependencies.getOrDefault(job.id(), 0))
                        .add();
            }
            inserts.execute();
            announceClaimable(h, jobs);
        }
        jobs.stream().filter(Job::isTerminal).forEach(job -> keys.releaseUniqueKey(h, job));
        insertEdges(h, jobs);
    }

    private void insertEdges(Handle h, List<Job> jobs) {
        PreparedBatch edges =
                h.prepareBatch("INSERT INTO <dependency> (job_id, depends_on_id) VALUES (:job_id, :depends_on_id)");
        for (Job job : jobs) {
            for (UUID dependency : job.dependsOn()) {
                edges.bind("job_id", dialect.uuid(job.id()))
                        .bind("depends_on_id", dialect.uuid(dependency))
                        .add();
            }
        }
        if (edges.size() == 0) {
            return;
        }
        edges.execute();
        // Under the lock of each unfinished parent (taken by the creation, or its row new in this
        // transaction): its completion reads the flag back from the row it updates.
        List<Object> parents = jobs.stream()
                .flatMap(job -> job.dependsOn().stream())
                .distinct()
                .map(dialect::uuid)
                .toList();
        h.createUpdate("UPDATE <job> SET has_dependents = TRUE WHERE id IN (<ids>) AND has_dependents = FALSE"
                        + " AND state NOT IN ('SUCCEEDED', 'FAILED', 'CANCELLED')")
                .bindList("ids", parents)
                .execute();
    }

    void write(Handle h, Job previous, Job next) {
        finishedCounts.changed(previous, next);
        writeAll(h, List.of(next));
        releaseUniqueKeyIfFinished(h, previous, next);
    }

    /** Rewrites jobs none of which enters or leaves a final state ({@link #write} counts those). */
    void writeAll(Handle h, List<Job> jobs) {
        if (jobs.isEmpty()) {
            return;
        }
        PreparedBatch updates = h.prepareBatch(updateJob);
        jobs.forEach(job -> rows.bind(updates, job).add());
        updates.execute();
        announceClaimable(h, jobs);
    }

    /**
     * Wakes idle workers of every process when these jobs are claimable (on databases that can),
     * and lowers this store's claim floors below them.
     */
    void announceClaimable(Handle h, List<Job> jobs) {
        claimFloors.admitted(jobs);
        Set<String> queues = jobs.stream()
                .filter(job -> job.state().isClaimable())
                .map(Job::queue)
                .collect(Collectors.toSet());
        if (!queues.isEmpty()) {
            dialect.notifyQueues(h, channel, queues);
        }
    }

    private void releaseUniqueKeyIfFinished(Handle h, Job previous, Job next) {
        if (!previous.isTerminal() && next.isTerminal()) {
            keys.releaseUniqueKey(h, next);
        }
    }
}
