package dev.jobs.queue.redis;

import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * A Redis Cluster on loopback ports, made from the {@code redis-server} binary: each master gets
 * its share of the 16,384 slots, the nodes meet, replicas (if asked for) follow their masters, and
 * the cluster is used once every node reports it healthy. Nodes give up on a silent peer after
 * two seconds, so a replica takes over from a killed master quickly.
 */
final class RedisClusterProcesses implements AutoCloseable {
    private static final int SLOTS = 16384;
    /**
     * How long the cluster may take to form, or to settle after a change: its nodes agree within a
     * few node timeouts (two seconds each here); thirty seconds is several times that.
     */
    private static final Duration FORM_TIMEOUT = Duration.ofSeconds(30);

    private static final String NODE_TIMEOUT_MILLIS = "2000";

    private final List<RedisServerProcess> nodes = new ArrayList<>();
    private final List<RedisServerProcess> masters = new ArrayList<>();

    /** A cluster of {@code masters} masters and no replicas. */
    static RedisClusterProcesses start(int masters) {
        return start(masters, 0);
    }

    /** A cluster of {@code masters} masters, each with {@code replicasEach} replicas. */
    static RedisClusterProcesses start(int masters, int replicasEach) {
        var cluster = new RedisClusterProcesses();
        try {
            for (int i = 0; i < masters * (1 + replicasEach); i++) {
                int port = RedisServerProcess.freePort();
                RedisServerProcess node = RedisServerProcess.start(List.of(
                        "--cluster-enabled",
                        "yes",
                        "--cluster-config-file",
                        "nodes-" + port + ".conf",
                        "--cluster-node-timeout",
                        NODE_TIMEOUT_MILLIS));
                cluster.nodes.add(node);
                if (i < masters) {
                    cluster.masters.add(node);
                }
            }
            cluster.form(replicasEach);
            return cluster;
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    private void form(int replicasEach) {
        var clients = new ArrayList<RedisClient>();
        var connections = new ArrayList<StatefulRedisConnection<String, String>>();
        try {
            for (RedisServerProcess node : nodes) {
                RedisClient client = RedisClient.create(RedisURI.create(node.uri()));
                clients.add(client);
                connections.add(client.connect());
            }
            for (int i = 0; i < masters.size(); i++) {
                int from = SLOTS * i / masters.size();
                int to = SLOTS * (i + 1) / masters.size() - 1;
                connections.get(i).sync().clusterAddSlotsRange(Range.create(from, to));
            }
            for (int i = 1; i < nodes.size(); i++) {
                connections.get(0).sync().clusterMeet("127.0.0.1", nodes.get(i).port());
            }
            await(
                    () -> connections.stream()
                            .allMatch(c -> c.sync().clusterInfo().contains("cluster_known_nodes:" + nodes.size())),
                    connections);
            for (int r = masters.size(); r < nodes.size(); r++) {
                String masterId = connections
                        .get((r - masters.size()) / replicasEach)
                        .sync()
                        .clusterMyId();
                connections.get(r).sync().clusterReplicate(masterId);
            }
            await(
                    () -> connections.stream().allMatch(this::healthy)
                            && connections.subList(masters.size(), nodes.size()).stream()
                                    .allMatch(c -> c.sync().info("replication").contains("master_link_status:up")),
                    connections);
        } finally {
            connections.forEach(StatefulRedisConnection::close);
            clients.forEach(RedisClient::shutdown);
        }
    }

    private void await(BooleanSupplier formed, List<StatefulRedisConnection<String, String>> nodes) {
        long deadline = System.nanoTime() + FORM_TIMEOUT.toNanos();
        while (!formed.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the test cluster did not form within " + FORM_TIMEOUT + ": "
                        + nodes.get(0).sync().clusterInfo());
            }
            RedisServerProcess.sleep(Duration.ofMillis(100));
        }
    }

    /**
     * Kills, as a crash would, the master holding the most keys (the queue keeps its keys in one
     * slot), and waits until the cluster is whole again, one of that master's replicas in its place.
     *
     * @return the killed master's port
     */
    int killBusiestMaster() {
        RedisServerProcess busiest = null;
        long most = -1;
        for (RedisServerProcess master : masters) {
            long keys = withNode(master, c -> c.sync().dbsize());
            if (keys > most) {
                most = keys;
                busiest = master;
            }
        }
        RedisServerProcess killed = busiest;
        killed.stop();
        masters.remove(killed);
        nodes.remove(killed);
        long deadline = System.nanoTime() + FORM_TIMEOUT.toNanos();
        while (!nodes.stream()
                .allMatch(node -> withNode(node, c -> c.sync().clusterInfo().contains("cluster_state:ok")))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no replica took over from the killed master within " + FORM_TIMEOUT);
            }
            RedisServerProcess.sleep(Duration.ofMillis(100));
        }
        return killed.port();
    }

    private static <T> T withNode(RedisServerProcess node, Function<StatefulRedisConnection<String, String>, T> call) {
        RedisClient client = RedisClient.create(RedisURI.create(node.uri()));
        try (var connection = client.connect()) {
            return call.apply(connection);
        } finally {
            client.shutdown();
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
