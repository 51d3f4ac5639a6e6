package dev.jobs.queue.redis;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.time.Duration;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The connections the queue holds to one Redis deployment, standalone (or found through Sentinel)
 * or a Cluster: one for commands, which Lettuce multiplexes between threads, and one for wake-up
 * messages. The queue sees both through the interfaces the two kinds share.
 */
final class RedisLink implements AutoCloseable {
    /**
     * How long a command may take. While Redis is unreachable, commands fail at once rather than
     * queue up, so workers fall back to the store instead of stalling.
     */
    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(5);

    private final AbstractRedisClient client;
    private final boolean ownsClient;
    private final StatefulConnection<String, String> connection;
    private final RedisClusterCommands<String, String> commands;
    private final StatefulRedisPubSubConnection<String, String> wakeUps;

    private RedisLink(
            AbstractRedisClient client,
            boolean ownsClient,
            StatefulConnection<String, String> connection,
            RedisClusterCommands<String, String> commands,
            StatefulRedisPubSubConnection<String, String> wakeUps) {
        this.client = client;
        this.ownsClient = ownsClient;
        this.connection = connection;
        this.commands = commands;
        this.wakeUps = wakeUps;
    }

    static RedisLink standalone(RedisClient client, boolean ownsClient) {
        if (ownsClient) {
            client.setOptions(ClientOptions.builder()
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .timeoutOptions(TimeoutOptions.enabled(COMMAND_TIMEOUT))
                    .build());
        }
        return open(client, ownsClient, client::connect, StatefulRedisConnection::sync, client::connectPubSub);
    }

    static RedisLink cluster(RedisClusterClient client, boolean ownsClient) {
        if (ownsClient) {
            // Commands wait for a node connection while it (re)connects, up to the timeout: the
            // cluster opens node connections lazily, and rejecting would fail the first command.
            client.setOptions(ClusterClientOptions.builder()
                    .timeoutOptions(TimeoutOptions.enabled(COMMAND_TIMEOUT))
                    // Follow failovers and resharding as soon as a node redirects or drops. Lettuce
                    // lets adaptive refreshes run once per 30 s by default: one that ran as a master
                    // died, before its replica took over, then kept the dead master for the rest
                    // of those 30 s, and the queue's commands timed out against it all that time.
                    .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                            .enableAllAdaptiveRefreshTriggers()
                            .adaptiveRefreshTriggersTimeout(Duration.ofSeconds(1))
                            .refreshTriggersReconnectAttempts(1)
                            .enablePeriodicRefresh(Duration.ofSeconds(30))
                            .build())
                    .build());
        }
        return open(client, ownsClient, client::connect, StatefulRedisClusterConnection::sync, client::connectPubSub);
    }

    /** Opens both connections; on failure closes what opened, and the client if it is ours. */
    private static <C extends StatefulConnection<String, String>> RedisLink open(
            AbstractRedisClient client,
            boolean ownsClient,
            Supplier<C> connect,
            Function<C, RedisClusterCommands<String, String>> sync,
            Supplier<StatefulRedisPubSubConnection<String, String>> connectPubSub) {
        try {
            C connection = connect.get();
            try {
                return new RedisLink(client, ownsClient, connection, sync.apply(connection), connectPubSub.get());
            } catch (RuntimeException e) {
                connection.close();
                throw e;
            }
        } catch (RuntimeException e) {
            if (ownsClient) {
                client.shutdown();
            }
            throw e;
        }
    }

    RedisClusterCommands<String, String> commands() {
        return commands;
    }

    StatefulRedisPubSubConnection<String, String> wakeUps() {
        return wakeUps;
    }

    @Override
    public void close() {
        wakeUps.close();
        connection.close();
        if (ownsClient) {
            client.shutdown();
        }
    }
}
