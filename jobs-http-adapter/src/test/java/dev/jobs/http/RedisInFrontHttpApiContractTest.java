package dev.jobs.http;

import dev.jobs.core.JobEngineBuilder;
import dev.jobs.core.spi.JobStore;
import dev.jobs.queue.redis.RedisJobQueue;
import java.util.Optional;
import java.util.UUID;

/**
 * The HTTP contract with Redis dispatching in front of the store, as a deployment that scales out
 * runs it: the same answers, the same ownership and timeout rules. Redis is {@code
 * JOBS_TEST_REDIS_URL}, else 127.0.0.1:6379; a Redis that cannot be reached fails the test.
 */
class RedisInFrontHttpApiContractTest extends InMemoryHttpApiContractTest {
    private static final String REDIS = Optional.ofNullable(System.getenv("JOBS_TEST_REDIS_URL"))
            .filter(url -> !url.isBlank())
            .orElse("redis://127.0.0.1:6379");

    @Override
    JobEngineBuilder engineOn(JobStore store) {
        // Keys under a prefix of this test's own; the engine closes the queue with itself.
        String prefix = "http-contract-" + UUID.randomUUID().toString().substring(0, 8);
        return super.engineOn(store)
                .queue(observed ->
                        RedisJobQueue.builder().uri(REDIS).keyPrefix(prefix).build(observed));
    }
}
