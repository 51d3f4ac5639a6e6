package dev.jobs.core.spi.support;

import dev.jobs.core.Job;
import dev.jobs.core.QueueLimits;
import dev.jobs.core.spi.StartBucket;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What a limited queue lets one claim start, worked out the same way by every store: from the
 * queue's {@link QueueLimits}, its {@link StartBucket} and the jobs of the queue running now. A store
 * reads those under a lock that serialises the queue's claims (the queue's limit row), walks its
 * candidates in claim order asking {@link #tryStart} of each, and writes back {@link #bucket()}.
 *
 * <p>Not thread-safe: one claim's working state.
 */
public final class QueueAllowance {
    private final QueueLimits limits;
    private final Map<String, Integer> runningByKey;
    private final Set<String> saturatedKeys = new HashSet<>();
    private int runningTotal;
    private Optional<StartBucket> bucket;
    private int started;

    /**
     * @param limits the queue's limits
     * @param bucket its start bucket as stored, if it has a start rate (an absent one starts full)
     * @param runningTotal how many of its jobs run now
     * @param runningByKey how many of them run now per concurrency key
     * @param now the claim's instant
     */
    public QueueAllowance(
            QueueLimits limits,
            Optional<StartBucket> bucket,
            int runningTotal,
            Map<String, Integer> runningByKey,
            Instant now) {
        this.limits = Objects.requireNonNull(limits, "limits");
        this.runningTotal = runningTotal;
        this.runningByKey = new HashMap<>(runningByKey);
        this.bucket = limits.maxStarts()
                .map(rate -> bucket.map(b -> b.refilled(rate, now)).orElseGet(() -> StartBucket.full(rate, now)));
        limits.maxRunningPerKey()
                .ifPresent(k -> this.runningByKey.forEach((key, n) -> {
                    if (n >= k) {
                        saturatedKeys.add(key);
                    }
                }));
    }

    /** How many more jobs may start now, whatever their keys; 0 when the queue is at a limit. */
    public int remaining() {
        int left = Integer.MAX_VALUE;
        if (limits.maxRunning().isPresent()) {
            left = Math.max(0, limits.maxRunning().getAsInt() - runningTotal);
        }
        if (bucket.isPresent()) {
            left = Math.min(left, Math.max(0, bucket.get().startsAvailable() - started));
        }
        return left;
    }

    /** Keys with as many running jobs as the per-key limit allows: their jobs may not start now. */
    public Set<String> saturatedKeys() {
        return Set.copyOf(saturatedKeys);
    }

    /** Whether the candidate's key lets it start now (the queue-wide limits aside). */
    public boolean keyAllows(Job candidate) {
        return candidate
                .concurrencyKey()
                .map(key -> !saturatedKeys.contains(key))
                .orElse(true);
    }

    /**
     * Counts the candidate as started if the limits let it start now.
     *
     * @return whether it may start; if not, the claim leaves it as it is
     */
    public boolean tryStart(Job candidate) {
        if (remaining() == 0 || !keyAllows(candidate)) {
            return false;
        }
        started++;
        runningTotal++;
        candidate.concurrencyKey().ifPresent(key -> {
            int running = runningByKey.merge(key, 1, Integer::sum);
            if (limits.maxRunningPerKey().isPresent()
                    && running >= limits.maxRunningPerKey().getAsInt()) {
                saturatedKeys.add(key);
            }
        });
        return true;
    }

    /** How many {@link #tryStart} let start. */
    public int started() {
        return started;
    }

    /** The start bucket to store after this claim, if the queue has a start rate. */
    public Optional<StartBucket> bucket() {
        return bucket.map(b -> b.spent(started));
    }

    /**
     * The earliest a job of the queue could start, going by the queue-wide limits alone: {@code now}
     * if one may start now, the next token's instant if only the start rate holds the queue back,
     * empty while the queue runs as many jobs as it may (one ending is what frees a slot).
     */
    public Optional<Instant> earliestStart(Instant now) {
        if (limits.maxRunning().isPresent()
                && runningTotal >= limits.maxRunning().getAsInt()) {
            return Optional.empty();
        }
        return Optional.of(limits.maxStarts()
                .map(rate -> bucket().orElseThrow().nextTokenAt(rate))
                .filter(at -> at.isAfter(now))
                .orElse(now));
    }
}
