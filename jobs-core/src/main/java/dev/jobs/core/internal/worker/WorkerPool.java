package dev.jobs.core.internal.worker;

import dev.jobs.core.Job;
import dev.jobs.core.WorkerInfo;
import dev.jobs.core.spi.AcquireRequest;
import dev.jobs.core.spi.JobQueue;
import dev.jobs.core.spi.JobStore;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker loop. For each queue it works, one loop acquires jobs in batches up to the queue's
 * free capacity and hands each to the {@link JobRunner}; when the queue is empty the loop waits on
 * the {@link JobQueue} instead of spinning. A supervisor tick renews leases, enforces timeouts and
 * cancellation, and refreshes this worker in the registry. {@link #close()} shuts down gracefully:
 * stop acquiring, let running jobs finish until the deadline, then give their leases back.
 *
 * <p>Thread-safe: capacity is a {@link QueueCapacity} per queue; state changes are on volatile fields.
 */
public final class WorkerPool implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WorkerPool.class);

    /** After a failed acquisition, wait this long before trying again, so a down store is not hammered. */
    private static final Duration ACQUIRE_ERROR_BACKOFF = Duration.ofSeconds(1);

    /** At shutdown, how long outcomes already being recorded may take before their leases are given back anyway. */
    private static final Duration RECORDING_GRACE = Duration.ofSeconds(5);

    private final JobQueue queue;
    private final JobStore store;
    private final JobRunner runner;
    private final WorkerSettings settings;
    private final Clock clock;
    private final String host;
    private final List<Thread> loops = new ArrayList<>();
    private ScheduledExecutorService supervisor;
    private volatile boolean acquiring;
    private volatile Instant startedAt;
    private volatile Instant nextRegistryHeartbeat;

    public WorkerPool(JobQueue queue, JobStore store, JobRunner runner, WorkerSettings settings, Clock clock) {
        this.queue = queue;
        this.store = store;
        this.runner = runner;
        this.settings = settings;
        this.clock = clock;
        this.host = hostName();
    }

    /** Registers this worker and starts one acquisition loop per queue and the supervisor. */
    public synchronized void start() {
        if (acquiring) {
            return;
        }
        acquiring = true;
        startedAt = clock.instant();
        store.registerWorker(info());
        nextRegistryHeartbeat = startedAt.plus(settings.heartbeatInterval());
        settings.concurrencyByQueue()
                .forEach((name, concurrency) -> loops.add(Thread.ofPlatform()
                        .daemon()
                        .name("jobs-acquire-" + name)
                        .start(() -> acquireLoop(name, new QueueCapacity(concurrency)))));
        supervisor = Executors.newSingleThreadScheduledExecutor(
                r -> Thread.ofPlatform().daemon().name("jobs-supervisor").unstarted(r));
        long tick = settings.tickInterval().toNanos();
        supervisor.scheduleWithFixedDelay(this::superviseSafely, tick, tick, TimeUnit.NANOSECONDS);
        log.info(
                "worker {} started on {}: queues {}, lease {}, heartbeat every {}",
                settings.workerId(),
                host,
                settings.concurrencyByQueue(),
                settings.leaseDuration(),
                settings.heartbeatInterval());
    }

    private void acquireLoop(String queueName, QueueCapacity capacity) {
        Set<String> queues = Set.of(queueName);
        Duration idleWait = settings.pollInterval();
        while (acquiring) {
            try {
                int wanted = capacity.reserve();
                List<Job> jobs;
                try {
                    jobs = acquiring
                            ? queue.acquire(
                                    new AcquireRequest(settings.workerId(), queues, wanted, settings.leaseDuration()))
                            : List.of();
                } catch (RuntimeException e) {
                    capacity.unused(wanted);
                    log.warn(
                            "acquiring from queue {} failed; trying again in {}: {}",
                            queueName,
                            ACQUIRE_ERROR_BACKOFF,
                            e.toString());
                    queue.awaitWork(Set.of(), ACQUIRE_ERROR_BACKOFF);
                    continue;
                }
                capacity.unused(wanted - jobs.size());
                for (Job job : jobs) {
                    runner.start(job, capacity::handlerReturned, capacity::leaseEnded);
                }
                if (jobs.isEmpty()) {
                    // Back off while the queue stays empty; any wake-up cuts the wait short.
                    queue.awaitWork(queues, idleWait);
                    idleWait = idleWait.multipliedBy(2).compareTo(settings.maxPollInterval()) > 0
                            ? settings.maxPollInterval()
                            : idleWait.multipliedBy(2);
                } else {
                    idleWait = settings.pollInterval();
                    if (jobs.size() < wanted && acquiring) {
                        queue.awaitWork(queues, idleWait);
                    }
                }
            } catch (InterruptedException e) {
                if (acquiring) {
                    log.warn("acquisition loop for queue {} interrupted; stopping it", queueName);
                }
                return;
            } catch (RuntimeException e) {
                // Waiting asks the store when work is due next; a store gone meanwhile must not end the loop.
                log.warn(
                        "waiting for work on queue {} failed; trying again in {}: {}",
                        queueName,
                        ACQUIRE_ERROR_BACKOFF,
                        e.toString());
                try {
                    queue.awaitWork(Set.of(), ACQUIRE_ERROR_BACKOFF);
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
        }
    }

    private void superviseSafely() {
        try {
            for (Execution execution : runner.active()) {
                runner.supervise(execution);
            }
            Instant now = clock.instant();
            // Also while draining at shutdown: the jobs still running must not look abandoned.
            if (!now.isBefore(nextRegistryHeartbeat)) {
                store.registerWorker(info());
                nextRegistryHeartbeat = now.plus(settings.heartbeatInterval());
            }
        } catch (RuntimeException e) {
            log.warn("supervising running jobs failed; trying again next tick", e);
        }
    }

    /** This worker as the registry shows it. */
    public WorkerInfo info() {
        Instant now = clock.instant();
        Instant started = startedAt != null ? startedAt : now;
        return new WorkerInfo(
                settings.workerId(),
                WorkerInfo.ENGINE_OWNER,
                host,
                settings.concurrencyByQueue().keySet(),
                settings.totalConcurrency(),
                runner.activeCount(),
                started,
                now,
                now.plus(settings.registryLease()));
    }

    /**
     * Stops acquiring, waits up to the shutdown timeout for running jobs, then gives the leases of
     * those still running back to the store so other workers take them at once.
     */
    @Override
    public synchronized void close() {
        if (!acquiring) {
            return;
        }
        acquiring = false;
        loops.forEach(Thread::interrupt);
        for (Thread loop : loops) {
            joinQuietly(loop, Duration.ofSeconds(5));
        }
        long deadline = System.nanoTime() + settings.shutdownTimeout().toNanos();
        try {
            for (Execution execution : runner.active()) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !execution.awaitFinished(left)) {
                    break;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        awaitOutcomesBeingRecorded();
        List<Execution> unfinished = List.copyOf(runner.active());
        if (!unfinished.isEmpty()) {
            log.info(
                    "{} jobs still running after {}; giving their leases back",
                    unfinished.size(),
                    settings.shutdownTimeout());
        }
        unfinished.forEach(runner::release);
        supervisor.shutdownNow();
        try {
            store.removeWorker(settings.workerId());
        } catch (RuntimeException e) {
            log.warn("could not remove worker {} from the registry; it ages out", settings.workerId(), e);
        }
        log.info("worker {} stopped", settings.workerId());
    }

    /**
     * Lets outcomes already being written land: giving those leases back instead would run jobs
     * again that have already run. Bounded, for a store that does not answer.
     */
    private void awaitOutcomesBeingRecorded() {
        long deadline = System.nanoTime() + RECORDING_GRACE.toNanos();
        try {
            for (Execution execution : runner.active()) {
                long left = deadline - System.nanoTime();
                if (execution.hasHandlerReturned() && (left <= 0 || !execution.awaitFinished(left))) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void joinQuietly(Thread thread, Duration timeout) {
        try {
            thread.join(timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "unknown-host";
        }
    }
}
