package dev.jobs.store.jdbc;

import dev.jobs.core.Job;
import dev.jobs.core.spi.support.JobIds;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where a store's claims on a queue start while full claims are slow. A claim walks the claim index
 * from its head, and the head is where the jobs already claimed left their entries: while a
 * long-open snapshot holds vacuum back those entries cannot be removed, and every claim steps
 * through all of them before it reaches a claimable job. So once a full claim takes {@link
 * #slowClaim} or longer, the store remembers the claim key (priority, runAt, id) of the first job
 * it took, and the next claims start there ({@code (priority, run_at, id) >= floor}), past the pile.
 *
 * <p>A job that sorts below the floor would be missed by such a claim, so the floor goes as soon as
 * this store makes one claimable (a create, a retry, a released dependent) and, for those other
 * instances make, a claim is a full one again after a second or so (longer while full claims are
 * very slow: twenty times the last one's duration, at most five seconds). That full claim is made
 * by one claim alone, while the queue's other claims go on from the old floor, so a slow walk of the
 * index is not made by every worker at once. While claims are fast there is no floor, and claims
 * are in exact order. Thread-safe.
 */
final class ClaimFloors {
    /** A full claim this slow means dead entries are piling up at the head of the claim index. */
    static final Duration DEFAULT_SLOW_CLAIM = Duration.ofMillis(5);

    private static final Duration MIN_LIFETIME = Duration.ofSeconds(1);
    static final Duration MAX_LIFETIME = Duration.ofSeconds(5);

    /** A job's place in claim order. */
    record Key(int priority, Instant runAt, UUID id) {
        static final Comparator<Key> ORDER =
                Comparator.comparingInt(Key::priority).thenComparing(Key::runAt).thenComparing(Key::id, JobIds.ORDER);

        static Key of(Job job) {
            return new Key(job.priority(), job.runAt(), job.id());
        }
    }

    /**
     * A floor, set at {@code setAtNanos} for {@code lifetimeNanos}; {@code refreshingSinceNanos} is
     * when a claim set out to replace it with a full claim, {@link #NOT_REFRESHING} before that.
     */
    private record Floor(Key key, long setAtNanos, long lifetimeNanos, long refreshingSinceNanos) {
        Floor at(Key moved) {
            return new Floor(moved, setAtNanos, lifetimeNanos, refreshingSinceNanos);
        }

        boolean expired(long nowNanos) {
            return nowNanos - setAtNanos >= lifetimeNanos;
        }

        /** Whether a claim is making the full claim that replaces this floor, and has not given up. */
        boolean refreshing(long nowNanos) {
            return refreshingSinceNanos != NOT_REFRESHING && nowNanos - refreshingSinceNanos < MAX_LIFETIME.toNanos();
        }
    }

    private static final long NOT_REFRESHING = Long.MIN_VALUE;

    /** Floors for none: for databases whose claim index cannot start part-way along a queue. */
    static final ClaimFloors NONE = new ClaimFloors(null);

    /** Null for {@link #NONE}. */
    private final Duration slowClaim;

    private final Map<String, Floor> floors = new ConcurrentHashMap<>();

    ClaimFloors(Duration slowClaim) {
        this.slowClaim = slowClaim;
    }

    /**
     * The queue whose floor a claim on {@code queues} may start from: floors are per queue, for a
     * claim that walks one queue's stretch of the index (not one among a dispatch queue's ids).
     */
    Optional<String> floorable(List<String> queues, boolean amongIds) {
        return slowClaim != null && !amongIds && queues.size() == 1 ? Optional.of(queues.get(0)) : Optional.empty();
    }

    /**
     * Where the next claim on {@code queue} starts; empty for a full claim from the index's head.
     * Once the floor's lifetime is over, the first claim to ask makes the full claim, and the others
     * start from the floor until that claim {@link #claimed reports}.
     */
    Optional<Key> start(String queue, long nowNanos) {
        Floor floor = floors.get(queue);
        if (floor == null) {
            return Optional.empty();
        }
        if (floor.expired(nowNanos) && !floor.refreshing(nowNanos)) {
            Floor refreshing = new Floor(floor.key(), floor.setAtNanos(), floor.lifetimeNanos(), nowNanos);
            if (floors.replace(queue, floor, refreshing)) {
                return Optional.empty();
            }
        }
        return Optional.of(floors.getOrDefault(queue, floor).key());
    }

    /**
     * Where the queue's claims start now, for a look at the queue that claims nothing (when the next
     * job is due): it never makes the full claim an expired floor waits for.
     */
    Optional<Key> current(String queue) {
        return Optional.ofNullable(floors.get(queue)).map(Floor::key);
    }

    /**
     * A claim on {@code queue} took {@code took} and leased {@code claimed}, starting at {@code
     * from} (empty: a full claim). A slow full claim sets a floor at the first job it took; a claim
     * from a floor moves it up to the first job it took, keeping its lifetime.
     */
    void claimed(String queue, Optional<Key> from, Duration took, List<Job> claimed, long startedNanos) {
        Optional<Key> first = claimed.stream().map(Key::of).min(Key.ORDER);
        if (from.isPresent()) {
            first.ifPresent(key -> floors.computeIfPresent(queue, (q, floor) -> floor.at(key)));
            return;
        }
        if (took.compareTo(slowClaim) < 0 || first.isEmpty()) {
            floors.remove(queue);
            return;
        }
        long lifetime = Math.min(
                MAX_LIFETIME.toNanos(),
                Math.max(MIN_LIFETIME.toNanos(), took.multipliedBy(20).toNanos()));
        floors.put(queue, new Floor(first.get(), startedNanos, lifetime, NOT_REFRESHING));
    }

    /** This store made {@code jobs} claimable: a floor above any of them goes, so the next claim sees it. */
    void admitted(List<Job> jobs) {
        if (floors.isEmpty()) {
            return;
        }
        for (Job job : jobs) {
            Floor floor = floors.get(job.queue());
            if (floor != null && job.state().isClaimable() && Key.ORDER.compare(Key.of(job), floor.key()) < 0) {
                floors.remove(job.queue(), floor);
            }
        }
    }
}
