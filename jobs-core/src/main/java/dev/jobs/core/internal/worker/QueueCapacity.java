package dev.jobs.core.internal.worker;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * How many more jobs one queue's acquisition loop may take. Two limits hold at once: handlers
 * running (the queue's concurrency), freed as soon as a handler returns; and leases held, freed
 * once the attempt's outcome is recorded, at most twice the concurrency. Freeing the handler's
 * slot before its outcome is written lets the next claim run while the last outcomes are being
 * written, instead of after; the lease limit keeps outcomes that the store is slow to take from
 * piling up.
 *
 * <p>Thread-safe: one lock guards both counts; the acquisition loop is the only waiter.
 */
final class QueueCapacity {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition freed = lock.newCondition();
    private int freeHandlers;
    private int freeLeases;

    QueueCapacity(int concurrency) {
        this.freeHandlers = concurrency;
        this.freeLeases = 2 * concurrency;
    }

    /**
     * Waits until at least one job may be taken, then reserves as many as may be taken now.
     *
     * @return the number reserved, at least one; give back those not used with {@link #unused}
     */
    int reserve() throws InterruptedException {
        lock.lock();
        try {
            while (freeHandlers == 0 || freeLeases == 0) {
                freed.await();
            }
            int reserved = Math.min(freeHandlers, freeLeases);
            freeHandlers -= reserved;
            freeLeases -= reserved;
            return reserved;
        } finally {
            lock.unlock();
        }
    }

    /** Gives back reservations no job came for. */
    void unused(int count) {
        lock.lock();
        try {
            freeHandlers += count;
            freeLeases += count;
            freed.signal();
        } finally {
            lock.unlock();
        }
    }

    /** A taken job's handler returned (or threw): its slot is free for another handler. */
    void handlerReturned() {
        lock.lock();
        try {
            freeHandlers++;
            freed.signal();
        } finally {
            lock.unlock();
        }
    }

    /** A taken job's outcome was recorded, or given up on: its lease is no longer this worker's concern. */
    void leaseEnded() {
        lock.lock();
        try {
            freeLeases++;
            freed.signal();
        } finally {
            lock.unlock();
        }
    }
}
