package dev.jobs.queue.redis;

import dev.jobs.core.DispatchDepth;
import dev.jobs.core.Job;
import dev.jobs.core.JobState;
import dev.jobs.core.QueueLimits;
import dev.jobs.core.StoreUnavailableException;
import dev.jobs.core.spi.AcquireRequest;
import dev.jobs.core.spi.ClaimPlace;
import dev.jobs.core.spi.JobQueue;
import dev.jobs.core.spi.JobStore;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dispatch through Redis, in front of any {@link JobStore}: workers take job ids from Redis with
 * one atomic script instead of querying the database, and wait for a wake-up message instead of
 * polling it.
 *
 * <p>Per queue, Redis holds a ready set (by priority, then runAt, then id), a delayed set (by
 * runAt) and an in-flight set (by when a claim lapses); see {@link QueueKeys}. The store stays the
 * truth:
 *
 * <ul>
 *   <li>jobs are published after the store committed them (the engine does so for every change it
 *       makes, whichever instance makes it);
 *   <li>an id taken from Redis is the worker's only once the store leased it ({@link
 *       JobStore#acquire(AcquireRequest, Collection)}); an id the store refuses (cancelled,
 *       already running, finished) is dropped without running anything;
 *   <li>a reconciler re-publishes every claimable job the store holds that Redis does not, at start,
 *       periodically, and within a second of Redis losing its data (restart without persistence,
 *       {@code FLUSHALL}, failover to a replica that missed writes);
 *   <li>while Redis cannot be reached, workers acquire straight from the store, so work goes on at
 *       polling speed and nothing waits for Redis.
 * </ul>
 *
 * <p>Thread-safe. Every instance sharing a store must share its Redis and key prefix.
 *
 * <pre>{@code
 * JobEngine engine = JobEngine.builder()
 *     .store(store)
 *     .queue(s -> RedisJobQueue.builder().uri("redis://localhost:6379").build(s))
 *     ...
 * }</pre>
 */
public final class RedisJobQueue implements JobQueue {
    private static final Logger log = LoggerFactory.getLogger(RedisJobQueue.class);

    /** Key prefix when none is set. */
    public static final String DEFAULT_PREFIX = "jobs";

    /** Most due delayed jobs one claim moves to ready. */
    private static final int CLAIM_STEP = 1000;

    /**
     * Most lapsed claims one claim takes back: each costs a read of its job from the store, and
     * lapses are few (a claimer that died, a job running past the claim hold, a locked row).
     */
    private static final int LAPSED_STEP = 32;

    /**
     * How long a claimed id stays in flight, at most (a shorter lease sets less): long enough for
     * the store to lease the job, short enough that an id whose claim never reached the store (the
     * claimer died, or the answer was lost with a Cluster master killed mid-claim) is back soon
     * rather than a whole lease later. When a claim lapses, the store says what became of its job:
     * still claimable, it is published again at its place; running or gone, its id is dropped.
     */
    static final Duration CLAIM_HOLD = Duration.ofSeconds(10);

    /**
     * How often, unless told otherwise, the reconciler looks whether Redis lost its data or owes a
     * pass for a write that failed: one {@code EXISTS} per queue, cheap enough to do every second.
     */
    static final Duration DEFAULT_LOSS_CHECK_INTERVAL = Duration.ofSeconds(1);

    /**
     * How soon an id the store skipped because another transaction held its row is handed out again,
     * at most: such a row is usually free within a second (a claim or an outcome being written), and
     * one held longer (a stalled worker's open transaction) costs a claim's round trip to the store
     * each time, not a wait of a whole claim hold once it is free.
     */
    static final Duration LOCKED_RECHECK = Duration.ofSeconds(1);

    /** Jobs per publish script, so one script never holds Redis for long. */
    private static final int PUBLISH_CHUNK = 500;

    private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9._:-]{1,64}");

    /** How often a failure to reach Redis is logged, at most. */
    private static final Duration LOG_EVERY = Duration.ofSeconds(30);

    private final JobStore store;
    private final Clock clock;
    private final String prefix;
    private final String wakeChannel;
    private final RedisLink link;
    private final Reconciler reconciler;

    private final Script publishScript = Script.load("publish", ScriptOutputType.INTEGER);
    private final Script claimScript = Script.load("claim", ScriptOutputType.MULTI);
    private final Script recheckScript = Script.load("recheck", ScriptOutputType.INTEGER);
    private final Script peekScript = Script.load("peek", ScriptOutputType.MULTI);

    private final WakeUps wakeUps = new WakeUps();

    /** How stale this queue's knowledge of which queues have limits may grow; another instance may set them. */
    private static final Duration LIMITS_REFRESH = Duration.ofSeconds(1);

    private volatile Set<String> limitedQueues = Set.of();
    private volatile long limitsReadAt = System.nanoTime() - LIMITS_REFRESH.toNanos();

    private final AtomicInteger rotation = new AtomicInteger();
    private final AtomicLong lastOutageLog = new AtomicLong();
    private final AtomicLong outages = new AtomicLong();

    private RedisJobQueue(Builder builder, JobStore store, RedisLink link) {
        this.store = store;
        this.clock = builder.clock;
        this.prefix = builder.prefix;
        this.wakeChannel = prefix + ":wake";
        this.link = link;
        link.wakeUps().addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String channel, String queue) {
                wake(queue);
            }
        });
        link.wakeUps().sync().subscribe(wakeChannel);
        this.reconciler = new Reconciler(
                store, this, builder.reconcileInterval, builder.lossCheckInterval, prefix.replace(':', '-'));
        reconciler.start();
    }

    public static Builder builder() {
        return new Builder();
    }

    // ---- acquisition ----

    /**
     * Queues with limits are leased straight from the store, which counts their running jobs under a
     * lock anyway: handing their ids out through Redis would only have the store refuse most of them.
     */
    @Override
    public List<Job> acquire(AcquireRequest request) {
        var leased = new ArrayList<Job>();
        Set<String> limited = limitedAmong(request.queues());
        try {
            for (String queue : rotated(request.queues())) {
                if (!limited.contains(queue)) {
                    claimFrom(queue, request, leased);
                }
                if (leased.size() == request.maxJobs()) {
                    break;
                }
            }
            if (!limited.isEmpty() && leased.size() < request.maxJobs()) {
                leased.addAll(store.acquire(new AcquireRequest(
                        request.workerId(), limited, request.maxJobs() - leased.size(), request.leaseDuration())));
            }
            return leased;
        } catch (RedisException e) {
            outage("acquiring straight from the store until it answers", e);
            int left = request.maxJobs() - leased.size();
            if (left > 0) {
                leased.addAll(store.acquire(
                        new AcquireRequest(request.workerId(), request.queues(), left, request.leaseDuration())));
            }
            return leased;
        }
    }

    /** Claims ids of one queue from Redis and has the store lease them, until enough or none left. */
    private void claimFrom(String queue, AcquireRequest request, List<Job> leased) {
        QueueKeys keys = keys(queue);
        while (leased.size() < request.maxJobs()) {
            int wanted = request.maxJobs() - leased.size();
            long now = clock.millis();
            Duration hold = request.leaseDuration().compareTo(CLAIM_HOLD) < 0 ? request.leaseDuration() : CLAIM_HOLD;
            String lapsesAt = Long.toString(now + hold.toMillis());
            List<List<String>> claimed = claimScript.run(
                    commands(),
                    List.of(keys.ready(), keys.delayed(), keys.inFlight(), keys.priorities(), keys.paused()),
                    List.of(
                            Long.toString(now),
                            lapsesAt,
                            Integer.toString(wanted),
                            Integer.toString(CLAIM_STEP),
                            Integer.toString(LAPSED_STEP)));
            List<String> ids = claimed.get(0);
            List<String> lapsed = claimed.get(1);
            if (!lapsed.isEmpty()) {
                republishAsTheStoreHasThem(queue, lapsed, lapsesAt);
            }
            if (ids.isEmpty()) {
                if (lapsed.isEmpty()) {
                    return;
                }
                continue; // the lapsed claims may be ready again
            }
            List<UUID> candidates = ids.stream()
                    .map(RedisJobQueue::uuidOrNull)
                    .filter(Objects::nonNull)
                    .toList();
            List<Job> granted = store.acquire(
                    new AcquireRequest(request.workerId(), Set.of(queue), wanted, request.leaseDuration()), candidates);
            leased.addAll(granted);
            if (granted.size() < ids.size()) {
                Set<String> grantedIds = new HashSet<>();
                granted.forEach(job -> grantedIds.add(job.id().toString()));
                var forgotten = new ArrayList<String>();
                var locked = new ArrayList<String>();
                for (String id : ids) {
                    if (!grantedIds.contains(id)) {
                        (stillClaimable(id) ? locked : forgotten).add(id);
                    }
                }
                if (!forgotten.isEmpty()) {
                    write(queue, forgotten.stream().map(Entry::forgotten).toList(), lapsesAt);
                }
                if (!locked.isEmpty()) {
                    var args = new ArrayList<String>(2 + locked.size());
                    args.add(lapsesAt);
                    args.add(Long.toString(clock.millis() + Math.min(hold.toMillis(), LOCKED_RECHECK.toMillis())));
                    args.addAll(locked);
                    recheckScript.run(commands(), List.of(keys.inFlight()), args);
                }
            }
        }
    }

    /**
     * Publishes the jobs of claims that lapsed as the store has them now: a job still claimable goes
     * back to its place in the claim order (a retry whose publish died with its worker, to the place
     * of its retry, not of the run before), one that is running or gone is forgotten. Only while
     * each is still in flight under the claim that took it back ({@code lapsesAt}): a publish since
     * then knows better.
     */
    private void republishAsTheStoreHasThem(String queue, List<String> lapsed, String lapsesAt) {
        var entries = new ArrayList<Entry>(lapsed.size());
        for (String id : lapsed) {
            UUID jobId = uuidOrNull(id);
            Optional<Job> job = jobId == null ? Optional.empty() : store.get(jobId);
            entries.add(job.map(Entry::of).orElseGet(() -> Entry.forgotten(id)));
        }
        write(queue, entries, lapsesAt);
    }

    /** Those of {@code queues} that have limits, as the store said at most {@link #LIMITS_REFRESH} ago. */
    private Set<String> limitedAmong(Set<String> queues) {
        if (queues.isEmpty()) {
            return Set.of();
        }
        long now = System.nanoTime();
        if (now - limitsReadAt >= LIMITS_REFRESH.toNanos()) {
            limitsReadAt = now;
            limitedQueues = Set.copyOf(store.queueLimits().keySet());
        }
        Set<String> limited = limitedQueues;
        if (limited.isEmpty()) {
            return Set.of();
        }
        return queues.stream().filter(limited::contains).collect(Collectors.toUnmodifiableSet());
    }

    @Override
    public void queueLimited(String queue, QueueLimits limits) {
        var limited = new HashSet<>(limitedQueues);
        if (limits.isNone()) {
            limited.remove(queue);
        } else {
            limited.add(queue);
        }
        limitedQueues = Set.copyOf(limited);
    }

    /**
     * Whether the store, having refused {@code id}, still holds its job as claimable: it skipped the
     * row because a transaction had it locked (a claim in progress elsewhere, or one whose worker
     * froze in the middle of it). Such an id stays in flight and goes back to its place after {@link
     * #LOCKED_RECHECK}; dropped, it would wait for the reconciler's next full pass.
     */
    private boolean stillClaimable(String id) {
        UUID jobId = uuidOrNull(id);
        return jobId != null
                && store.get(jobId).map(job -> job.state().isClaimable()).orElse(false);
    }

    private static UUID uuidOrNull(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            return null; // not ours; the store refuses nothing it never sees, so drop it below
        }
    }

    /** The queues in a turning order, so that a worker on many queues does not always favour one. */
    private List<String> rotated(Set<String> queues) {
        var list = new ArrayList<>(queues);
        list.sort(null);
        if (list.size() > 1) {
            Collections.rotate(list, rotation.getAndIncrement() % list.size());
        }
        return list;
    }

    // ---- publication ----

    /**
     * What a publish writes of one job: whether Redis is to hand it out (it is claimable) or forget
     * it, and its place in the claim order.
     */
    record Entry(String id, boolean claimable, int priority, Instant runAt) {
        static Entry of(Job job) {
            return new Entry(job.id().toString(), job.state().isClaimable(), job.priority(), job.runAt());
        }

        static Entry of(ClaimPlace place) {
            return new Entry(place.id().toString(), true, place.priority(), place.runAt());
        }

        /** An id to forget: the store refused it, or does not hold it (not ours, or purged). */
        static Entry forgotten(String id) {
            return new Entry(id, false, 0, Instant.EPOCH);
        }
    }

    @Override
    public void publish(Collection<Job> jobs) {
        var byQueue = new LinkedHashMap<String, List<Entry>>();
        var endedIn = new HashSet<String>();
        for (Job job : jobs) {
            if (job.state() != JobState.RUNNING) { // a running job stays in flight until it ends
                byQueue.computeIfAbsent(job.queue(), q -> new ArrayList<>()).add(Entry.of(job));
            }
            if (job.isTerminal()) {
                endedIn.add(job.queue());
            }
        }
        try {
            for (var entry : byQueue.entrySet()) {
                write(entry.getKey(), entry.getValue());
                if (limitedQueues.contains(entry.getKey()) && endedIn.contains(entry.getKey())) {
                    // A job that ended freed a slot of a limited queue: every instance's waiting workers may take one.
                    wake(entry.getKey());
                    commands().publish(wakeChannel, entry.getKey());
                }
            }
        } catch (RedisException e) {
            outage("the reconciler publishes the store's jobs once it answers", e);
            reconciler.owePass();
        }
    }

    /** Adds claimable jobs (ready or delayed) and drops the others, then wakes waiting workers. */
    void write(String queue, List<Entry> jobs) {
        write(queue, jobs, "");
    }

    /**
     * {@link #write(String, List)}, but if {@code onlyUnderClaim} is not empty, only for the jobs still
     * in flight under the claim that lapses then.
     */
    private void write(String queue, List<Entry> jobs, String onlyUnderClaim) {
        QueueKeys keys = keys(queue);
        boolean added = false;
        for (int from = 0; from < jobs.size(); from += PUBLISH_CHUNK) {
            List<Entry> chunk = jobs.subList(from, Math.min(jobs.size(), from + PUBLISH_CHUNK));
            var args = new ArrayList<String>(2 + 4 * chunk.size());
            args.add(Long.toString(clock.millis()));
            args.add(onlyUnderClaim);
            for (Entry job : chunk) {
                added |= job.claimable();
                args.add(job.id());
                args.add(job.claimable() ? "add" : "drop");
                args.add(Integer.toString(job.priority()));
                args.add(Long.toString(job.runAt().toEpochMilli()));
            }
            publishScript.run(
                    commands(), List.of(keys.ready(), keys.delayed(), keys.inFlight(), keys.priorities()), args);
        }
        if (added) {
            reconciler.watch(queue);
            // Delayed jobs wake waiters too: they may now have to wake earlier than they planned.
            wake(queue);
            commands().publish(wakeChannel, queue);
        }
    }

    // ---- waiting ----

    @Override
    public void awaitWork(Set<String> queues, Duration maxWait) throws InterruptedException {
        Map<String, Long> seen = wakeUps.note(queues);
        // Looked at after taking note of the wake-ups, so a publish in between is never missed.
        long waitMillis = maxWait.toMillis();
        long now = clock.millis();
        Set<String> limited = limitedAmong(queues);
        if (!limited.isEmpty()) {
            // The store knows when a limited queue may start a job next; Redis does not.
            var next = store.earliestRunAt(limited);
            if (next.isPresent()) {
                waitMillis = Math.min(waitMillis, Math.max(0, next.get().toEpochMilli() - now));
            }
        }
        try {
            for (String queue : queues) {
                if (limited.contains(queue)) {
                    continue;
                }
                QueueKeys keys = keys(queue);
                List<Long> state = peekScript.run(
                        commands(), List.of(keys.ready(), keys.delayed(), keys.inFlight(), keys.paused()), List.of());
                boolean paused = state.get(0) == 1;
                if (!paused && state.get(1) > 0) {
                    return;
                }
                for (int i = 2; i <= 3 && !paused; i++) {
                    if (state.get(i) >= 0) {
                        waitMillis = Math.min(waitMillis, Math.max(0, state.get(i) - now));
                    }
                }
            }
        } catch (RedisException e) {
            // Acquiring falls back to the store; wait no longer than asked and try that.
        }
        wakeUps.awaitChange(seen, waitMillis);
    }

    private void wake(String queue) {
        wakeUps.wake(queue);
    }

    /** Every publish, from any instance, reaches waiting workers as a pub/sub message. */
    @Override
    public boolean hearsOtherProcesses() {
        return true;
    }

    // ---- pause, depth, health ----

    @Override
    public void queuePaused(String queue, boolean paused) {
        try {
            setPausedFlag(queue, paused);
            if (!paused) {
                commands().publish(wakeChannel, queue);
            }
        } catch (RedisException e) {
            outage("the reconciler copies the store's paused queues once it answers", e);
            reconciler.owePass();
        }
        if (!paused) {
            // Claims refused while the queue was paused dropped their ids; put them back now.
            reconciler.runSoon();
        }
    }

    void setPausedFlag(String queue, boolean paused) {
        String key = keys(queue).paused();
        if (paused) {
            commands().set(key, "1");
        } else {
            commands().del(key);
        }
    }

    /**
     * What Redis holds for one queue.
     *
     * @throws StoreUnavailableException if Redis cannot be reached
     */
    @Override
    public Optional<DispatchDepth> depth(String queue) {
        QueueKeys keys = keys(queue);
        try {
            var commands = commands();
            return Optional.of(new DispatchDepth(
                    commands.zcard(keys.ready()),
                    commands.zcard(keys.delayed()),
                    commands.zcard(keys.inFlight()),
                    commands.exists(keys.paused()) == 1));
        } catch (RedisException e) {
            throw unavailable(e);
        }
    }

    @Override
    public void ping() {
        try {
            commands().ping();
        } catch (RedisException e) {
            throw unavailable(e);
        }
    }

    /**
     * Re-publishes, now, every claimable job the store holds that Redis does not, and copies the
     * store's paused queues to Redis. It also runs on its own; this is for tests and operators.
     *
     * @return how many jobs it re-published
     */
    public int reconcile() {
        return reconciler.reconcile();
    }

    @Override
    public void close() {
        reconciler.close();
        link.close();
    }

    // ---- shared with the reconciler and tests ----

    /** How many times Redis could not be reached; tests prove with it that Redis did the work. */
    long outages() {
        return outages.get();
    }

    QueueKeys keys(String queue) {
        return QueueKeys.of(prefix, queue);
    }

    RedisClusterCommands<String, String> commands() {
        return link.commands();
    }

    private StoreUnavailableException unavailable(RedisException e) {
        return new StoreUnavailableException(
                "Redis does not answer (" + e.getMessage() + "); check that it runs and that this host can reach it",
                e);
    }

    /** Logs that Redis cannot be reached, and what happens meanwhile, at most every half minute. */
    void outage(String meanwhile, RedisException e) {
        outages.incrementAndGet();
        long now = System.nanoTime();
        long last = lastOutageLog.get();
        if ((last == 0 || now - last > LOG_EVERY.toNanos()) && lastOutageLog.compareAndSet(last, now)) {
            log.warn("Redis cannot be reached ({}); {}", e.toString(), meanwhile);
        }
    }

    /** Settings of a {@link RedisJobQueue}; {@link #build(JobStore)} connects. */
    public static final class Builder {
        private RedisURI uri;
        private List<RedisURI> clusterUris;
        private RedisClient client;
        private RedisClusterClient clusterClient;
        private String prefix = DEFAULT_PREFIX;
        private Clock clock = Clock.systemUTC();
        private Duration reconcileInterval = Duration.ofMinutes(1);
        private Duration lossCheckInterval = DEFAULT_LOSS_CHECK_INTERVAL;

        private Builder() {}

        /**
         * A standalone Redis ({@code redis://host:6379}, {@code rediss://…} for TLS) or one found
         * through Sentinel ({@code redis-sentinel://host:26379,host2:26379/0#mymaster}).
         */
        public Builder uri(String value) {
            this.uri = RedisURI.create(Objects.requireNonNull(value, "uri"));
            return this;
        }

        /** A Redis Cluster, reached through any of these nodes ({@code redis://host:7000}). */
        public Builder cluster(String... seedUris) {
            if (seedUris.length == 0) {
                throw new IllegalArgumentException("name at least one node of the cluster");
            }
            this.clusterUris = Arrays.stream(seedUris).map(RedisURI::create).toList();
            return this;
        }

        /** A client the host made and closes itself (its own options and resources stay as they are). */
        public Builder client(RedisClient value) {
            this.client = Objects.requireNonNull(value, "client");
            return this;
        }

        /** A cluster client the host made and closes itself. */
        public Builder client(RedisClusterClient value) {
            this.clusterClient = Objects.requireNonNull(value, "client");
            return this;
        }

        /**
         * What every key starts with, so several engines' data can share one Redis. Default {@value
         * #DEFAULT_PREFIX}. Letters, digits and {@code . _ : -}, up to 64.
         */
        public Builder keyPrefix(String value) {
            if (value == null || !PREFIX.matcher(value).matches()) {
                throw new IllegalArgumentException(
                        "keyPrefix must be 1 to 64 letters, digits or . _ : - (was " + value + ")");
            }
            this.prefix = value;
            return this;
        }

        /** The clock for runAt and claim lapses; the store's clock. Default: the system's UTC clock. */
        public Builder clock(Clock value) {
            this.clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /** How often the reconciler compares the whole store with Redis. Default one minute. */
        public Builder reconcileInterval(Duration value) {
            this.reconcileInterval = positive(value, "reconcileInterval");
            return this;
        }

        /** How often the reconciler checks, cheaply, whether Redis lost its data. Default one second. */
        public Builder lossCheckInterval(Duration value) {
            this.lossCheckInterval = positive(value, "lossCheckInterval");
            return this;
        }

        private static Duration positive(Duration value, String name) {
            if (value == null || value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException(name + " must be positive, was " + value);
            }
            return value;
        }

        /**
         * Connects and starts the reconciler.
         *
         * @param store the store this queue dispatches for; the engine passes its own
         * @throws StoreUnavailableException if Redis cannot be reached
         */
        public RedisJobQueue build(JobStore store) {
            Objects.requireNonNull(store, "store");
            int given = (uri != null ? 1 : 0)
                    + (clusterUris != null ? 1 : 0)
                    + (client != null ? 1 : 0)
                    + (clusterClient != null ? 1 : 0);
            if (given != 1) {
                throw new IllegalStateException(
                        "set exactly one of uri(...), cluster(...) or client(...), to say which Redis to use");
            }
            RedisLink link;
            try {
                if (uri != null) {
                    link = RedisLink.standalone(RedisClient.create(uri), true);
                } else if (clusterUris != null) {
                    link = RedisLink.cluster(RedisClusterClient.create(clusterUris), true);
                } else if (client != null) {
                    link = RedisLink.standalone(client, false);
                } else {
                    link = RedisLink.cluster(clusterClient, false);
                }
            } catch (RedisException e) {
                throw new StoreUnavailableException(
                        "cannot connect to Redis (" + e.getMessage() + "); check that it runs and the address", e);
            }
            try {
                return new RedisJobQueue(this, store, link);
            } catch (RuntimeException e) {
                link.close();
                throw e;
            }
        }
    }
}
