package dev.jobs.core.spi;

import dev.jobs.core.WorkerInfo;
import java.util.List;
import java.util.Objects;

/**
 * A worker one call of {@link JobStore#reapDeadWorkers} declared dead, with the jobs it was running
 * and that call took back.
 *
 * @param worker the worker as the registry now shows it ({@link WorkerInfo#diedAt()} set)
 * @param reclaimed each of its running jobs, ended as an abandoned attempt
 */
public record DeadWorker(WorkerInfo worker, List<Transition> reclaimed) {
    public DeadWorker {
        Objects.requireNonNull(worker, "worker");
        reclaimed = List.copyOf(reclaimed);
    }
}
