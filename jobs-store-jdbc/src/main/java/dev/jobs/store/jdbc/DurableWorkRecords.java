package dev.jobs.store.jdbc;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jobs.core.JobCheckpoint;
import dev.jobs.core.JobStep;
import dev.jobs.core.spi.support.JobLifecycle;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** The durable work of jobs (steps and checkpoints), read and written in the store's transactions. Thread-safe. */
final class DurableWorkRecords {
    private final Transactions tx;
    private final JobTable table;

    DurableWorkRecords(Transactions tx, JobTable table) {
        this.tx = tx;
        this.table = table;
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
}
