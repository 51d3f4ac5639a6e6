/**
 * The Redis dispatch queue, {@code dev.jobs.queue.redis.RedisJobQueue}, over Lettuce.
 */
module dev.jobs.queue.redis {
    exports dev.jobs.queue.redis;

    requires transitive dev.jobs.core;
    requires lettuce.core;
    requires org.slf4j;
}
