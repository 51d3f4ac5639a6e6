package dev.jobs.core.internal.maintenance;

import dev.jobs.core.internal.ThrottledWarning;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small named chore the engine runs on an interval: rescue lapsed leases, promote due jobs,
 * prune history. Each is safe to run on every engine instance at once, because each step is one
 * conditional store operation. Counts what it did, for logs and tests. Thread-safe.
 */
public abstract class MaintenanceTask {
    private static final Logger log = LoggerFactory.getLogger(MaintenanceTask.class);

    private final String name;
    private final Duration interval;
    private final AtomicLong done = new AtomicLong();
    private final ThrottledWarning failures = new ThrottledWarning(Duration.ofSeconds(30));

    protected MaintenanceTask(String name, Duration interval) {
        this.name = name;
        this.interval = interval;
    }

    public String name() {
        return name;
    }

    public Duration interval() {
        return interval;
    }

    /** How many items this task has handled since the engine started. */
    public long totalDone() {
        return done.get();
    }

    /** Runs once and returns how many items it handled; failures are logged, not thrown. */
    public final int runOnce() {
        try {
            int count = work();
            done.addAndGet(count);
            if (count > 0) {
                log.debug("{}: {} done", name, count);
            }
            return count;
        } catch (RuntimeException e) {
            // While the store is down every round fails the same way: a line every half minute says so.
            failures.log(log, "{} failed; it runs again in {}: {}", name, interval, e.toString());
            log.debug("{} failed", name, e);
            return 0;
        }
    }

    /** One round of the chore. */
    protected abstract int work();
}
