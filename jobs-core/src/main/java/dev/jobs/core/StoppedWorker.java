package dev.jobs.core;

import dev.jobs.core.spi.JobStore;
import java.util.List;
import java.util.Objects;

/**
 * A worker that said it was stopping ({@link JobStore#stopWorker}), with the jobs it handed back.
 *
 * @param worker the worker as the registry now shows it ({@link WorkerInfo#stoppedAt()} set)
 * @param handedBack each job it was running, claimable again
 */
public record StoppedWorker(WorkerInfo worker, List<Job> handedBack) {
    public StoppedWorker {
        Objects.requireNonNull(worker, "worker");
        handedBack = List.copyOf(handedBack);
    }
}
