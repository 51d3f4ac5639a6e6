package dev.jobs.core;

import java.time.Instant;
import java.util.Objects;
import java.util.Set;

/**
 * A worker as the registry knows it: one engine's pool, or a remote worker over HTTP.
 *
 * @param id unique per worker process
 * @param host the machine it runs on
 * @param queues the queues it takes jobs from
 * @param concurrency how many jobs it runs at once
 * @param running how many it was running at its last heartbeat
 * @param startedAt when it registered
 * @param lastHeartbeatAt when it last reported
 */
public record WorkerInfo(
        String id,
        String host,
        Set<String> queues,
        int concurrency,
        int running,
        Instant startedAt,
        Instant lastHeartbeatAt) {
    public WorkerInfo {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(host, "host");
        queues = Set.copyOf(queues);
        Objects.requireNonNull(startedAt, "startedAt");
        Objects.requireNonNull(lastHeartbeatAt, "lastHeartbeatAt");
    }
}
