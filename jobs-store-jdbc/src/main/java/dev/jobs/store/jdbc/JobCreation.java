package dev.jobs.store.jdbc;

import dev.jobs.core.Job;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobSpec;
import dev.jobs.core.JobState;
import dev.jobs.core.JobValidationException;
import dev.jobs.core.spi.DependencyRule;
import dev.jobs.core.spi.IdempotencyKey;
import dev.jobs.core.spi.JobTransitions;
import dev.jobs.core.spi.NewJob;
import dev.jobs.core.spi.support.DependencyCascade;
import java.sql.Connection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.PreparedBatch;

/**
 * Creates jobs: works out each new job's state from its dependencies (those in the batch, and
 * those stored, locked), takes its keys, and writes the batch in a few statements, or one where the
 * dialect can, in the store's transaction or the host's. Thread-safe.
 */
final class JobCreation {
    private final Transactions tx;
    private final SqlDialect dialect;
    private final JobRows rows;
    private final JobTable table;
    private final JobKeys keys;
    private final FinishedCounts finishedCounts;
    private final ClaimFloors claimFloors;
    private final String channel;

    /** One job's row, for a JDBC batch of inserts ({@code sql/jobs.sql}). */
    private final String insertJob;

    /** A batch of rows inserted and announced in one statement, where the database can. */
    private final Optional<String> insertJobsAndAnnounce;

    JobCreation(
            Transactions tx,
            SqlDialect dialect,
            SqlStatements jobStatements,
            JobRows rows,
            JobTable table,
            JobKeys keys,
            FinishedCounts finishedCounts,
            ClaimFloors claimFloors,
            String channel) {
        this.tx = tx;
        this.dialect = dialect;
        this.rows = rows;
        this.table = table;
        this.keys = keys;
        this.finishedCounts = finishedCounts;
        this.claimFloors = claimFloors;
        this.channel = channel;
        this.insertJob = jobStatements.get("insert-job");
        this.insertJobsAndAnnounce = jobStatements.find("insert-jobs-and-announce");
    }

    List<Job> create(List<NewJob> batch) {
        if (insertJobsAndAnnounce.isPresent() && batch.stream().allMatch(JobCreation::standsAlone)) {
            // Jobs with no dependencies and no keys are written, and announced, by createOn's one
            // statement, which commits on its own: a single round trip for a single job.
            return tx.inOneStatement(h -> createOn(h, batch));
        }
        return tx.inTransaction(h -> createOn(h, batch));
    }

    /** A new job that reads nothing else and holds no key, so creating it needs no locks. */
    private static boolean standsAlone(NewJob job) {
        return job.dependsOn().isEmpty()
                && job.uniqueKey().isEmpty()
                && job.idempotencyKey().isEmpty();
    }

    /**
     * Creates jobs inside the host's own transaction on {@code connection}: they exist only if the
     * host commits it. Idle workers hear of them when it does (on PostgreSQL through NOTIFY, which is
     * sent on commit); elsewhere they find them at their next poll. The connection is left open and
     * its transaction untouched.
     *
     * @param engine validates the specs and gives them ids, as {@link JobEngine#enqueueAll} would
     * @throws JobValidationException naming every rejected field; nothing is written
     */
    List<Job> enqueueIn(Connection connection, JobEngine engine, List<JobSpec> specs) {
        List<NewJob> prepared = engine.prepare(specs);
        return tx.onHostConnection(connection, h -> createOn(h, prepared));
    }

    /**
     * Works out every new job's final state in memory (dependencies inside the batch, or locked
     * outside it), then writes the batch in a few batched statements.
     */
    List<Job> createOn(Handle h, List<NewJob> batch) {
        Instant now = tx.now();
        // Locking the existing dependencies keeps any of them from finishing unseen while this
        // transaction adds edges it could not yet find (its cascade waits for our commit).
        Map<UUID, Job> known = table.lockAll(h, DependencyRule.outsideDependencies(batch));
        DependencyRule.requireKnownDependencies(batch, known::containsKey);
        // Checked before any write, since a host's transaction may commit whatever we leave.
        IdempotencyKey.requireMatching(batch, keys.heldIdempotencyKeys(h, batch));
        var resultIds = new ArrayList<UUID>(batch.size());
        var replacedBy = new HashMap<UUID, UUID>();
        var created = new LinkedHashMap<UUID, Job>();
        for (NewJob spec : batch) {
            Optional<UUID> holder = spec.idempotencyKey().flatMap(key -> keys.claimIdempotencyKey(h, key, spec.id()));
            if (holder.isEmpty()) {
                holder = spec.uniqueKey().flatMap(key -> keys.claimUniqueKey(h, key, spec.id()));
                // A repeat must get the job this request got, even after it frees its unique key.
                holder.ifPresent(
                        id -> spec.idempotencyKey().ifPresent(key -> keys.answerIdempotencyKeyWith(h, key, id)));
            }
            if (holder.isPresent()) {
                replacedBy.put(spec.id(), holder.get());
                // The holder is an earlier member of this batch, or a stored unfinished job.
                known.computeIfAbsent(
                        holder.get(),
                        id -> Optional.ofNullable(created.get(id))
                                .or(() -> table.find(h, id))
                                .orElseThrow());
                resultIds.add(holder.get());
                continue;
            }
            List<UUID> dependsOn = spec.dependsOn().stream()
                    .map(d -> replacedBy.getOrDefault(d, d))
                    .distinct()
                    .toList();
            created.put(
                    spec.id(), JobTransitions.created(spec.withRunAt(JobRows.micros(spec.runAt())), dependsOn, now));
            resultIds.add(spec.id());
        }
        known.putAll(created);
        settleNewJobs(created, known, now);

        if (!created.isEmpty()) {
            insertJobs(h, created.values(), known);
            created.values().stream().filter(Job::isTerminal).forEach(job -> keys.releaseUniqueKey(h, job));
        }
        PreparedBatch edges =
                h.prepareBatch("INSERT INTO <dependency> (job_id, depends_on_id) VALUES (:job_id, :depends_on_id)");
        for (Job job : created.values()) {
            for (UUID dependency : job.dependsOn()) {
                edges.bind("job_id", dialect.uuid(job.id()))
                        .bind("depends_on_id", dialect.uuid(dependency))
                        .add();
            }
        }
        if (edges.size() > 0) {
            edges.execute();
            // Under the lock of each unfinished parent (taken above, or its row new in this
            // transaction): its completion reads the flag back from the row it updates.
            List<Object> parents = created.values().stream()
                    .flatMap(job -> job.dependsOn().stream())
                    .distinct()
                    .filter(id -> known.get(id) == null || !known.get(id).isTerminal())
                    .map(dialect::uuid)
                    .toList();
            if (!parents.isEmpty()) {
                h.createUpdate("UPDATE <job> SET has_dependents = TRUE WHERE id IN (<ids>) AND has_dependents = FALSE")
                        .bindList("ids", parents)
                        .execute();
            }
        }
        return resultIds.stream().map(known::get).toList();
    }

    /**
     * Writes new jobs' rows and wakes idle workers for those that are claimable: in one statement
     * where the dialect can, else as one JDBC batch followed by the announcement.
     */
    private void insertJobs(Handle h, Collection<Job> jobs, Map<UUID, Job> known) {
        finishedCounts.created(jobs);
        if (insertJobsAndAnnounce.isPresent()) {
            var values = new ArrayList<Map<String, Object>>(jobs.size());
            for (Job job : jobs) {
                Map<String, Object> row = rows.values(job);
                row.put(JobRows.PENDING_DEPENDENCIES.name(), unfinished(job, known));
                values.add(row);
            }
            var columns = new ArrayList<>(JobRows.JOB_COLUMNS);
            columns.add(JobRows.PENDING_DEPENDENCIES);
            h.createQuery(insertJobsAndAnnounce.get())
                    .bind("rows", rows.rowsJson(values, columns))
                    .bind("channel", channel)
                    .map((rs, ctx) -> true)
                    .list();
            claimFloors.admitted(List.copyOf(jobs));
            return;
        }
        PreparedBatch inserts = h.prepareBatch(insertJob);
        for (Job job : jobs) {
            rows.bind(inserts, job)
                    .bind(JobRows.PENDING_DEPENDENCIES.name(), unfinished(job, known))
                    .add();
        }
        inserts.execute();
        table.announceClaimable(h, List.copyOf(jobs));
    }

    /**
     * Moves new pending jobs whose dependencies are already settled to their state, as {@link
     * DependencyRule} says. Repeats while a cancellation spreads, since a batch need not come in
     * dependency order.
     */
    private static void settleNewJobs(Map<UUID, Job> created, Map<UUID, Job> known, Instant now) {
        boolean changed = true;
        while (changed) {
            changed = false;
            for (Job job : List.copyOf(created.values())) {
                if (job.state() != JobState.PENDING) {
                    continue;
                }
                JobState target = DependencyRule.resolve(
                        DependencyCascade.states(job, known), job.onDependencyFailure(), job.runAt(), now);
                if (target != JobState.PENDING) {
                    Optional<Job> culprit = job.dependsOn().stream()
                            .map(known::get)
                            .filter(d -> d.state() == JobState.FAILED || d.state() == JobState.CANCELLED)
                            .findFirst();
                    Job settled = JobTransitions.settled(job, target, culprit, now);
                    created.put(job.id(), settled);
                    known.put(job.id(), settled);
                    changed = true;
                }
            }
        }
    }

    /** How many of a waiting job's dependencies have not finished; zero for a job not waiting. */
    private static int unfinished(Job job, Map<UUID, Job> dependencies) {
        if (job.state() != JobState.PENDING) {
            return 0;
        }
        return (int) DependencyCascade.states(job, dependencies).stream()
                .filter(s -> !s.isTerminal())
                .count();
    }
}
