package dev.jobs.core.internal;

import dev.jobs.core.Job;
import dev.jobs.core.spi.AcquireRequest;
import dev.jobs.core.spi.JobQueue;
import dev.jobs.core.spi.JobStore;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The default dispatch: acquires straight from the store. Jobs published in this JVM wake its
 * waiting workers at once, and so do jobs other processes commit when the store can tell ({@link
 * JobStore#subscribe}); otherwise that work is found by polling, never more often than the wait the
 * caller asks for, and no later than the next scheduled job's {@code runAt}.
 *
 * <p>Thread-safe: waiters sleep on one condition that every publish signals.
 */
public final class StoreJobQueue implements JobQueue {
    private final JobStore store;
    private final Clock clock;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition published = lock.newCondition();
    private long publications;
    private final boolean storeWakesUs;

    public StoreJobQueue(JobStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
        this.storeWakesUs = store.subscribe(queue -> wakeWaiters());
    }

    /** Whether the store tells this queue of jobs other processes commit; otherwise workers poll. */
    @Override
    public boolean hearsOtherProcesses() {
        return storeWakesUs;
    }

    @Override
    public List<Job> acquire(AcquireRequest request) {
        return store.acquire(request);
    }

    /**
     * Wakes waiting workers for jobs that became claimable, and for jobs that ended: an end frees a
     * slot of a queue with limits, whose waiting workers would otherwise see it only at their next
     * poll.
     */
    @Override
    public void publish(Collection<Job> jobs) {
        if (jobs.stream().noneMatch(job -> job.state().isClaimable() || job.isTerminal())) {
            return;
        }
        wakeWaiters();
    }

    private void wakeWaiters() {
        lock.lock();
        try {
            publications++;
            published.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void awaitWork(Set<String> queues, Duration maxWait) throws InterruptedException {
        long seen;
        lock.lock();
        try {
            seen = publications;
        } finally {
            lock.unlock();
        }
        Duration wait = maxWait;
        var next = store.earliestRunAt(queues);
        if (next.isPresent()) {
            Duration untilNext = Duration.between(clock.instant(), next.get());
            if (untilNext.compareTo(wait) < 0) {
                wait = untilNext.isNegative() ? Duration.ZERO : untilNext;
            }
        }
        long nanos = wait.toNanos();
        lock.lock();
        try {
            while (publications == seen && nanos > 0) {
                nanos = published.awaitNanos(nanos);
            }
        } finally {
            lock.unlock();
        }
    }
}
