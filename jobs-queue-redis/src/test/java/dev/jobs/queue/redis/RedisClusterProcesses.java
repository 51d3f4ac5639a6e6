package dev.jobs.queue.redis;

import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A Redis Cluster of three masters on loopback ports, made from the {@code redis-server} binary: each
 * node gets a third of the 16,384 slots, they meet, and the cluster is used once every node reports
 * it healthy.
 */
final class RedisClusterProcesses implements AutoCloseable {
    private static final int SLOTS = 16384;
    private static final Duration FORM_TIMEOUT = Duration.ofSeconds(30);

    private final List<RedisServerProcess> nodes = new ArrayList<>();

    static RedisClusterProcesses start(int masters) {
        var cluster = new RedisClusterProcesses();
        try {
            for (int i = 0; i < masters; i++) {
                int port = RedisServerProcess.freePort();
                cluster.nodes.add(RedisServerProcess.start(
                        List.of("--cluster-enabled", "yes", "--cluster-config-file", "nodes-" + port + ".conf")));
            }
            cluster.form();
            return cluster;
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    private void form() {
        var clients = new ArrayList<RedisClient>();
        var connections = new ArrayList<StatefulRedisConnection<String, String>>();
        try {
            for (RedisServerProcess node : nodes) {
                RedisClient client = RedisClient.create(RedisURI.create(node.uri()));
                clients.add(client);
                connections.add(client.connect());
            }
            for (int i = 0; i < nodes.size(); i++) {
                int from = SLOTS * i / nodes.size();
                int to = SLOTS * (i + 1) / nodes.size() - 1;
                connections.get(i).sync().clusterAddSlotsRange(Range.create(from, to));
            }
            for (int i = 1; i < nodes.size(); i++) {
                connections.get(0).sync().clusterMeet("127.0.0.1", nodes.get(i).port());
            }
            long deadline = System.nanoTime() + FORM_TIMEOUT.toNanos();
            while (!connections.stream().allMatch(this::healthy)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the test cluster did not form within " + FORM_TIMEOUT + ": "
                            + connections.get(0).sync().clusterInfo());
                }
                RedisServerProcess.sleep(Duration.ofMillis(100));
            }
        } finally {
            connections.forEach(StatefulRedisConnection::close);
            clients.forEach(RedisClient::shutdown);
        }
    }

    private boolean healthy(StatefulRedisConnection<String, String> connection) {
        String info = connection.sync().clusterInfo();
        return info.contains("cluster_state:ok") && info.contains("cluster_known_nodes:" + nodes.size());
    }

    /** A seed URI per node. */
    String[] uris() {
        return nodes.stream().map(RedisServerProcess::uri).toArray(String[]::new);
    }

    @Override
    public void close() {
        nodes.forEach(RedisServerProcess::close);
    }
}
