package dev.jobs.bench;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobSpec;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * A load offered at a set rate, one job per call, each carrying when it was sent; and the window of
 * enqueue→start times its handler records, which a sampler takes and starts anew. What the long
 * horizon and the new-database run share. Thread-safe.
 */
final class SteadyLoad {
    private final String type;
    private final String queue;
    private final Object windowLock = new Object();
    private Histogram window = histogram();

    SteadyLoad(String type, String queue) {
        this.type = type;
        this.queue = queue;
    }

    /** Enqueues through {@code producer} at {@code perSecond}, one job per call, until the thread is interrupted. */
    void offer(JobEngine producer, int perSecond) {
        long period = 1_000_000_000L / perSecond;
        long slot = System.nanoTime();
        while (!Thread.currentThread().isInterrupted()) {
            LockSupport.parkNanos(slot - System.nanoTime());
            slot += period;
            try {
                producer.enqueue(
                        JobSpec.of(type, JsonNodeFactory.instance.objectNode().put("t", System.nanoTime()))
                                .withQueue(queue));
            } catch (RuntimeException e) {
                if (!Thread.currentThread().isInterrupted()) {
                    System.out.println("    enqueue failed: " + e.getMessage());
                }
            }
        }
    }

    /** Records a job's start; {@code sentAtNanos} is the {@code t} of its payload. */
    void started(long sentAtNanos) {
        long took = System.nanoTime() - sentAtNanos;
        synchronized (windowLock) {
            window.recordValue(Math.min(took, window.getHighestTrackableValue()));
        }
    }

    /** The starts recorded since the last call; recording goes on into a new window. */
    Histogram takeWindow() {
        synchronized (windowLock) {
            Histogram seen = window;
            window = histogram();
            return seen;
        }
    }

    /** Enqueue→start times up to an hour: a queue that falls behind here can fall far behind. */
    private static Histogram histogram() {
        return new Histogram(1_000, Duration.ofHours(1).toNanos(), 3);
    }
}
