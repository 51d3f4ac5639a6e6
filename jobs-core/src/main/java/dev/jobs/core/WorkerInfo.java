package dev.jobs.core;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A worker as the registry knows it: one engine's pool, or a remote worker over HTTP.
 *
 * @param id unique per worker process
 * @param owner who may report under this id: {@link #ENGINE_OWNER} for an engine's own pool, else
 *     whoever first registered it from outside (over HTTP, a fingerprint of the caller's token).
 *     An id belongs to its owner until it stops cleanly or is pruned from the registry.
 * @param host the machine it runs on
 * @param queues the queues it takes jobs from
 * @param concurrency how many jobs it runs at once
 * @param running how many it was running at its last heartbeat
 * @param startedAt when it registered
 * @param lastHeartbeatAt when it last reported
 * @param expiresAt when it counts as dead unless it reports again; each worker sets this from its
 *     own heartbeat interval and lease length, so workers configured differently share a registry
 * @param diedAt when another instance declared it dead for falling silent (and took its jobs
 *     back); empty while it is alive. A worker that reports again is alive again.
 * @param stoppedAt when it said it was stopping and handed its jobs back; its id is then free for
 *     anyone. A worker that reports again is alive again.
 */
public record WorkerInfo(
        String id,
        String owner,
        String host,
        Set<String> queues,
        int concurrency,
        int running,
        Instant startedAt,
        Instant lastHeartbeatAt,
        Instant expiresAt,
        Optional<Instant> diedAt,
        Optional<Instant> stoppedAt) {
    /** The owner of every engine's own pool: engines sharing a store trust one another. */
    public static final String ENGINE_OWNER = "engine";

    public WorkerInfo {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(host, "host");
        queues = Set.copyOf(queues);
        Objects.requireNonNull(startedAt, "startedAt");
        Objects.requireNonNull(lastHeartbeatAt, "lastHeartbeatAt");
        Objects.requireNonNull(expiresAt, "expiresAt");
        Objects.requireNonNull(diedAt, "diedAt");
        Objects.requireNonNull(stoppedAt, "stoppedAt");
    }

    /** A live worker, as it reports itself. */
    public WorkerInfo(
            String id,
            String owner,
            String host,
            Set<String> queues,
            int concurrency,
            int running,
            Instant startedAt,
            Instant lastHeartbeatAt,
            Instant expiresAt) {
        this(
                id,
                owner,
                host,
                queues,
                concurrency,
                running,
                startedAt,
                lastHeartbeatAt,
                expiresAt,
                Optional.empty(),
                Optional.empty());
    }

    /**
     * Whether it registered from outside the host (a remote worker over HTTP, say): neither an
     * engine's pool nor a worker registered before owners were kept.
     */
    public boolean remote() {
        return !owner.isEmpty() && !owner.equals(ENGINE_OWNER);
    }

    /** Whether it still counts as running: neither declared dead nor stopped. */
    public boolean alive() {
        return diedAt.isEmpty() && stoppedAt.isEmpty();
    }

    /** This worker, declared dead at {@code when}. */
    public WorkerInfo declaredDeadAt(Instant when) {
        return ended(Optional.of(when), stoppedAt);
    }

    /** This worker, stopped at {@code when}. */
    public WorkerInfo stopped(Instant when) {
        return ended(diedAt, Optional.of(when));
    }

    private WorkerInfo ended(Optional<Instant> died, Optional<Instant> stopped) {
        return new WorkerInfo(
                id, owner, host, queues, concurrency, running, startedAt, lastHeartbeatAt, expiresAt, died, stopped);
    }
}
