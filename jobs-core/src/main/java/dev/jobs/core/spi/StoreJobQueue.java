package dev.jobs.core.spi;

import dev.jobs.core.Job;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The default dispatch: acquires straight from the store. Jobs published in this JVM wake its
 * waiting workers at once; work from other processes is found by polling, never more often than
 * the wait the caller asks for, and no later than the next scheduled job's {@code runAt}.
 *
 * <p>Thread-safe: waiters sleep on one condition that every publish signals.
 */
public final class StoreJobQueue implements JobQueue {
    private final JobStore store;
    private final Clock clock;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition published = lock.newCondition();
    private long publications;

    public StoreJobQueue(JobStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    @Override
    public List<Job> acquire(AcquireRequest request) {
        return store.acquire(request);
    }

    @Override
    public void publish(Collection<Job> jobs) {
        if (jobs.stream().noneMatch(job -> job.state().isClaimable())) {
            return;
        }
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
