package dev.jobs.queue.redis;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * This instance's waiting workers and the wake-ups that end their wait: a count per queue, raised
 * by every publish heard (this instance's, or another's through pub/sub). A worker notes the counts
 * of its queues before it looks at Redis, then waits until one of them moves, so a publish in
 * between is never missed. Thread-safe.
 */
final class WakeUps {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition woken = lock.newCondition();

    /** Wake-ups seen per queue; guarded by lock. */
    private final Map<String, Long> counts = new HashMap<>();

    /** The queues' counts now, to wait on with {@link #awaitChange}. */
    Map<String, Long> note(Set<String> queues) {
        var seen = new HashMap<String, Long>();
        lock.lock();
        try {
            queues.forEach(q -> seen.put(q, counts.getOrDefault(q, 0L)));
        } finally {
            lock.unlock();
        }
        return seen;
    }

    /** Waits until a queue of {@code seen} is woken after it was noted, or {@code millis} pass. */
    void awaitChange(Map<String, Long> seen, long millis) throws InterruptedException {
        long nanos = TimeUnit.MILLISECONDS.toNanos(millis);
        lock.lock();
        try {
            while (nanos > 0 && unchanged(seen)) {
                nanos = woken.awaitNanos(nanos);
            }
        } finally {
            lock.unlock();
        }
    }

    private boolean unchanged(Map<String, Long> seen) {
        for (var entry : seen.entrySet()) {
            if (!counts.getOrDefault(entry.getKey(), 0L).equals(entry.getValue())) {
                return false;
            }
        }
        return true;
    }

    void wake(String queue) {
        lock.lock();
        try {
            counts.merge(queue, 1L, Long::sum);
            woken.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
