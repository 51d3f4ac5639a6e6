package dev.jobs.core.spi;

import dev.jobs.core.QueueLimits;
import java.util.Map;
import java.util.Set;

/**
 * What a {@link JobStore} keeps about queues for every engine sharing it: which are paused, and the
 * limits of each.
 *
 * <p>This SPI may change between minor versions.
 */
public interface QueueSettingsStore {
    /** Pauses or resumes acquisition from a queue, for every engine sharing this store. */
    void setQueuePaused(String queue, boolean paused);

    Set<String> pausedQueues();

    /**
     * Sets a queue's limits for every engine sharing this store; {@link QueueLimits#none()} removes
     * them. Setting the limits a queue has already changes nothing, so every instance may set its
     * code's limits at start; a changed start rate starts with a full bucket.
     */
    void setQueueLimits(String queue, QueueLimits limits);

    /** Every queue that has limits, with them. */
    Map<String, QueueLimits> queueLimits();
}
