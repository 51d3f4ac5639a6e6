package dev.jobs.store.jdbc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.zaxxer.hikari.HikariDataSource;
import dev.jobs.core.FinishedInMinute;
import dev.jobs.core.HeartbeatResult;
import dev.jobs.core.Job;
import dev.jobs.core.JobCheckpoint;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobError;
import dev.jobs.core.JobPage;
import dev.jobs.core.JobQuery;
import dev.jobs.core.JobSpec;
import dev.jobs.core.JobStep;
import dev.jobs.core.ParentResult;
import dev.jobs.core.PurgeRequest;
import dev.jobs.core.QueueCounts;
import dev.jobs.core.QueueLimits;
import dev.jobs.core.QueueStats;
import dev.jobs.core.StoppedWorker;
import dev.jobs.core.StoreUnavailableException;
import dev.jobs.core.WorkerInfo;
import dev.jobs.core.spi.AcquireRequest;
import dev.jobs.core.spi.ClaimPlace;
import dev.jobs.core.spi.Completion;
import dev.jobs.core.spi.CompletionResult;
import dev.jobs.core.spi.DeadWorker;
import dev.jobs.core.spi.HostTransactionStore;
import dev.jobs.core.spi.JobStore;
import dev.jobs.core.spi.LapsedLeasePolicy;
import dev.jobs.core.spi.NewJob;
import dev.jobs.core.spi.RecurringRecord;
import dev.jobs.core.spi.StoreHealth;
import dev.jobs.core.spi.Transition;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The system of record in a relational database: PostgreSQL 12+, MySQL 8 / MariaDB 10.6+ or H2
 * 2.x, through Jdbi over a HikariCP pool (or the host's {@link DataSource}). The schema is created
 * and migrated on start. Many engine instances on many machines may share one database: every
 * change locks the rows it reads ({@code SELECT … FOR UPDATE}, claims with {@code SKIP LOCKED}) and
 * commits a job together with the dependents it releases or cancels.
 *
 * <p>This class puts the store together and hands each call to the part whose concern it is: {@link
 * JobCreation}, {@link Claims}, {@link Outcomes}, {@link JobQueries}, {@link Retention}, {@link
 * QueueSettings}, {@link WorkerRegistry}, {@link RecurringDefinitions} and {@link Notifications},
 * over the job rows ({@link JobTable}), their keys ({@link JobKeys}), the dependency cascade
 * (core's {@link dev.jobs.core.spi.support.DependencyCascade}) and the transactions they all run in ({@link Transactions}). What
 * differs between databases is in the {@link SqlDialect} picked from the connection's metadata.
 * Thread-safe.
 */
public final class JdbcJobStore implements JobStore, HostTransactionStore {
    private static final Logger log = LoggerFactory.getLogger(JdbcJobStore.class);

    /** Table prefix when none is configured. */
    public static final String DEFAULT_TABLE_PREFIX = "jobs_";

    /**
     * The longest a claim may start part-way along the claim index, past the entries of jobs already
     * claimed, before a claim from its head looks again (PostgreSQL, only while claims are slow:
     * see {@code ClaimFloors}). A job that becomes claimable behind such a start without this store
     * instance making it so (another instance did, or a transaction that held its row rolled back)
     * may wait this long, and one claim from the head, before a claim reaches it.
     */
    public static final Duration CLAIM_FLOOR_MAX_LIFETIME = ClaimFloors.MAX_LIFETIME;

    /** Prefixes are pasted into SQL, so they are held to a safe identifier alphabet. */
    private static final Pattern TABLE_PREFIX = Pattern.compile("[a-z][a-z0-9_]{0,30}");

    /** The store's tables, each named {@code <prefix><table>} (besides {@code schema_version}, the migrator's). */
    private static final List<String> TABLES = List.of(
            "job",
            "dependency",
            "unique_key",
            "idempotency_key",
            "paused_queue",
            "worker",
            "recurring",
            "queue_limit",
            "finished_count",
            "unannounced",
            "step",
            "checkpoint");

    /** The job table's partitions, where it has them (PostgreSQL, schema V7): their upkeep is what matters. */
    private static final List<String> JOB_PARTITIONS = List.of("job_live", "job_history");

    private final SqlDialect dialect;
    private final Transactions tx;
    private final HikariDataSource ownedPool;
    private final JobCreation creation;
    private final Unannounced unannounced;
    private final DurableWorkRecords durableWork;
    private final Claims claims;
    private final Outcomes outcomes;
    private final JobQueries queries;
    private final Retention retention;
    private final QueueSettings settings;
    private final WorkerRegistry workers;
    private final RecurringDefinitions recurring;
    private final Notifications notifications;

    private JdbcJobStore(Builder builder, DataSource dataSource, HikariDataSource ownedPool) {
        this.ownedPool = ownedPool;
        String channel = builder.tablePrefix + "ready";
        String prefix = builder.tablePrefix;
        Jdbi jdbi = Jdbi.create(dataSource);
        this.dialect = SqlDialect.detect(jdbi);
        var inserts = SqlStatements.load(dialect, "insert-if-absent");
        var finishedCounts = new FinishedCounts(inserts);
        this.tx = new Transactions(jdbi, dialect, finishedCounts, builder.clock);
        for (String table : TABLES) {
            tx.define(table, prefix + table);
        }
        var rows = new JobRows(builder.mapper, dialect);
        var claimFloors = dialect.claimsFromAFloor() ? new ClaimFloors(builder.slowClaim) : ClaimFloors.NONE;
        var keys = new JobKeys(dialect, inserts);
        var jobStatements = SqlStatements.load(dialect, "jobs");
        var claimStatements = SqlStatements.load(dialect, "claims");
        var claimRows = new ClaimRows(dialect, claimStatements, rows);
        var durableRows = new DurableWorkRows(dialect, rows);
        var table = new JobTable(
                dialect, jobStatements, rows, finishedCounts, claimFloors, keys, claimRows, durableRows, channel);
        this.unannounced = new Unannounced(tx, dialect, table);
        this.durableWork = new DurableWorkRecords(tx, table, durableRows);
        this.creation = new JobCreation(tx, table, unannounced);
        this.outcomes = new Outcomes(tx, dialect, jobStatements, rows, table, keys, finishedCounts);
        tx.mendWith(outcomes::mend);
        this.settings = new QueueSettings(tx, inserts);
        this.claims = new Claims(tx, dialect, claimStatements, rows, table, claimRows, claimFloors, outcomes);
        List<String> tables = Stream.concat(TABLES.stream(), JOB_PARTITIONS.stream())
                .map(t -> prefix + t)
                .toList();
        this.queries = new JobQueries(
                tx,
                dialect,
                SqlStatements.load(dialect, "statistics"),
                rows,
                table,
                settings,
                tables,
                builder.vacuumHeldBackAfter);
        this.retention = new Retention(tx, dialect, finishedCounts);
        this.workers = new WorkerRegistry(tx, table);
        this.recurring = new RecurringDefinitions(tx, inserts, rows, creation);
        this.notifications = new Notifications(
                dialect,
                channel,
                Notifications.listenConnections(
                        dialect,
                        builder.listenJdbcUrl,
                        builder.listenUsername != null ? builder.listenUsername : builder.username,
                        builder.listenUsername != null ? builder.listenPassword : builder.password,
                        builder.behindTransactionPooler,
                        dataSource),
                builder.listenJdbcUrl != null);
        if (builder.behindTransactionPooler) {
            StorePool.requireNoSessionState(jdbi, dialect, tx.readCommittedByDefault());
        }
        if (builder.migrate) {
            new SchemaMigrator(jdbi, dialect, prefix).migrate();
        }
        log.info(
                "JDBC job store on {} with table prefix '{}'{}",
                dialect.name(),
                prefix,
                builder.behindTransactionPooler ? ", behind a transaction pooler" : "");
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Every table the store creates, without the table prefix, the migrator's {@code schema_version}
     * last: for a host that backs them up or drops them.
     */
    public static List<String> tableNames() {
        return Stream.concat(TABLES.stream(), Stream.of("schema_version")).toList();
    }

    /** The database this store found behind its connection: {@code postgresql}, {@code mariadb} or {@code h2}. */
    public String databaseName() {
        return dialect.name();
    }

    /**
     * Creates jobs inside the host's own transaction on {@code connection}: they exist only if the
     * host commits it. Idle workers hear of them when it does (on PostgreSQL through NOTIFY, which is
     * sent on commit); elsewhere they find them at their next poll. The connection is left open and
     * its transaction untouched.
     *
     * <p>The same as {@link JobEngine#enqueueIn(Connection, List)}, which this calls: {@code engine}
     * validates the specs, gives them ids and creates them in its store, which must be a JDBC store.
     *
     * @throws JobValidationException naming every rejected field; nothing is written
     */
    public List<Job> enqueueIn(Connection connection, JobEngine engine, List<JobSpec> specs) {
        return engine.enqueueIn(connection, specs);
    }

    @Override
    public List<Job> createIn(Connection connection, List<NewJob> jobs) {
        return creation.createIn(connection, jobs);
    }

    @Override
    public List<JobStep> steps(UUID jobId) {
        return durableWork.steps(jobId);
    }

    @Override
    public JobStep recordStep(UUID jobId, UUID leaseToken, int index, String name, JsonNode result) {
        return durableWork.record(jobId, leaseToken, index, name, result);
    }

    @Override
    public Optional<JobCheckpoint> checkpoint(UUID jobId) {
        return durableWork.checkpoint(jobId);
    }

    @Override
    public JobCheckpoint saveCheckpoint(UUID jobId, UUID leaseToken, JsonNode state) {
        return durableWork.saveCheckpoint(jobId, leaseToken, state);
    }

    @Override
    public List<ParentResult> parentResults(UUID jobId) {
        return durableWork.parentResults(jobId);
    }

    @Override
    public List<Job> takeUnannounced(int max) {
        return unannounced.take(max);
    }

    /** As {@link #enqueueIn(Connection, JobEngine, List)}, in the transaction of the host's Jdbi handle. */
    public List<Job> enqueueIn(Handle handle, JobEngine engine, List<JobSpec> specs) {
        return enqueueIn(handle.getConnection(), engine, specs);
    }

    @Override
    public List<Job> create(List<NewJob> batch) {
        return creation.create(batch);
    }

    @Override
    public List<Job> acquire(AcquireRequest request) {
        return claims.acquire(request);
    }

    @Override
    public List<Job> acquire(AcquireRequest request, Collection<UUID> candidates) {
        return claims.acquire(request, candidates);
    }

    @Override
    public HeartbeatResult heartbeat(UUID jobId, UUID leaseToken, Duration leaseDuration) {
        return outcomes.heartbeat(jobId, leaseToken, leaseDuration);
    }

    @Override
    public Job reportProgress(UUID jobId, UUID leaseToken, int progress, Optional<String> message) {
        return outcomes.reportProgress(jobId, leaseToken, progress, message);
    }

    @Override
    public Transition complete(UUID jobId, UUID leaseToken, Optional<JsonNode> result) {
        return outcomes.complete(jobId, leaseToken, result);
    }

    @Override
    public List<CompletionResult> completeAll(List<Completion> completions) {
        return outcomes.completeAll(completions);
    }

    @Override
    public Transition fail(UUID jobId, UUID leaseToken, JobError error, Optional<Instant> retryAt) {
        return outcomes.fail(jobId, leaseToken, error, retryAt);
    }

    @Override
    public Transition cancelRunning(UUID jobId, UUID leaseToken, JobError reason) {
        return outcomes.cancelRunning(jobId, leaseToken, reason);
    }

    @Override
    public Transition snooze(UUID jobId, UUID leaseToken, Instant runAt) {
        return outcomes.snooze(jobId, leaseToken, runAt);
    }

    @Override
    public Transition release(UUID jobId, UUID leaseToken) {
        return outcomes.release(jobId, leaseToken);
    }

    @Override
    public Transition cancel(UUID jobId) {
        return outcomes.cancel(jobId);
    }

    @Override
    public Transition retry(UUID jobId) {
        return outcomes.retry(jobId);
    }

    @Override
    public List<Transition> reclaimExpiredLeases(int limit, LapsedLeasePolicy policy) {
        return outcomes.reclaimExpiredLeases(limit, policy);
    }

    @Override
    public List<Job> promoteDueJobs(int limit) {
        return outcomes.promoteDueJobs(limit);
    }

    @Override
    public Optional<Instant> earliestRunAt(Set<String> queues) {
        return claims.earliestRunAt(queues);
    }

    @Override
    public Optional<Job> get(UUID jobId) {
        return queries.get(jobId);
    }

    @Override
    public List<ClaimPlace> claimOrder(String queue, Optional<ClaimPlace> after, int limit) {
        return claims.claimOrder(queue, after, limit);
    }

    @Override
    public JobPage list(JobQuery query) {
        return queries.list(query);
    }

    @Override
    public List<QueueCounts> counts() {
        return queries.counts();
    }

    @Override
    public List<QueueStats> queueStats(Instant finishedSince) {
        return queries.queueStats(finishedSince);
    }

    @Override
    public List<FinishedInMinute> finishedPerMinute(Instant since) {
        return queries.finishedPerMinute(since);
    }

    @Override
    public int purge(PurgeRequest request) {
        return retention.purge(request);
    }

    @Override
    public RecurringRecord saveRecurring(String name, String schedule, JsonNode definition, Instant upToIfNew) {
        return recurring.saveRecurring(name, schedule, definition, upToIfNew);
    }

    @Override
    public List<RecurringRecord> recurringJobs() {
        return recurring.recurringJobs();
    }

    @Override
    public Optional<RecurringRecord> recurringJob(String name) {
        return recurring.recurringJob(name);
    }

    @Override
    public boolean deleteRecurring(String name) {
        return recurring.deleteRecurring(name);
    }

    @Override
    public Optional<List<Job>> advanceRecurring(String name, long expectedVersion, Instant upTo, List<NewJob> jobs) {
        return recurring.advanceRecurring(name, expectedVersion, upTo, jobs);
    }

    @Override
    public void setQueuePaused(String queue, boolean paused) {
        settings.setQueuePaused(queue, paused);
    }

    @Override
    public Set<String> pausedQueues() {
        return settings.pausedQueues();
    }

    @Override
    public void setQueueLimits(String queue, QueueLimits limits) {
        settings.setQueueLimits(queue, limits);
    }

    @Override
    public Map<String, QueueLimits> queueLimits() {
        return settings.queueLimits();
    }

    @Override
    public void registerWorker(WorkerInfo worker) {
        workers.registerWorker(worker);
    }

    @Override
    public void removeWorker(String workerId) {
        workers.removeWorker(workerId);
    }

    @Override
    public List<WorkerInfo> workers() {
        return workers.workers();
    }

    @Override
    public List<WorkerInfo> workers(Optional<String> after, int limit) {
        return workers.workers(after, limit);
    }

    @Override
    public Optional<WorkerInfo> worker(String id) {
        return workers.worker(id);
    }

    @Override
    public List<DeadWorker> reapDeadWorkers(LapsedLeasePolicy policy) {
        return workers.reapDeadWorkers(policy);
    }

    @Override
    public Optional<StoppedWorker> stopWorker(String workerId) {
        return workers.stopWorker(workerId);
    }

    @Override
    public int removeWorkersSilentSince(Instant cutoff) {
        return workers.removeWorkersSilentSince(cutoff);
    }

    @Override
    public Optional<StoreHealth> health() {
        return queries.health();
    }

    @Override
    public boolean subscribe(Consumer<String> onQueueChanged) {
        return notifications.subscribe(onQueueChanged);
    }

    @Override
    public void close() {
        notifications.stop();
        if (ownedPool != null) {
            ownedPool.close();
        }
    }

    /** See {@link Claims#explainClaim}. */
    List<String> explainClaim(String queue, int max) {
        return claims.explainClaim(queue, max);
    }

    /** See {@link JobQueries#explainLiveCounts}. */
    List<String> explainLiveCounts() {
        return queries.explainLiveCounts();
    }

    /** See {@link Outcomes#explainCompletion}. */
    List<String> explainCompletion(List<UUID> ids) {
        return outcomes.explainCompletion(ids);
    }

    /** A setting of the store's own database sessions, for tests of how the store configures them. */
    String sessionSetting(String name) {
        return tx.inTransaction(h -> h.createQuery("SELECT current_setting(:name)")
                .bind("name", name)
                .mapTo(String.class)
                .one());
    }

    /** Configures a store; {@link #build()} connects, picks the dialect and migrates. Not thread-safe. */
    public static final class Builder {
        /**
         * An open snapshot older than this holds vacuum back long enough to matter: autovacuum (whose
         * naptime is a minute) has looked at the tables a couple of times and could reclaim nothing
         * that died since.
         */
        public static final Duration DEFAULT_VACUUM_HELD_BACK_AFTER = Duration.ofMinutes(2);

        /** Connections in a pool the store creates itself. */
        public static final int DEFAULT_POOL_SIZE = 10;

        /**
         * The longest the store's own pool waits for the database to answer one statement, or to
         * open a connection. Every statement of the store's is short; one that waits longer is on a
         * connection the network has cut, and without a limit it would wait for ever: heartbeats,
         * claims and outcomes stuck behind it while leases lapse.
         */
        public static final Duration DEFAULT_NETWORK_TIMEOUT = Duration.ofSeconds(30);

        private DataSource dataSource;
        private String jdbcUrl;
        private String username;
        private String password;
        private int poolSize = DEFAULT_POOL_SIZE;
        private String tablePrefix = DEFAULT_TABLE_PREFIX;
        private Clock clock = Clock.systemUTC();
        private ObjectMapper mapper =
                JsonMapper.builder().addModule(new JavaTimeModule()).build();
        private boolean migrate = true;
        private boolean behindTransactionPooler;
        private Duration vacuumHeldBackAfter = DEFAULT_VACUUM_HELD_BACK_AFTER;
        private Duration slowClaim = ClaimFloors.DEFAULT_SLOW_CLAIM;
        private String listenJdbcUrl;
        private String listenUsername;
        private String listenPassword;
        private Duration networkTimeout = DEFAULT_NETWORK_TIMEOUT;

        private Builder() {}

        /**
         * See {@link #DEFAULT_NETWORK_TIMEOUT}; {@link Duration#ZERO} waits for ever. For the pool
         * the store creates from a PostgreSQL or MariaDB/MySQL {@code jdbcUrl}; a host's {@code
         * dataSource} keeps its own settings. Schema migrations run without it.
         */
        public Builder networkTimeout(Duration value) {
            Objects.requireNonNull(value, "networkTimeout");
            if (value.isNegative() || (!value.isZero() && value.toMillis() < 1000)) {
                throw new IllegalArgumentException(
                        "networkTimeout must be zero (none) or at least one second, was " + value);
            }
            networkTimeout = value;
            return this;
        }

        /** Use the host's pool; the store leaves it open on close. */
        public Builder dataSource(DataSource value) {
            dataSource = Objects.requireNonNull(value, "dataSource");
            return this;
        }

        /** Connect with a HikariCP pool of the store's own, closed with the store. */
        public Builder jdbcUrl(String url, String user, String pass) {
            jdbcUrl = Objects.requireNonNull(url, "url");
            username = user;
            password = pass;
            return this;
        }

        /** Size of the store's own pool. Default: {@link #DEFAULT_POOL_SIZE}. */
        public Builder poolSize(int value) {
            poolSize = value;
            return this;
        }

        /** Prefix of every table the store creates, so several stores can share a schema. */
        public Builder tablePrefix(String value) {
            tablePrefix = Objects.requireNonNull(value, "tablePrefix");
            return this;
        }

        /** The clock the store stamps and compares times with; the engine's. */
        public Builder clock(Clock value) {
            clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /** Reads and writes the JSON columns. */
        public Builder objectMapper(ObjectMapper value) {
            mapper = Objects.requireNonNull(value, "objectMapper");
            return this;
        }

        /** Whether to create and migrate the schema on start (default); off for hosts that run the SQL files themselves. */
        public Builder migrate(boolean value) {
            migrate = value;
            return this;
        }

        /**
         * How long a snapshot may stay open before {@link #health} says it holds vacuum back, and the
         * engine warns. Default: {@link #DEFAULT_VACUUM_HELD_BACK_AFTER}.
         */
        public Builder vacuumHeldBackAfter(Duration value) {
            Objects.requireNonNull(value, "vacuumHeldBackAfter");
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException("vacuumHeldBackAfter must be positive, was " + value);
            }
            vacuumHeldBackAfter = value;
            return this;
        }

        /** How slow a full claim must be before claims start from a floor ({@link ClaimFloors}); for tests. */
        Builder slowClaim(Duration value) {
            slowClaim = Objects.requireNonNull(value, "slowClaim");
            return this;
        }

        /**
         * PostgreSQL only: the connections go through a pooler in transaction mode (PgBouncer's
         * {@code pool_mode = transaction}, or the like), so consecutive transactions may run on
         * different server connections. The store then keeps no state in a session: it does not LISTEN
         * on the pool (give {@link #listenJdbcUrl} for wake-ups, else idle workers poll), and its own
         * pool uses no server-side prepared statements unless the URL sets {@code prepareThreshold}.
         */
        public Builder behindTransactionPooler(boolean value) {
            behindTransactionPooler = value;
            return this;
        }

        /**
         * PostgreSQL only: a connection straight to the database, past any pooler, held open to
         * LISTEN for new jobs so idle workers wake at once. One per store. {@code user} null means
         * the pool's credentials.
         */
        public Builder listenJdbcUrl(String url, String user, String pass) {
            listenJdbcUrl = Objects.requireNonNull(url, "url");
            listenUsername = user;
            listenPassword = pass;
            return this;
        }

        /**
         * Connects, checks the database is one the store supports, and migrates the schema.
         *
         * @throws IllegalArgumentException naming the setting that is wrong
         * @throws StoreUnavailableException if the database cannot be reached
         */
        public JdbcJobStore build() {
            if (!TABLE_PREFIX.matcher(tablePrefix).matches()) {
                throw new IllegalArgumentException("tablePrefix '" + tablePrefix + "' must match " + TABLE_PREFIX);
            }
            if ((dataSource == null) == (jdbcUrl == null)) {
                throw new IllegalArgumentException("give the JDBC store either a dataSource or a jdbcUrl, not "
                        + (dataSource == null ? "neither" : "both"));
            }
            if (poolSize < 2) {
                throw new IllegalArgumentException("poolSize must be at least 2, was " + poolSize);
            }
            HikariDataSource pool = null;
            DataSource source = dataSource;
            if (source == null) {
                pool = StorePool.open(
                        jdbcUrl, username, password, poolSize, tablePrefix, networkTimeout, behindTransactionPooler);
                source = pool;
            }
            try {
                return new JdbcJobStore(this, source, pool);
            } catch (RuntimeException e) {
                if (pool != null) {
                    pool.close();
                }
                throw e;
            }
        }
    }
}
