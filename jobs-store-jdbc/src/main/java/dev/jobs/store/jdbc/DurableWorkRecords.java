package dev.jobs.store.jdbc;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jobs.core.Job;
import dev.jobs.core.JobCheckpoint;
import dev.jobs.core.JobStep;
import dev.jobs.core.ParentResult;
import dev.jobs.core.spi.support.JobLifecycle;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** The durable work of jobs (steps and checkpoints), read and written in the store's transactions. Thread-safe. */
final class DurableWorkRecords {
    private final Transactions tx;
    private final JobTable table;
    private final DurableWorkRows rows;

    DurableWorkRecords(Transactions tx, JobTable table, DurableWorkRows rows) {
        this.tx = tx;
        this.table = table;
        this.rows = rows;
    }

    List<JobStep> steps(UUID jobId) {
        return tx.inTransaction(h -> table.in(h, tx.now()).steps(jobId));
    }

    JobStep record(UUID jobId, UUID leaseToken, int index, String name, JsonNode result) {
        return tx.inTransaction(
                h -> JobLifecycle.recordStep(table.in(h, tx.now()), jobId, leaseToken, index, name, result));
    }

    Optional<JobCheckpoint> checkpoint(UUID jobId) {
        return tx.inTransaction(h -> table.in(h, tx.now()).checkpoint(jobId));
    }

    JobCheckpoint saveCheckpoint(UUID jobId, UUID leaseToken, JsonNode state) {
        return tx.inTransaction(h -> JobLifecycle.saveCheckpoint(table.in(h, tx.now()), jobId, leaseToken, state));
    }

    List<ParentResult> parentResults(UUID jobId) {
        return tx.inTransaction(h -> {
            Optional<Job> job = table.find(h, jobId);
            if (job.isEmpty()) {
                return List.of();
            }
            return JobLifecycle.parentResults(
                    job.get(), table.read(h, job.get().dependsOn()), rows.dependencyNames(h, jobId));
        });
    }
}
