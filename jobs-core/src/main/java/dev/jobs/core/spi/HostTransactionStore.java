package dev.jobs.core.spi;

import dev.jobs.core.Job;
import java.sql.Connection;
import java.util.List;

/**
 * A store that can create jobs inside the host's own transaction, so that they exist only if the
 * host commits it (transactional enqueue): the capability behind {@link
 * dev.jobs.core.JobEngine#enqueueIn}. The JDBC store has it; a store without it is refused there.
 *
 * <p>This SPI may change between minor versions.
 */
public interface HostTransactionStore {
    /**
     * Creates the jobs, as {@link JobRecords#create} would, on {@code connection} in the host's open
     * transaction. The connection is left open and its transaction untouched: the host commits or
     * rolls back.
     *
     * @param jobs validated and given ids by the engine
     */
    List<Job> createIn(Connection connection, List<NewJob> jobs);
}
