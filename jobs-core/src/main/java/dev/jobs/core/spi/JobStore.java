package dev.jobs.core.spi;

import dev.jobs.core.spi.support.DependencyRule;

/**
 * The system of record for jobs. Every implementation enforces {@link dev.jobs.core.JobState}'s
 * transition table, applies {@link DependencyRule}, changes a job's dependents in the same
 * transaction as the job, and passes the conformance suite in {@code jobs-testkit}.
 *
 * <p>Fencing: {@code heartbeat}, {@code reportProgress}, {@code complete}, {@code fail}, {@code
 * cancelRunning}, {@code snooze} and {@code release} carry the lease token the job was acquired
 * with. If the job is no longer {@code RUNNING} under that token they throw {@link
 * dev.jobs.core.LeaseLostException} and change nothing. A lease that has lapsed but not yet been
 * reclaimed is still honoured: no other worker can hold the job until it is reclaimed.
 *
 * <p>Implementations are thread-safe and safe to share between engine instances (each through its
 * own store object over one database). Times come from the store's clock. Failures to reach the
 * backing system throw {@link dev.jobs.core.StoreUnavailableException}.
 *
 * <p>Its operations come in concerns, one interface each, so that a part of the engine can ask for
 * only the one it uses: {@link JobRecords}, {@link QueueSettingsStore}, {@link
 * WorkerRegistryStore}, {@link RecurringStore} and {@link StatisticsStore}.
 *
 * <p>This SPI may change between minor versions.
 */
public interface JobStore
        extends JobRecords,
                QueueSettingsStore,
                WorkerRegistryStore,
                RecurringStore,
                StatisticsStore,
                DurableWorkStore,
                AutoCloseable {
    /** Releases connections and threads the store owns. */
    @Override
    default void close() {}
}
