package dev.jobs.store.jdbc;

import dev.jobs.core.Job;
import dev.jobs.core.JobState;
import java.util.Collection;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;

/**
 * The running totals of finished jobs per queue and final state (schema V15), which let counting a
 * queue's jobs read a few rows instead of the whole history.
 *
 * <p>Every job entering or leaving a final state inside a store transaction is noted here ({@link
 * #changed}, {@link #created}, {@link #purged}); the transaction's net change per (queue, state) is
 * written as its last statements ({@link #counted}) into one of that total's rows, which are summed
 * on reading. A transaction never waits for a row another holds: it takes the first row of the total
 * that no one has locked ({@code SKIP LOCKED}), or adds a row when all are taken. A total kept in
 * one row, or in rows picked at random, made every completion that met a stalled transaction's row
 * wait with it: an engine frozen in the middle of its commit held the completions of every other
 * engine back past their leases, and their jobs ran twice.
 *
 * <p>A final-state change noted outside {@link #counted} is a bug of the store: it fails loudly
 * rather than let the totals drift.
 */
final class FinishedCounts {
    private static final String ADD =
            "UPDATE <finished_count> SET n = n + :n WHERE queue = :queue AND state = :state AND slot = :slot";

    /** A new row's slot is picked at random from this many, so that two new rows seldom collide. */
    private static final int SLOT_RANGE = 1 << 20;

    private final String addRow;

    /** The changes of the transaction under way on this thread, absent outside one. */
    private final ThreadLocal<Map<Key, Long>> pending = new ThreadLocal<>();

    /** The first row of a total that no other transaction holds. */
    private static final String FREE_ROW = "SELECT slot FROM <finished_count> WHERE queue = :queue AND state = :state"
            + " ORDER BY slot LIMIT 1 FOR UPDATE SKIP LOCKED";

    /** @param inserts the database's {@code insert-if-absent} statements */
    FinishedCounts(SqlStatements inserts) {
        this.addRow = inserts.get("add-finished-count-row");
    }

    private record Key(String queue, JobState state) implements Comparable<Key> {
        @Override
        public int compareTo(Key other) {
            int byQueue = queue.compareTo(other.queue);
            return byQueue != 0 ? byQueue : state.compareTo(other.state);
        }
    }

    /**
     * {@code work} with the final-state changes it notes written at its end, on its handle, which must
     * be in a transaction that commits or rolls back both together.
     */
    <T> HandleCallback<T, RuntimeException> counted(HandleCallback<T, RuntimeException> work) {
        return h -> {
            Map<Key, Long> outer = pending.get();
            var changes = new TreeMap<Key, Long>();
            pending.set(changes);
            try {
                T result = work.withHandle(h);
                write(h, changes);
                return result;
            } finally {
                if (outer == null) {
                    pending.remove();
                } else {
                    pending.set(outer);
                }
            }
        };
    }

    /** A job rewritten from {@code previous} to {@code next}. */
    void changed(Job previous, Job next) {
        if (previous.isTerminal()) {
            add(previous.queue(), previous.state(), -1);
        }
        if (next.isTerminal()) {
            add(next.queue(), next.state(), 1);
        }
    }

    /** New jobs, some of which may be born finished (cancelled by a failed dependency). */
    void created(Collection<Job> jobs) {
        jobs.stream().filter(Job::isTerminal).forEach(job -> add(job.queue(), job.state(), 1));
    }

    /** A finished job deleted. */
    void purged(String queue, JobState state) {
        add(queue, state, -1);
    }

    /** A job finished in {@code state} that was not in a final state before, as a completion writes it. */
    void finished(String queue, JobState state) {
        add(queue, state, 1);
    }

    private void add(String queue, JobState state, long delta) {
        Map<Key, Long> changes = pending.get();
        if (changes == null) {
            throw new IllegalStateException("a job of queue " + queue + " entered or left " + state
                    + " outside a counted transaction, which would leave the finished counts wrong");
        }
        changes.merge(new Key(queue, state), delta, Long::sum);
    }

    private void write(Handle h, Map<Key, Long> changes) {
        changes.forEach((key, delta) -> {
            if (delta == 0) {
                return;
            }
            Optional<Integer> free = h.createQuery(FREE_ROW)
                    .bind("queue", key.queue())
                    .bind("state", key.state().name())
                    .mapTo(Integer.class)
                    .findOne();
            if (free.isPresent()) {
                h.createUpdate(ADD)
                        .bind("n", delta)
                        .bind("queue", key.queue())
                        .bind("state", key.state().name())
                        .bind("slot", free.get())
                        .execute();
                return;
            }
            // Every row of this total is held by a transaction under way, or it has none yet.
            while (h.createUpdate(addRow)
                            .bind("queue", key.queue())
                            .bind("state", key.state().name())
                            .bind("slot", ThreadLocalRandom.current().nextInt(SLOT_RANGE))
                            .bind("n", delta)
                            .execute()
                    == 0) {
                // That slot was taken: another.
            }
        });
    }

    /** The totals per queue and final state, slots summed; queues with none finished are left out. */
    static Map<String, Map<JobState, Long>> read(Handle h) {
        var byQueue = new TreeMap<String, Map<JobState, Long>>();
        h.createQuery("SELECT queue, state, SUM(n) AS n FROM <finished_count> GROUP BY queue, state")
                .map((rs, ctx) -> {
                    long n = rs.getLong("n");
                    if (n != 0) {
                        byQueue.computeIfAbsent(rs.getString("queue"), q -> new EnumMap<>(JobState.class))
                                .put(JobState.valueOf(rs.getString("state")), n);
                    }
                    return null;
                })
                .list();
        return byQueue;
    }
}
