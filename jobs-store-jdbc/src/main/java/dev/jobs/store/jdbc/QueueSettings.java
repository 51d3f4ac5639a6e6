package dev.jobs.store.jdbc;

import dev.jobs.core.QueueLimits;
import dev.jobs.core.spi.StartBucket;
import dev.jobs.core.spi.support.QueueLimitChange;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Handle;

/** Queues paused, and queues' limits on running jobs and starts, as operators set them. Thread-safe. */
final class QueueSettings {
    private final Transactions tx;

    /** The database's {@code insert-if-absent} statements. */
    private final SqlStatements inserts;

    QueueSettings(Transactions tx, SqlStatements inserts) {
        this.tx = tx;
        this.inserts = inserts;
    }

    void setQueuePaused(String queue, boolean paused) {
        tx.inTransaction(h -> {
            if (paused) {
                h.createUpdate(inserts.get("pause-queue")).bind("key", queue).execute();
            } else {
                h.createUpdate("DELETE FROM <paused_queue> WHERE queue = :queue")
                        .bind("queue", queue)
                        .execute();
            }
            return null;
        });
    }

    Set<String> pausedQueues() {
        return tx.inTransaction(this::pausedQueues);
    }

    Set<String> pausedQueues(Handle h) {
        return Set.copyOf(h.createQuery("SELECT queue FROM <paused_queue>")
                .mapTo(String.class)
                .list());
    }

    void setQueueLimits(String queue, QueueLimits limits) {
        tx.inTransaction(h -> {
            Optional<LimitRow> stored = h.createQuery("SELECT * FROM <queue_limit> WHERE queue = :queue FOR UPDATE")
                    .bind("queue", queue)
                    .map((rs, ctx) -> LimitRow.read(rs))
                    .findOne();
            Instant now = tx.now();
            Optional<QueueLimitChange> change = QueueLimitChange.over(stored.map(LimitRow::limitedQueue), limits, now);
            if (change.isEmpty()) {
                return null;
            }
            if (change.get().removes()) {
                h.createUpdate("DELETE FROM <queue_limit> WHERE queue = :queue")
                        .bind("queue", queue)
                        .execute();
                return null;
            }
            // A queue without a start rate keeps an empty bucket in the columns.
            StartBucket bucket = change.get().bucket().orElse(new StartBucket(0, now));
            String columns = "max_running = :max_running, max_starts = :max_starts,"
                    + " starts_window_ms = :starts_window_ms, max_running_per_key = :max_running_per_key,"
                    + " tokens = :tokens, tokens_at = :tokens_at, updated_at = :updated_at";
            h.createUpdate(
                            stored.isPresent()
                                    ? "UPDATE <queue_limit> SET " + columns + " WHERE queue = :queue"
                                    : "INSERT INTO <queue_limit> (queue, max_running, max_starts, starts_window_ms,"
                                            + " max_running_per_key, tokens, tokens_at, updated_at) VALUES (:queue,"
                                            + " :max_running, :max_starts, :starts_window_ms, :max_running_per_key,"
                                            + " :tokens, :tokens_at, :updated_at)")
                    .bind("queue", queue)
                    .bind("max_running", boxed(limits.maxRunning()))
                    .bind(
                            "max_starts",
                            limits.maxStarts()
                                    .map(QueueLimits.StartRate::starts)
                                    .orElse(null))
                    .bind(
                            "starts_window_ms",
                            limits.maxStarts()
                                    .map(rate -> rate.per().toMillis())
                                    .orElse(null))
                    .bind("max_running_per_key", boxed(limits.maxRunningPerKey()))
                    .bind("tokens", bucket.tokens())
                    .bind("tokens_at", JobRows.toColumn(bucket.at()))
                    .bind("updated_at", JobRows.toColumn(now))
                    .execute();
            return null;
        });
    }

    private static Integer boxed(OptionalInt value) {
        return value.isPresent() ? value.getAsInt() : null;
    }

    Map<String, QueueLimits> queueLimits() {
        return tx.inTransaction(
                h -> h.createQuery("SELECT * FROM <queue_limit>").map((rs, ctx) -> LimitRow.read(rs)).list().stream()
                        .collect(Collectors.toUnmodifiableMap(LimitRow::queue, LimitRow::limits)));
    }
}
