package dev.jobs.core.internal.maintenance;

import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** Runs the maintenance tasks on their intervals, on one daemon thread. Thread-safe. */
public final class Maintenance implements AutoCloseable {
    private final String threadName;
    private final List<MaintenanceTask> tasks;
    private ScheduledExecutorService scheduler;

    public Maintenance(List<MaintenanceTask> tasks) {
        this("jobs-maintenance", tasks);
    }

    /** Tasks run on a thread of this name, apart from any other {@code Maintenance}'s. */
    public Maintenance(String threadName, List<MaintenanceTask> tasks) {
        this.threadName = threadName;
        this.tasks = List.copyOf(tasks);
    }

    public List<MaintenanceTask> tasks() {
        return tasks;
    }

    public synchronized void start() {
        if (scheduler != null || tasks.isEmpty()) {
            return;
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(
                r -> Thread.ofPlatform().daemon().name(threadName).unstarted(r));
        for (MaintenanceTask task : tasks) {
            long nanos = task.interval().toNanos();
            scheduler.scheduleWithFixedDelay(task::runOnce, 0, nanos, TimeUnit.NANOSECONDS);
        }
    }

    /** Runs every task once, now, on the calling thread; returns the items handled. */
    public int runAll() {
        return tasks.stream().mapToInt(MaintenanceTask::runOnce).sum();
    }

    @Override
    public synchronized void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
            scheduler = null;
        }
    }
}
