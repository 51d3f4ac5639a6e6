package dev.jobs.queue.redis;

import dev.jobs.core.spi.JobStore;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import java.time.Clock;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The Redis the tests share, found the way the project's tests find servers: {@code
 * JOBS_TEST_REDIS_URL} first, then a Testcontainers container where a Docker engine runs, then
 * 127.0.0.1:6379. A server that cannot be reached fails the test; it is never skipped. Each test
 * works under its own key prefix, so tests never see each other's keys.
 */
final class TestRedis {
    private static String sharedUri;

    private TestRedis() {}

    static synchronized String uri() {
        if (sharedUri == null) {
            sharedUri = Optional.ofNullable(System.getenv("JOBS_TEST_REDIS_URL"))
                    .filter(v -> !v.isBlank())
                    .or(TestRedis::container)
                    .orElse("redis://127.0.0.1:6379");
            requireReachable(sharedUri);
        }
        return sharedUri;
    }

    /** A queue on the shared Redis, under a key prefix of its own, in front of {@code store}. */
    static RedisJobQueue queue(JobStore store, Clock clock) {
        return RedisJobQueue.builder()
                .uri(uri())
                .keyPrefix(freshPrefix())
                .clock(clock)
                .build(store);
    }

    /** A key prefix no other test uses. */
    static String freshPrefix() {
        return "test-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static void requireReachable(String uri) {
        RedisClient client = RedisClient.create(RedisURI.create(uri));
        try (var connection = client.connect()) {
            connection.sync().ping();
        } catch (RuntimeException e) {
            throw new IllegalStateException(
                    "no Redis at " + uri + " (" + e.getMessage() + "): start one (.ci/run installs and starts it),"
                            + " or set JOBS_TEST_REDIS_URL",
                    e);
        } finally {
            client.shutdown();
        }
    }

    private static Optional<String> container() {
        if (!DockerClientFactory.instance().isDockerAvailable()) {
            LoggerFactory.getLogger(TestRedis.class)
                    .info("no Docker engine: the Redis tests use the server on its default local port");
            return Optional.empty();
        }
        var container = new GenericContainer<>(DockerImageName.parse("redis:7-alpine")).withExposedPorts(6379);
        container.start();
        return Optional.of("redis://" + container.getHost() + ":" + container.getMappedPort(6379));
    }
}
