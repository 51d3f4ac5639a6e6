package dev.jobs.queue.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jobs.core.spi.JobQueue;

final class RedisQueueAssertions {
    private RedisQueueAssertions() {}

    /** Redis answered every call: no job went through the store-only fallback unnoticed. */
    static void assertNoOutage(JobQueue queue) {
        assertThat(((RedisJobQueue) queue).outages())
                .as("times Redis could not be reached")
                .isZero();
    }
}
