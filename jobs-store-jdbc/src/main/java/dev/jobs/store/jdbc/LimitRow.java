package dev.jobs.store.jdbc;

import dev.jobs.core.QueueLimits;
import dev.jobs.core.spi.JobTransaction.LimitedQueue;
import dev.jobs.core.spi.StartBucket;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.Optional;

/** A row of the queue-limit table: a queue's limits and its start bucket. */
record LimitRow(String queue, QueueLimits limits, StartBucket bucket) {
    static LimitRow read(ResultSet rs) throws SQLException {
        QueueLimits limits = QueueLimits.none();
        int maxRunning = rs.getInt("max_running");
        if (!rs.wasNull()) {
            limits = limits.withMaxRunning(maxRunning);
        }
        int maxStarts = rs.getInt("max_starts");
        if (!rs.wasNull()) {
            limits = limits.withMaxStarts(maxStarts, Duration.ofMillis(rs.getLong("starts_window_ms")));
        }
        int perKey = rs.getInt("max_running_per_key");
        if (!rs.wasNull()) {
            limits = limits.withMaxRunningPerKey(perKey);
        }
        StartBucket bucket = new StartBucket(
                rs.getDouble("tokens"), JobRows.fromColumn(rs.getObject("tokens_at", LocalDateTime.class)));
        return new LimitRow(rs.getString("queue"), limits, bucket);
    }

    /** The row as core's claims see a limited queue. */
    LimitedQueue limitedQueue() {
        return new LimitedQueue(queue, limits, Optional.of(bucket));
    }
}
