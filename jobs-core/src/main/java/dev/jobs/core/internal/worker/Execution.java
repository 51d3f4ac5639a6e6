package dev.jobs.core.internal.worker;

import dev.jobs.core.Job;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One running attempt: the job as acquired, the thread running its handler, and what the
 * supervisor has learned about it. Shared between the handler's thread and the supervisor; its
 * flags are volatile and each is only ever switched on.
 */
final class Execution {
    final Job job;
    /**
     * The job as last seen under this lease: as acquired, then as each progress report returned it.
     * A completion is derived from it (see {@code Completion}).
     */
    volatile Job latest;

    final UUID leaseToken;
    final Optional<Instant> deadline;
    private final CountDownLatch finished = new CountDownLatch(1);
    volatile Thread thread;
    volatile Instant nextHeartbeatAt;
    /** When the lease lapses, as of the last successful heartbeat. */
    volatile Instant leaseExpiresAt;

    volatile boolean cancelSeen;
    volatile Instant cancelDeadline;
    volatile boolean timedOut;
    volatile boolean leaseLost;
    volatile boolean released;
    volatile boolean interruptedForCancel;

    Execution(Job job, Optional<Instant> deadline, Instant nextHeartbeatAt) {
        this.job = job;
        this.latest = job;
        this.leaseToken = job.leaseToken().orElseThrow();
        this.deadline = deadline;
        this.nextHeartbeatAt = nextHeartbeatAt;
        this.leaseExpiresAt = job.leaseExpiresAt().orElseThrow();
    }

    void markFinished() {
        finished.countDown();
    }

    boolean isFinished() {
        return finished.getCount() == 0;
    }

    boolean awaitFinished(long nanos) throws InterruptedException {
        return finished.await(nanos, TimeUnit.NANOSECONDS);
    }

    /** Whether the handler has returned or thrown: the outcome is being recorded, or has been. */
    private boolean handlerReturned;

    /**
     * Interrupts the handler, unless it has returned: an interrupt meant for the handler must not
     * land on the thread while it records the outcome, where it would break the store's connection.
     */
    synchronized void interrupt() {
        Thread running = thread;
        if (running != null && !handlerReturned) {
            running.interrupt();
        }
    }

    /** Called by the handler's thread once the handler is done; clears an interrupt meant for it. */
    synchronized void handlerReturned() {
        handlerReturned = true;
        Thread.interrupted();
    }

    synchronized boolean hasHandlerReturned() {
        return handlerReturned;
    }
}
