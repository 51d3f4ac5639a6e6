package dev.jobs.queue.redis;

import dev.jobs.core.JobState;
import dev.jobs.core.QueueCounts;
import dev.jobs.core.spi.ClaimPlace;
import dev.jobs.core.spi.JobStore;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes Redis hold every job the store has as claimable, so that nothing Redis lost stays lost.
 *
 * <p>A pass reads the store's claimable jobs queue by queue in claim order, oldest first, a page of
 * {@value #PAGE} places at a time ({@link JobStore#claimOrder}: ids, priorities and times, no
 * payloads), asks Redis which of each page it does not hold (one {@code HMGET}), and publishes
 * those. It also copies the store's paused flags. Its cost is the store's claimable jobs, never the
 * finished history. Every write it makes is one a publish would
 * make, so passes on many instances at once only repeat each other. A job it reads as claimable
 * that a worker takes meanwhile may be published once more; the store refuses it at the next claim,
 * and it is dropped.
 *
 * <p>Passes run at start, every {@code interval}, when a queue is resumed, and whenever a queue's
 * {@code reconciled} marker (set by each pass) is gone: Redis restarted without persistence, was
 * flushed, or failed over to a replica without it. That check costs one {@code EXISTS} per queue
 * every {@code lossCheckInterval}.
 */
final class Reconciler implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Reconciler.class);

    private static final JobState[] CLAIMABLE = {JobState.READY, JobState.SCHEDULED, JobState.RETRYING};

    /** Places read from the store, and ids asked of Redis, at a time. */
    static final int PAGE = 1_000;

    private final JobStore store;
    private final RedisJobQueue queue;
    private final Duration interval;
    private final Duration lossCheckInterval;
    private final ScheduledExecutorService executor;
    /** Queues whose marker a pass has set; the loss check looks at these. */
    private final Set<String> reconciledQueues = ConcurrentHashMap.newKeySet();

    private final AtomicBoolean passQueued = new AtomicBoolean();

    /**
     * Set when a write to Redis failed (a publish, a paused flag): Redis may answer again still
     * holding its data, so the loss check finds no loss, yet lacks those writes. The loss check then
     * runs a pass as soon as Redis answers, instead of leaving the jobs to the next full pass.
     */
    private final AtomicBoolean passOwed = new AtomicBoolean();

    Reconciler(JobStore store, RedisJobQueue queue, Duration interval, Duration lossCheckInterval, String name) {
        this.store = store;
        this.queue = queue;
        this.interval = interval;
        this.lossCheckInterval = lossCheckInterval;
        this.executor = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform()
                .name("jobs-redis-reconciler-" + name)
                .daemon()
                .factory());
    }

    void start() {
        executor.scheduleWithFixedDelay(this::passSafely, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        executor.scheduleWithFixedDelay(
                this::checkForLoss, lossCheckInterval.toMillis(), lossCheckInterval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Runs a pass soon on the reconciler's thread; one already waiting covers this request. */
    void runSoon() {
        if (passQueued.compareAndSet(false, true)) {
            executor.execute(() -> {
                passQueued.set(false);
                passSafely();
            });
        }
    }

    /** A write to Redis failed: the first loss check that reaches Redis again runs a pass. */
    void owePass() {
        passOwed.set(true);
    }

    /**
     * Makes sure the loss check covers {@code queue}, which a job was just published to: a queue no
     * pass has marked (it had no jobs when the last pass ran) is marked now, so Redis losing its data
     * from here on is noticed at the next check rather than at the next full pass. Marking, not a
     * pass: a pass would copy the store's paused flag, and one racing a resume could copy it stale.
     */
    void watch(String queue) {
        if (reconciledQueues.add(queue)) {
            try {
                this.queue.commands().set(this.queue.keys(queue).reconciled(), "1");
            } catch (RuntimeException e) {
                reconciledQueues.remove(queue); // not marked: the next publish tries again
            }
        }
    }

    private void passSafely() {
        try {
            // Cleared first: a write that fails while the pass runs owes another.
            passOwed.set(false);
            long start = System.nanoTime();
            int published = reconcile();
            if (published > 0) {
                log.info(
                        "re-published {} jobs that the store holds as claimable and Redis did not, in a pass of {} ms",
                        published,
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            }
        } catch (RuntimeException e) {
            if (executor.isShutdown()) {
                return; // closing interrupted the pass
            }
            if (e instanceof RedisException redisDown) {
                passOwed.set(true);
                queue.outage("the reconciler tries again once Redis answers", redisDown);
                return;
            }
            log.warn("reconciling Redis with the store failed; trying again at the next pass", e);
        }
    }

    private void checkForLoss() {
        try {
            if (passOwed.get()) {
                queue.commands().ping(); // throws while Redis is still down
                log.info("Redis answers again; re-publishing the jobs whose writes it missed");
                passSafely();
                return;
            }
            for (String name : reconciledQueues) {
                if (queue.commands().exists(queue.keys(name).reconciled()) == 0) {
                    log.warn(
                            "Redis lost the dispatch state of queue {} (restarted without persistence, flushed or"
                                    + " failed over); re-publishing its jobs from the store",
                            name);
                    passSafely();
                    return;
                }
            }
        } catch (RedisException e) {
            // Down: nothing to compare with. The check after it answers again finds the loss.
        } catch (RuntimeException e) {
            log.warn("checking Redis for lost dispatch state failed", e);
        }
    }

    /** One pass over every queue; returns how many jobs it published. */
    int reconcile() {
        List<QueueCounts> queues = store.counts();
        copyPausedFlags(queues.stream().map(QueueCounts::queue).toList());
        int published = 0;
        for (QueueCounts counts : queues) {
            String name = counts.queue();
            long claimable = 0;
            for (JobState state : CLAIMABLE) {
                claimable += counts.count(state);
            }
            // Marked before the pass, not after: Redis losing its data while the pass runs takes the
            // mark with it, and the loss check sees that. Marked after, a pass that had read a job as
            // held just before the loss would mark a Redis that no longer holds it.
            String marker = queue.keys(name).reconciled();
            queue.commands().set(marker, "1");
            reconciledQueues.add(name);
            try {
                if (claimable > 0) {
                    published += reconcileQueue(name);
                }
            } catch (RuntimeException e) {
                unmark(marker);
                throw e;
            }
        }
        return published;
    }

    /**
     * Copies the store's paused flags to Redis. A pause or resume racing the pass writes the store
     * first and Redis after, so a flag this pass read before it may land after that write and undo
     * it: the store is read again once the flags are written, and any it contradicts is written
     * again. Without that, a queue resumed while a pass ran could stay paused in Redis until the
     * next pass, a minute later.
     */
    private void copyPausedFlags(List<String> queues) {
        Set<String> paused = store.pausedQueues();
        queues.forEach(name -> queue.setPausedFlag(name, paused.contains(name)));
        Set<String> now = store.pausedQueues();
        queues.stream()
                .filter(name -> paused.contains(name) != now.contains(name))
                .forEach(name -> queue.setPausedFlag(name, now.contains(name)));
    }

    /** A pass that did not finish must not leave its mark: the loss check then asks for another. */
    private void unmark(String marker) {
        try {
            queue.commands().del(marker);
        } catch (RuntimeException e) {
            log.debug("could not remove the mark of an unfinished pass: {}", e.toString());
        }
    }

    /**
     * Walks the queue's claimable jobs in claim order, a page at a time, and publishes those Redis
     * does not hold. Oldest first, so that a job Redis lost is handed out in its turn: walked newest
     * first, the newest of a lost backlog went to the workers while the pass still read the oldest,
     * and those then waited for everything in between.
     */
    private int reconcileQueue(String name) {
        QueueKeys keys = queue.keys(name);
        int published = 0;
        Optional<ClaimPlace> after = Optional.empty();
        List<ClaimPlace> page;
        do {
            page = store.claimOrder(name, after, PAGE);
            if (page.isEmpty()) {
                break;
            }
            String[] ids = page.stream().map(place -> place.id().toString()).toArray(String[]::new);
            List<KeyValue<String, String>> held = queue.commands().hmget(keys.priorities(), ids);
            var missing = new ArrayList<RedisJobQueue.Entry>();
            for (int i = 0; i < page.size(); i++) {
                if (!held.get(i).hasValue()) {
                    missing.add(RedisJobQueue.Entry.of(page.get(i)));
                }
            }
            if (!missing.isEmpty()) {
                queue.write(name, missing);
                published += missing.size();
            }
            after = Optional.of(page.get(page.size() - 1));
        } while (page.size() == PAGE);
        return published;
    }

    @Override
    public void close() {
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
