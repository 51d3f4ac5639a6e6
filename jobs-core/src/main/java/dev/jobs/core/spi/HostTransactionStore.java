package dev.jobs.core.spi;

import dev.jobs.core.Job;
import java.sql.Connection;
import java.util.List;

/**
 * A store that can create jobs inside the host's own transaction, so that they exist only if the
 * host commits it (transactional enqueue): the capability behind {@link
 * dev.jobs.core.JobEngine#enqueueIn}. The JDBC store has it; a store without it is refused there.
 *
 * <p>The engine announces such jobs (their events, their publication to a dispatch queue) only
 * once the host has committed, which it learns by taking them from the store: the store notes each
 * job it creates this way in the same transaction, so a rolled-back job leaves no note.
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

    /**
     * Takes up to {@code max} jobs that {@link #createIn} created in transactions since committed and
     * that no caller has taken: each is taken once, by one caller, whichever process created it.
     *
     * @return the jobs as they are now; one deleted since is left out
     */
    List<Job> takeUnannounced(int max);
}
