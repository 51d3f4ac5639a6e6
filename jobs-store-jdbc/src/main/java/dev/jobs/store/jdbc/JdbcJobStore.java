package dev.jobs.store.jdbc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.jobs.core.FinishedInMinute;
import dev.jobs.core.InvalidTransitionException;
import dev.jobs.core.Job;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobError;
import dev.jobs.core.JobNotFoundException;
import dev.jobs.core.JobPage;
import dev.jobs.core.JobQuery;
import dev.jobs.core.JobSpec;
import dev.jobs.core.JobState;
import dev.jobs.core.JobsException;
import dev.jobs.core.LeaseLostException;
import dev.jobs.core.PurgeRequest;
import dev.jobs.core.QueueCounts;
import dev.jobs.core.QueueLimits;
import dev.jobs.core.QueueStats;
import dev.jobs.core.StoreFailureException;
import dev.jobs.core.StoreUnavailableException;
import dev.jobs.core.WorkerIdTakenException;
import dev.jobs.core.WorkerInfo;
import dev.jobs.core.spi.AcquireRequest;
import dev.jobs.core.spi.ClaimPlace;
import dev.jobs.core.spi.Completion;
import dev.jobs.core.spi.CompletionResult;
import dev.jobs.core.spi.DeadWorker;
import dev.jobs.core.spi.DependencyRule;
import dev.jobs.core.spi.HeartbeatResult;
import dev.jobs.core.spi.IdempotencyKey;
import dev.jobs.core.spi.JobIds;
import dev.jobs.core.spi.JobStore;
import dev.jobs.core.spi.JobTransitions;
import dev.jobs.core.spi.NewJob;
import dev.jobs.core.spi.QueueAllowance;
import dev.jobs.core.spi.RecurringRecord;
import dev.jobs.core.spi.StartBucket;
import dev.jobs.core.spi.StoppedWorker;
import dev.jobs.core.spi.StoreHealth;
import dev.jobs.core.spi.Transition;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.jdbi.v3.core.ConnectionFactory;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Handles;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.JdbiException;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.jdbi.v3.core.statement.Query;
import org.jdbi.v3.core.transaction.TransactionIsolationLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The system of record in a relational database: PostgreSQL 12+, MySQL 8 / MariaDB 10.6+ or H2
 * 2.x, through Jdbi over a HikariCP pool (or the host's {@link DataSource}). The schema is created
 * and migrated on start. Many engine instances on many machines may share one database: every
 * change locks the rows it reads ({@code SELECT … FOR UPDATE}, claims with {@code SKIP LOCKED}) and
 * commits a job together with the dependents it releases or cancels.
 *
 * <p>Statements shared by all databases are written here; what differs is in the {@link
 * SqlDialect} picked from the connection's metadata. Thread-safe.
 */
public final class JdbcJobStore implements JobStore {
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

    /** A transaction that hit a deadlock or serialization failure is run again up to this often. */
    private static final int MAX_TRANSACTION_ATTEMPTS = 5;

    /** Unreadable rows one call mends before it gives up: each is mended for good, so a few suffice. */
    private static final int MAX_ROWS_MENDED_PER_CALL = 100;

    private static final List<String> TERMINAL = List.of("SUCCEEDED", "FAILED", "CANCELLED");

    private static final List<String> LIVE = Arrays.stream(JobState.values())
            .filter(state -> !state.isTerminal())
            .map(Enum::name)
            .toList();

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
            "finished_count");

    /**
     * The jobs a claim takes ({@code SELECT} and the columns go in front; {@code <claimable_now>} is
     * the dialect's {@link SqlDialect#claimable} and {@code <requested>} the queue condition, {@link
     * #requested}): claimable, due, on the requested queues that are not
     * paused; lowest priority number, then earliest runAt, then oldest id. {@code SKIP LOCKED} lets
     * concurrent workers take disjoint rows instead of waiting on each other. The claim index (partial
     * on PostgreSQL, state-led elsewhere) serves the filter and the order, so the plan is an index
     * range scan over live work that stops after {@code :max} rows, however much history the table
     * holds.
     */
    private static final String CLAIM_CANDIDATES = " FROM <job>"
            + " WHERE <claimable_now> AND <requested> AND run_at <= :now"
            + " ORDER BY <claim_order> LIMIT :max";

    /**
     * The limit rows of the requested queues ({@code <queues>}) that are not paused: the limited
     * queues a claim or a look for work deals with.
     */
    private static final String REQUESTED_LIMITED_QUEUES = "SELECT * FROM <queue_limit> WHERE queue IN (<queues>)"
            + " AND queue NOT IN (SELECT queue FROM <paused_queue>)";

    /** Jobs at or past a {@link ClaimFloors floor} of the claim order (bound by {@link #bindFloor}). */
    private static final String FROM_FLOOR =
            " AND (priority, run_at, id) >= (:floor_priority, :floor_run_at, :floor_id)";

    /** Jobs after a place in the claim order (bound as a floor is), for paging through it. */
    private static final String PAST_PLACE =
            " AND (priority, run_at, id) > (:floor_priority, :floor_run_at, :floor_id)";

    /** {@link #CLAIM_CANDIDATES}, starting at a {@link ClaimFloors floor} of the claim order. */
    private static final String CLAIM_CANDIDATES_FROM_FLOOR =
            CLAIM_CANDIDATES.replace(" AND run_at <= :now", " AND run_at <= :now" + FROM_FLOOR);

    /** {@link #CLAIM_CANDIDATES}, only among the ids a dispatch queue handed out ({@code :ids}). */
    private static final String CLAIM_CANDIDATES_AMONG_IDS =
            CLAIM_CANDIDATES.replace(" AND run_at <= :now", " AND run_at <= :now AND id IN (<ids>)");

    private static final Comparator<Job> CLAIM_ORDER =
            Comparator.comparingInt(Job::priority).thenComparing(Job::runAt).thenComparing(Job::id, JobIds.ORDER);

    private final Jdbi jdbi;
    private final SqlDialect dialect;
    private final boolean readCommittedByDefault;

    /**
     * A job's queue is one of {@code <queues>}, not paused and without limits: in the statement
     * where the dialect can say it so that a paused queue's backlog is never scanned, else {@code
     * queue IN (<queues>)} after the store has taken those queues out of the request.
     */
    private final String requested;

    private final boolean storeSkipsHeldQueues;
    private final JobRows rows;
    private final Clock clock;
    private final String prefix;
    private final HikariDataSource ownedPool;
    private final String insertJob;
    private final Optional<String> insertJobsAndAnnounce;
    private final String updateJob;
    private final String completeJob;

    /** The host's connection while {@link #enqueueIn} runs on the calling thread. */
    private static final ThreadLocal<Connection> HOST_CONNECTION = new ThreadLocal<>();

    /**
     * Runs the store's statements on a connection the host owns: never closes it, never ends its
     * transaction.
     */
    private final Jdbi hostJdbi;

    /**
     * Opens the connection that LISTENs for new jobs: one of the pool's, or a direct one when the
     * pool goes through a transaction pooler; empty when there is none to be had and workers poll.
     */
    private final Optional<ConnectionSource> listenConnections;

    private final boolean listensDirectly;

    /** Where claims start while full claims are slow; on databases whose claim index can start anywhere. */
    private final ClaimFloors claimFloors;

    private final FinishedCounts finishedCounts;

    /** How many live jobs each queue holds per state: on PostgreSQL, the live partition alone is read. */
    private final String liveCounts;

    private final LeaseScanWindow leaseScans = new LeaseScanWindow();

    private final Duration vacuumHeldBackAfter;
    private final String channel;
    private final List<Consumer<String>> subscribers = new CopyOnWriteArrayList<>();
    private volatile boolean listening;
    private Thread listener;

    private JdbcJobStore(Builder builder, DataSource dataSource, HikariDataSource ownedPool) {
        this.ownedPool = ownedPool;
        this.channel = builder.tablePrefix + "ready";
        this.clock = builder.clock;
        this.prefix = builder.tablePrefix;
        this.jdbi = Jdbi.create(dataSource);
        this.dialect = detectDialect(jdbi);
        this.readCommittedByDefault = readCommittedByDefault(jdbi);
        this.requested = dialect.requestedOpenQueues().orElse("queue IN (<queues>)");
        this.storeSkipsHeldQueues = dialect.requestedOpenQueues().isEmpty();
        this.rows = new JobRows(builder.mapper, dialect);
        this.finishedCounts = new FinishedCounts(dialect);
        this.liveCounts = "SELECT queue, state, COUNT(*) AS n FROM " + dialect.liveCountSource()
                + " WHERE state IN (<live>) GROUP BY queue, state";
        this.hostJdbi = Jdbi.create(new ConnectionFactory() {
            @Override
            public Connection openConnection() {
                return Objects.requireNonNull(HOST_CONNECTION.get(), "no host connection on this thread");
            }

            @Override
            public void closeConnection(Connection connection) {
                // the host's connection: the host closes it
            }
        });
        hostJdbi.getConfig(Handles.class).setForceEndTransactions(false);
        StatementErrors.withoutBoundValues(jdbi);
        StatementErrors.withoutBoundValues(hostJdbi);
        for (String table : TABLES) {
            jdbi.define(table, prefix + table);
            hostJdbi.define(table, prefix + table);
        }
        this.insertJob = "INSERT INTO <job> (" + String.join(", ", JobRows.COLUMNS) + ", pending_dependencies) VALUES ("
                + JobRows.COLUMNS.stream().map(c -> ":" + c).collect(Collectors.joining(", "))
                + ", :pending_dependencies)";
        this.insertJobsAndAnnounce = dialect.insertJobsAndAnnounce(
                String.join(", ", JobRows.COLUMNS) + ", " + JobRows.PENDING_DEPENDENCIES.name());
        this.completeJob = "UPDATE <job> SET "
                + JobRows.SUCCESS_COLUMNS.stream()
                        .map(c -> c.name() + " = :" + c.name())
                        .collect(Collectors.joining(", "))
                + ", lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL WHERE id = :id";
        this.updateJob = "UPDATE <job> SET "
                + JobRows.COLUMNS.stream()
                        .filter(c -> !c.equals("id"))
                        .map(c -> c + " = :" + c)
                        .collect(Collectors.joining(", "))
                + " WHERE id = :id";
        this.listenConnections = listenConnections(builder, dataSource);
        this.listensDirectly = builder.listenJdbcUrl != null;
        this.vacuumHeldBackAfter = builder.vacuumHeldBackAfter;
        this.claimFloors = dialect.claimsFromAFloor() ? new ClaimFloors(builder.slowClaim) : ClaimFloors.NONE;
        if (builder.behindTransactionPooler) {
            checkPooledConnectionsCarryNoSessionState();
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

    /** Opens a connection; the caller closes it. */
    @FunctionalInterface
    private interface ConnectionSource {
        Connection open() throws SQLException;
    }

    private Optional<ConnectionSource> listenConnections(Builder builder, DataSource pool) {
        if (builder.listenJdbcUrl != null) {
            if (!dialect.supportsNotifications()) {
                throw new IllegalArgumentException(
                        "listenJdbcUrl is for PostgreSQL's LISTEN/NOTIFY; " + dialect.name() + " has none");
            }
            String user = builder.listenUsername != null ? builder.listenUsername : builder.username;
            String password = builder.listenUsername != null ? builder.listenPassword : builder.password;
            return Optional.of(() -> DriverManager.getConnection(builder.listenJdbcUrl, user, password));
        }
        if (builder.behindTransactionPooler) {
            // A pooled connection holds a LISTEN only until its transaction ends: notifications
            // would go to whichever client the pooler hands that server connection to next.
            return Optional.empty();
        }
        return Optional.of(pool::getConnection);
    }

    /**
     * Behind a transaction pooler each transaction may run on a different server connection, so
     * nothing may rest on session state: the store takes no session locks (migrations lock per
     * transaction) and never changes a session's isolation level, which needs the database's
     * default to be READ COMMITTED. Server-side prepared statements, which pgjdbc makes after a
     * statement's fifth run, need a pooler that tracks them (PgBouncer 1.21+, {@code
     * max_prepared_statements}).
     */
    private void checkPooledConnectionsCarryNoSessionState() {
        if (!(dialect instanceof PostgresDialect)) {
            throw new IllegalArgumentException(
                    "behindTransactionPooler is for PostgreSQL behind PgBouncer or the like, not " + dialect.name());
        }
        if (!readCommittedByDefault) {
            throw new IllegalArgumentException("behind a transaction pooler the database's"
                    + " default_transaction_isolation must be 'read committed': the store cannot set it per"
                    + " session there");
        }
        int prepareThreshold = jdbi.withHandle(h -> PostgresDialect.prepareThreshold(h.getConnection()));
        if (prepareThreshold > 0) {
            log.warn(
                    "the store's connections go through a transaction pooler but use server-side prepared"
                            + " statements (prepareThreshold={}): that needs PgBouncer 1.21+ with max_prepared_statements"
                            + " set; with an older pooler add prepareThreshold=0 to the JDBC URL",
                    prepareThreshold);
        }
    }

    /**
     * Whether the pool's connections start at READ COMMITTED, as PostgreSQL's and H2's do and the
     * store's own pool is configured to. Then transactions need not ask for it: asking costs the
     * driver a query for the current level, and another to restore it, on every transaction.
     */
    private static boolean readCommittedByDefault(Jdbi jdbi) {
        return jdbi.withHandle(h -> {
            try {
                return h.getConnection().getTransactionIsolation() == Connection.TRANSACTION_READ_COMMITTED;
            } catch (SQLException e) {
                throw new StoreUnavailableException(
                        "could not read the connection's isolation level: " + e.getMessage(), e);
            }
        });
    }

    private static SqlDialect detectDialect(Jdbi jdbi) {
        return jdbi.withHandle(h -> {
            try {
                return SqlDialect.detect(h.getConnection().getMetaData());
            } catch (SQLException e) {
                throw new StoreUnavailableException("could not read the database's metadata: " + e.getMessage(), e);
            }
        });
    }

    /** The database this store found behind its connection: {@code postgresql}, {@code mariadb} or {@code h2}. */
    public String databaseName() {
        return dialect.name();
    }

    // ---- creation ----

    @Override
    public List<Job> create(List<NewJob> batch) {
        if (insertJobsAndAnnounce.isPresent() && batch.stream().allMatch(JdbcJobStore::standsAlone)) {
            // Jobs with no dependencies and no keys are written, and announced, by createOn's one
            // statement, which commits on its own: a single round trip for a single job.
            return inOneStatement(h -> createOn(h, batch));
        }
        return inTransaction(h -> createOn(h, batch));
    }

    /** A new job that reads nothing else and holds no key, so creating it needs no locks. */
    private static boolean standsAlone(NewJob job) {
        return job.dependsOn().isEmpty()
                && job.uniqueKey().isEmpty()
                && job.idempotencyKey().isEmpty();
    }

    /**
     * Creates jobs inside the host's own transaction on {@code connection}: they exist only if the
     * host commits it. Idle workers hear of them when it does (on PostgreSQL through NOTIFY, which is
     * sent on commit); elsewhere they find them at their next poll. The connection is left open and
     * its transaction untouched.
     *
     * @param engine validates the specs and gives them ids, as {@link JobEngine#enqueueAll} would
     * @throws JobValidationException naming every rejected field; nothing is written
     */
    public List<Job> enqueueIn(Connection connection, JobEngine engine, List<JobSpec> specs) {
        List<NewJob> prepared = engine.prepare(specs);
        HOST_CONNECTION.set(connection);
        try {
            return hostJdbi.withHandle(finishedCounts.counted(h -> createOn(h, prepared)));
        } catch (JdbiException e) {
            throw translated(e, sqlCause(e));
        } finally {
            HOST_CONNECTION.remove();
        }
    }

    /** As {@link #enqueueIn(Connection, JobEngine, List)}, in the transaction of the host's Jdbi handle. */
    public List<Job> enqueueIn(Handle handle, JobEngine engine, List<JobSpec> specs) {
        return enqueueIn(handle.getConnection(), engine, specs);
    }

    /**
     * Works out every new job's final state in memory (dependencies inside the batch, or locked
     * outside it), then writes the batch in a few batched statements.
     */
    private List<Job> createOn(Handle h, List<NewJob> batch) {
        Instant now = now();
        // Locking the existing dependencies keeps any of them from finishing unseen while this
        // transaction adds edges it could not yet find (its cascade waits for our commit).
        Map<UUID, Job> known = lockAll(h, DependencyRule.outsideDependencies(batch));
        DependencyRule.requireKnownDependencies(batch, known::containsKey);
        // Checked before any write, since a host's transaction may commit whatever we leave.
        IdempotencyKey.requireMatching(batch, heldIdempotencyKeys(h, batch));
        var resultIds = new ArrayList<UUID>(batch.size());
        var replacedBy = new HashMap<UUID, UUID>();
        var created = new LinkedHashMap<UUID, Job>();
        for (NewJob spec : batch) {
            Optional<UUID> holder = spec.idempotencyKey().flatMap(key -> claimIdempotencyKey(h, key, spec.id()));
            if (holder.isEmpty()) {
                holder = spec.uniqueKey().flatMap(key -> claimUniqueKey(h, key, spec.id()));
                // A repeat must get the job this request got, even after it frees its unique key.
                holder.ifPresent(id -> spec.idempotencyKey().ifPresent(key -> answerIdempotencyKeyWith(h, key, id)));
            }
            if (holder.isPresent()) {
                replacedBy.put(spec.id(), holder.get());
                // The holder is an earlier member of this batch, or a stored unfinished job.
                known.computeIfAbsent(
                        holder.get(),
                        id -> Optional.ofNullable(created.get(id))
                                .or(() -> find(h, id))
                                .orElseThrow());
                resultIds.add(holder.get());
                continue;
            }
            List<UUID> dependsOn = spec.dependsOn().stream()
                    .map(d -> replacedBy.getOrDefault(d, d))
                    .distinct()
                    .toList();
            created.put(
                    spec.id(), JobTransitions.created(spec.withRunAt(JobRows.micros(spec.runAt())), dependsOn, now));
            resultIds.add(spec.id());
        }
        known.putAll(created);
        settleNewJobs(created, known, now);

        if (!created.isEmpty()) {
            insertJobs(h, created.values(), known);
            created.values().stream().filter(Job::isTerminal).forEach(job -> releaseUniqueKey(h, job));
        }
        PreparedBatch edges =
                h.prepareBatch("INSERT INTO <dependency> (job_id, depends_on_id) VALUES (:job_id, :depends_on_id)");
        for (Job job : created.values()) {
            for (UUID dependency : job.dependsOn()) {
                edges.bind("job_id", dialect.uuid(job.id()))
                        .bind("depends_on_id", dialect.uuid(dependency))
                        .add();
            }
        }
        if (edges.size() > 0) {
            edges.execute();
            // Under the lock of each unfinished parent (taken above, or its row new in this
            // transaction): its completion reads the flag back from the row it updates.
            List<Object> parents = created.values().stream()
                    .flatMap(job -> job.dependsOn().stream())
                    .distinct()
                    .filter(id -> known.get(id) == null || !known.get(id).isTerminal())
                    .map(dialect::uuid)
                    .toList();
            if (!parents.isEmpty()) {
                h.createUpdate("UPDATE <job> SET has_dependents = TRUE WHERE id IN (<ids>) AND has_dependents = FALSE")
                        .bindList("ids", parents)
                        .execute();
            }
        }
        return resultIds.stream().map(known::get).toList();
    }

    /**
     * Writes new jobs' rows and wakes idle workers for those that are claimable: in one statement
     * where the dialect can, else as one JDBC batch followed by the announcement.
     */
    private void insertJobs(Handle h, Collection<Job> jobs, Map<UUID, Job> known) {
        finishedCounts.created(jobs);
        if (insertJobsAndAnnounce.isPresent()) {
            var values = new ArrayList<Map<String, Object>>(jobs.size());
            for (Job job : jobs) {
                Map<String, Object> row = rows.values(job);
                row.put(JobRows.PENDING_DEPENDENCIES.name(), unfinished(job, known));
                values.add(row);
            }
            var columns = new ArrayList<>(JobRows.JOB_COLUMNS);
            columns.add(JobRows.PENDING_DEPENDENCIES);
            h.createQuery(insertJobsAndAnnounce.get())
                    .bind("rows", rows.rowsJson(values, columns))
                    .bind("channel", channel)
                    .map((rs, ctx) -> true)
                    .list();
            claimFloors.admitted(List.copyOf(jobs));
            return;
        }
        PreparedBatch inserts = h.prepareBatch(insertJob);
        for (Job job : jobs) {
            rows.bind(inserts, job)
                    .bind(JobRows.PENDING_DEPENDENCIES.name(), unfinished(job, known))
                    .add();
        }
        inserts.execute();
        announceClaimable(h, List.copyOf(jobs));
    }

    /**
     * Moves new pending jobs whose dependencies are already settled to their state, as {@link
     * DependencyRule} says. Repeats while a cancellation spreads, since a batch need not come in
     * dependency order.
     */
    private static void settleNewJobs(Map<UUID, Job> created, Map<UUID, Job> known, Instant now) {
        boolean changed = true;
        while (changed) {
            changed = false;
            for (Job job : List.copyOf(created.values())) {
                if (job.state() != JobState.PENDING) {
                    continue;
                }
                JobState target =
                        DependencyRule.resolve(states(job, known), job.onDependencyFailure(), job.runAt(), now);
                if (target != JobState.PENDING) {
                    Optional<Job> culprit = job.dependsOn().stream()
                            .map(known::get)
                            .filter(d -> d.state() == JobState.FAILED || d.state() == JobState.CANCELLED)
                            .findFirst();
                    Job settled = JobTransitions.settled(job, target, culprit, now);
                    created.put(job.id(), settled);
                    known.put(job.id(), settled);
                    changed = true;
                }
            }
        }
    }

    /** How many of a waiting job's dependencies have not finished; zero for a job not waiting. */
    private static int unfinished(Job job, Map<UUID, Job> dependencies) {
        if (job.state() != JobState.PENDING) {
            return 0;
        }
        return (int)
                states(job, dependencies).stream().filter(s -> !s.isTerminal()).count();
    }

    /** These jobs, their rows locked in id order until the transaction ends. */
    private Map<UUID, Job> lockAll(Handle h, Collection<UUID> ids) {
        var found = new HashMap<UUID, Job>();
        if (!ids.isEmpty()) {
            h.createQuery("SELECT * FROM <job> WHERE id IN (<ids>) ORDER BY id FOR UPDATE")
                    .bindList("ids", ids.stream().map(dialect::uuid).toList())
                    .map((rs, ctx) -> rows.read(rs))
                    .forEach(job -> found.put(job.id(), job));
        }
        return found;
    }

    /**
     * Takes the unique key for {@code jobId} unless an unfinished job holds it.
     *
     * @return the holder, when it is another job
     */
    private Optional<UUID> claimUniqueKey(Handle h, String key, UUID jobId) {
        h.createUpdate(dialect.insertIfAbsent("<unique_key>", "unique_key, job_id", ":key, :job_id", "unique_key"))
                .bind("key", key)
                .bind("job_id", dialect.uuid(jobId))
                .execute();
        UUID holder = h.createQuery("SELECT job_id FROM <unique_key> WHERE unique_key = :key")
                .bind("key", key)
                .map((rs, ctx) -> UUID.fromString(rs.getString("job_id")))
                .one();
        return holder.equals(jobId) ? Optional.empty() : Optional.of(holder);
    }

    /** The stored holders of the batch's idempotency keys. */
    private Map<String, IdempotencyKey.Holder> heldIdempotencyKeys(Handle h, List<NewJob> batch) {
        List<String> keys = batch.stream()
                .flatMap(job -> job.idempotencyKey().stream())
                .map(IdempotencyKey::key)
                .distinct()
                .toList();
        var held = new HashMap<String, IdempotencyKey.Holder>();
        for (List<String> chunk : chunks(keys, 500)) {
            h.createQuery("SELECT idempotency_key, job_id, fingerprint FROM <idempotency_key>"
                            + " WHERE idempotency_key IN (<keys>)")
                    .bindList("keys", chunk)
                    .map((rs, ctx) -> Map.entry(
                            rs.getString("idempotency_key"),
                            new IdempotencyKey.Holder(
                                    UUID.fromString(rs.getString("job_id")), rs.getString("fingerprint"))))
                    .forEach(entry -> held.put(entry.getKey(), entry.getValue()));
        }
        return held;
    }

    /**
     * Takes the idempotency key for {@code jobId} unless a job holds it already. A concurrent
     * creator with the same key waits here on the key's row until the first one commits.
     *
     * @return the holder, when it is another job
     * @throws IdempotencyKeyReusedException if the holder came from a different request
     */
    private Optional<UUID> claimIdempotencyKey(Handle h, IdempotencyKey key, UUID jobId) {
        h.createUpdate(dialect.insertIfAbsent(
                        "<idempotency_key>",
                        "idempotency_key, job_id, fingerprint",
                        ":key, :job_id, :fingerprint",
                        "idempotency_key"))
                .bind("key", key.key())
                .bind("job_id", dialect.uuid(jobId))
                .bind("fingerprint", key.fingerprint())
                .execute();
        IdempotencyKey.Holder holder = h.createQuery(
                        "SELECT job_id, fingerprint FROM <idempotency_key> WHERE idempotency_key = :key")
                .bind("key", key.key())
                .map((rs, ctx) ->
                        new IdempotencyKey.Holder(UUID.fromString(rs.getString("job_id")), rs.getString("fingerprint")))
                .one();
        holder.requireMatches(key);
        return holder.jobId().equals(jobId) ? Optional.empty() : Optional.of(holder.jobId());
    }

    /** Points a key this request just took at the job it was answered with instead. */
    private void answerIdempotencyKeyWith(Handle h, IdempotencyKey key, UUID jobId) {
        h.createUpdate("UPDATE <idempotency_key> SET job_id = :job_id WHERE idempotency_key = :key")
                .bind("key", key.key())
                .bind("job_id", dialect.uuid(jobId))
                .execute();
    }

    // ---- acquisition and outcomes ----

    @Override
    public List<Job> acquire(AcquireRequest request) {
        return claim(request, Optional.empty());
    }

    @Override
    public List<Job> acquire(AcquireRequest request, Collection<UUID> candidates) {
        if (candidates.isEmpty()) {
            return List.of();
        }
        return claim(request, Optional.of(List.copyOf(new LinkedHashSet<>(candidates))));
    }

    /**
     * Leases claimable jobs, from all of the request's queues or only among {@code candidates}: first
     * from the queues without limits, then, with what that left of {@code maxJobs}, from the limited
     * ones.
     */
    private List<Job> claim(AcquireRequest request, Optional<List<UUID>> candidates) {
        if (request.queues().isEmpty()) {
            return List.of();
        }
        List<Job> open = claimFromOpenQueues(request, candidates);
        if (open.size() == request.maxJobs()) {
            return open;
        }
        List<Job> limited = claimFromLimitedQueues(request, request.maxJobs() - open.size(), candidates);
        if (limited.isEmpty()) {
            return open;
        }
        var all = new ArrayList<Job>(open);
        all.addAll(limited);
        return all;
    }

    /** Leases jobs of the request's queues that are neither paused nor limited, in one round trip where the dialect can. */
    private List<Job> claimFromOpenQueues(AcquireRequest request, Optional<List<UUID>> candidates) {
        // A claim in one statement has committed by the time its rows are read, so a row it cannot
        // read is set aside and mended after, rather than failing the claim of the others.
        var unreadable = new ArrayList<UnreadableRow>();
        HandleCallback<List<Job>, RuntimeException> work = h -> {
            unreadable.clear();
            List<String> queues = requestedQueues(h, request.queues());
            if (queues.isEmpty()) {
                return List.of();
            }
            long startedNanos = System.nanoTime();
            Optional<String> flooredQueue = claimFloors.floorable(queues, candidates.isPresent());
            Optional<ClaimFloors.Key> floor = flooredQueue.flatMap(q -> claimFloors.start(q, startedNanos));
            String from = claimCandidates(
                    candidates.isPresent()
                            ? CLAIM_CANDIDATES_AMONG_IDS
                            : floor.isPresent() ? CLAIM_CANDIDATES_FROM_FLOOR : CLAIM_CANDIDATES,
                    queues);
            Optional<String> oneStatement = dialect.claimInOneStatement(from);
            Instant now = now();
            Duration lease = request.leaseDuration().truncatedTo(ChronoUnit.MICROS);
            Query query = h.createQuery(oneStatement.orElse("SELECT *" + from + " " + dialect.skipLocked()))
                    .bindList("queues", queues)
                    .bind("now", JobRows.toColumn(now))
                    .bind("max", request.maxJobs());
            candidates.ifPresent(
                    ids -> query.bindList("ids", ids.stream().map(dialect::uuid).toList()));
            bindFloor(query, floor);
            if (oneStatement.isPresent()) {
                List<Job> claimed = query
                        .bind("worker", request.workerId())
                        .bind("expires", JobRows.toColumn(now.plus(lease)))
                        .map((rs, ctx) -> {
                            try {
                                return rows.read(rs);
                            } catch (UnreadableRow e) {
                                unreadable.add(e);
                                return null;
                            }
                        })
                        .list()
                        .stream()
                        .filter(Objects::nonNull)
                        .sorted(CLAIM_ORDER)
                        .toList();
                flooredQueue.ifPresent(q -> claimFloors.claimed(
                        q, floor, Duration.ofNanos(System.nanoTime() - startedNanos), claimed, startedNanos));
                return claimed;
            }
            List<Job> claimable = query.map((rs, ctx) -> rows.read(rs)).list();
            var acquired = new ArrayList<Job>(claimable.size());
            for (Job job : claimable) {
                acquired.add(JobTransitions.acquired(job, request.workerId(), UUID.randomUUID(), lease, now));
            }
            writeAll(h, acquired);
            return acquired;
        };
        // A claim in one statement commits on its own: no transaction to open and end around it.
        List<Job> claimed = dialect.claimInOneStatement("").isPresent() ? inOneStatement(work) : inTransaction(work);
        unreadable.forEach(this::mend);
        return claimed;
    }

    /**
     * Leases up to {@code max} jobs of the request's limited queues, within their limits. The
     * queues' limit rows are locked first (in name order, so that claims on several cannot deadlock):
     * claims on a limited queue take turns, so each one's count of the running jobs holds until it
     * commits, whichever engine makes it. A quick look without a transaction comes first, so that
     * claims on stores without limits pay one primary-key probe and nothing more.
     */
    private List<Job> claimFromLimitedQueues(AcquireRequest request, int max, Optional<List<UUID>> candidates) {
        List<String> requested = List.copyOf(new TreeSet<>(request.queues()));
        boolean anyLimited = inOneStatement(
                        h -> h.createQuery("SELECT queue FROM <queue_limit> WHERE queue IN (<queues>)")
                                .bindList("queues", requested)
                                .mapTo(String.class)
                                .findFirst())
                .isPresent();
        if (!anyLimited) {
            return List.of();
        }
        return inTransaction(h -> {
            Instant now = now();
            List<LimitRow> limited = h.createQuery(REQUESTED_LIMITED_QUEUES + " ORDER BY queue FOR UPDATE")
                    .bindList("queues", requested)
                    .map((rs, ctx) -> LimitRow.read(rs))
                    .list();
            var acquired = new ArrayList<Job>();
            for (LimitRow row : limited) {
                if (acquired.size() == max) {
                    break;
                }
                QueueAllowance allowance = allowance(h, row, now);
                acquired.addAll(
                        claimWithin(h, row.queue(), allowance, max - acquired.size(), request, candidates, now));
                Optional<StartBucket> bucket = allowance.bucket();
                if (bucket.isPresent() && allowance.started() > 0) {
                    h.createUpdate(
                                    "UPDATE <queue_limit> SET tokens = :tokens, tokens_at = :tokens_at WHERE queue = :queue")
                            .bind("tokens", bucket.get().tokens())
                            .bind("tokens_at", JobRows.toColumn(bucket.get().at()))
                            .bind("queue", row.queue())
                            .execute();
                }
            }
            return acquired;
        });
    }

    /**
     * Leases the queue's jobs in claim order that {@code allowance} lets start, up to {@code max}.
     * Candidates are read a page at a time, leaving out keys already at their limit; each page's
     * leases are written before the next is read, so the next page starts after them.
     */
    private List<Job> claimWithin(
            Handle h,
            String queue,
            QueueAllowance allowance,
            int max,
            AcquireRequest request,
            Optional<List<UUID>> candidates,
            Instant now) {
        Duration lease = request.leaseDuration().truncatedTo(ChronoUnit.MICROS);
        var acquired = new ArrayList<Job>();
        while (acquired.size() < max && allowance.remaining() > 0) {
            int wanted = Math.min(max - acquired.size(), allowance.remaining());
            Set<String> saturated = allowance.saturatedKeys();
            Query query = h.createQuery("SELECT *" + limitedCandidates(candidates.isPresent(), saturated) + " "
                            + dialect.skipLocked())
                    .bindList("queues", List.of(queue))
                    .bind("now", JobRows.toColumn(now))
                    .bind("max", wanted);
            candidates.ifPresent(
                    ids -> query.bindList("ids", ids.stream().map(dialect::uuid).toList()));
            if (!saturated.isEmpty()) {
                query.bindList("saturated", List.copyOf(saturated));
            }
            List<Job> page = query.map((rs, ctx) -> rows.read(rs)).list();
            var taken = new ArrayList<Job>();
            for (Job job : page) {
                if (allowance.tryStart(job)) {
                    taken.add(JobTransitions.acquired(job, request.workerId(), UUID.randomUUID(), lease, now));
                }
            }
            writeAll(h, taken);
            acquired.addAll(taken);
            // A short page had every candidate left; one where nothing started changes nothing next time.
            if (page.size() < wanted
                    || taken.isEmpty() && allowance.saturatedKeys().equals(saturated)) {
                break;
            }
        }
        return acquired;
    }

    /** The candidates of a claim on one limited queue, without the jobs of {@code saturated} keys. */
    private String limitedCandidates(boolean amongIds, Set<String> saturated) {
        return (amongIds ? CLAIM_CANDIDATES_AMONG_IDS : CLAIM_CANDIDATES)
                .replace("<claimable_now>", dialect.claimable())
                .replace("<requested>", "queue IN (<queues>)")
                .replace("<claim_order>", dialect.claimOrder(true))
                .replace(" AND run_at <= :now", " AND run_at <= :now" + keysAllowed(saturated));
    }

    /** Leaves out jobs of the {@code saturated} keys (bound as {@code <saturated>}); jobs without a key stay in. */
    private static String keysAllowed(Set<String> saturated) {
        return saturated.isEmpty() ? "" : " AND (concurrency_key IS NULL OR concurrency_key NOT IN (<saturated>))";
    }

    /** What a limited queue lets a claim start now: its limits, its bucket and its running jobs. */
    private QueueAllowance allowance(Handle h, LimitRow row, Instant now) {
        // The lease index holds exactly the running jobs, however large the backlog.
        var runningPerKey = h.createQuery("SELECT concurrency_key, COUNT(*) AS running FROM <job>"
                        + " WHERE state = 'RUNNING' AND lease_expires_at IS NOT NULL AND queue = :queue"
                        + " GROUP BY concurrency_key")
                .bind("queue", row.queue())
                .map((rs, ctx) -> Map.entry(Optional.ofNullable(rs.getString("concurrency_key")), rs.getInt("running")))
                .list();
        var runningByKey = new HashMap<String, Integer>();
        runningPerKey.forEach(entry -> entry.getKey().ifPresent(key -> runningByKey.put(key, entry.getValue())));
        int running = runningPerKey.stream().mapToInt(Map.Entry::getValue).sum();
        return new QueueAllowance(row.limits(), Optional.of(row.bucket()), running, runningByKey, now);
    }

    private void bindFloor(Query query, Optional<ClaimFloors.Key> floor) {
        floor.ifPresent(key -> query.bind("floor_priority", key.priority())
                .bind("floor_run_at", JobRows.toColumn(key.runAt()))
                .bind("floor_id", dialect.uuid(key.id())));
    }

    /** A claim's candidate query with this dialect's claimable condition, queue condition and order. */
    private String claimCandidates(String template, List<String> queues) {
        return template.replace("<claimable_now>", dialect.claimable())
                .replace("<requested>", requested)
                .replace("<claim_order>", dialect.claimOrder(queues.size() == 1));
    }

    /**
     * The database's plan for the candidate query of a claim on one queue, one line per element, for
     * tests that hold the claim to walking its index in order instead of sorting the backlog.
     */
    List<String> explainClaim(String queue, int max) {
        String candidates = claimCandidates(CLAIM_CANDIDATES, List.of(queue));
        return inTransaction(h -> planOf(h.createQuery("EXPLAIN SELECT id" + candidates)
                .bindList("queues", List.of(queue))
                .bind("now", JobRows.toColumn(now()))
                .bind("max", max)));
    }

    /**
     * The database's plan for a whole claim on one queue, as the store runs it (in one statement
     * where the dialect has one), for tests that hold it to its indexes on tables never analysed.
     */
    List<String> explainClaimStatement(String queue, int max) {
        String candidates = claimCandidates(CLAIM_CANDIDATES, List.of(queue));
        String claim =
                dialect.claimInOneStatement(candidates).orElse("SELECT *" + candidates + " " + dialect.skipLocked());
        Instant now = now();
        return inTransaction(h -> {
            Query explain = h.createQuery("EXPLAIN " + claim)
                    .bindList("queues", List.of(queue))
                    .bind("now", JobRows.toColumn(now))
                    .bind("max", max);
            if (dialect.claimInOneStatement("").isPresent()) {
                explain.bind("worker", "explain").bind("expires", JobRows.toColumn(now));
            }
            return planOf(explain);
        });
    }

    /** The database's plan for counting the live jobs, for tests that hold it to leaving the history out. */
    List<String> explainLiveCounts() {
        return inTransaction(h -> planOf(h.createQuery("EXPLAIN " + liveCounts).bindList("live", LIVE)));
    }

    /** A setting of the store's own database sessions, for tests of how the store configures them. */
    String sessionSetting(String name) {
        return inTransaction(h -> h.createQuery("SELECT current_setting(:name)")
                .bind("name", name)
                .mapTo(String.class)
                .one());
    }

    /**
     * The database's plan for recording the success of {@code ids} in one statement, for tests that
     * hold it to finding its rows by primary key; empty where the dialect completes row by row.
     */
    List<String> explainCompletion(List<UUID> ids) {
        return dialect.completeInOneStatement(JobRows.SUCCESS_COLUMNS, COMPLETION_READ_BACK)
                .map(sql -> inTransaction(h -> planOf(
                        h.createQuery("EXPLAIN " + sql).bind("rows", "{}").bindArray("ids", UUID.class, ids))))
                .orElse(List.of());
    }

    private static List<String> planOf(Query explain) {
        return explain.map((rs, ctx) -> {
                    var line = new StringBuilder();
                    for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                        line.append(rs.getString(i)).append(' ');
                    }
                    return line.toString();
                })
                .list();
    }

    @Override
    public HeartbeatResult heartbeat(UUID jobId, UUID leaseToken, Duration leaseDuration) {
        return inTransaction(h -> {
            Instant now = now();
            Job job = leased(h, jobId, leaseToken);
            Instant expiresAt = JobRows.micros(now.plus(leaseDuration));
            write(h, job, JobTransitions.heartbeat(job, expiresAt, now));
            return new HeartbeatResult(
                    expiresAt, job.cancelRequested(), job.leaseOwner().orElseThrow());
        });
    }

    @Override
    public Job reportProgress(UUID jobId, UUID leaseToken, int progress, Optional<String> message) {
        JobTransitions.requireProgress(progress);
        return inTransaction(h -> {
            Job job = leased(h, jobId, leaseToken);
            Job next = JobTransitions.progressed(job, progress, message, now());
            write(h, job, next);
            return next;
        });
    }

    @Override
    public Transition complete(UUID jobId, UUID leaseToken, Optional<JsonNode> result) {
        return inTransaction(h -> {
            Instant now = now();
            Job job = leased(h, jobId, leaseToken);
            return finish(h, job, JobTransitions.succeeded(job, result, now), now);
        });
    }

    /**
     * All the completions in one transaction, each derived from its worker's snapshot ({@link
     * Completion}) and fenced on its own token: in one statement where the dialect can, otherwise by
     * locking the rows (narrow columns, id order, so concurrent batches cannot deadlock) and sending
     * one batch of updates. Only the jobs that have dependents are walked for the cascade.
     */
    @Override
    public List<CompletionResult> completeAll(List<Completion> completions) {
        if (completions.isEmpty()) {
            return List.of();
        }
        return inTransaction(h -> {
            Instant now = now();
            // A job named twice in one batch: only its first completion can still hold the lease.
            var successes = new LinkedHashMap<UUID, Success>();
            for (Completion completion : completions) {
                successes.computeIfAbsent(
                        completion.jobId(),
                        id -> new Success(
                                completion.leaseToken(),
                                JobTransitions.succeeded(completion.running(), completion.result(), now)));
            }
            Map<UUID, ReadBack> recorded = dialect.completeInOneStatement(JobRows.SUCCESS_COLUMNS, COMPLETION_READ_BACK)
                    .map(sql -> completeInOneStatement(h, sql, successes))
                    .orElseGet(() -> lockAndComplete(h, successes));
            var unique = new ArrayList<Job>();
            var results = new ArrayList<CompletionResult>(completions.size());
            var seen = new HashSet<UUID>();
            for (Completion completion : completions) {
                UUID id = completion.jobId();
                ReadBack row = recorded.get(id);
                if (row == null || !seen.add(id)) {
                    results.add(CompletionResult.refused(refusal(h, id, completion.leaseToken())));
                    continue;
                }
                Job job = successes.get(id).next().toBuilder()
                        .cancelRequested(row.cancelRequested())
                        .progressMessage(row.progressMessage())
                        .build();
                job.uniqueKey().ifPresent(key -> unique.add(job));
                finishedCounts.finished(job.queue(), job.state());
                var changed = new ArrayList<Job>();
                if (row.hasDependents()) {
                    settleDependentsOf(h, job, now, changed);
                }
                results.add(CompletionResult.recorded(new Transition(job, changed)));
            }
            unique.forEach(job -> releaseUniqueKey(h, job));
            return results;
        });
    }

    /** A success to record: the lease it must still hold, and the job as it then is. */
    private record Success(UUID fence, Job next) {}

    /** What a completion reads of the row it changed, which its worker's snapshot cannot know. */
    private record ReadBack(boolean cancelRequested, String progressMessage, boolean hasDependents) {}

    /** The columns {@link ReadBack} is made of, of the job table as {@code j}. */
    private static final String COMPLETION_READ_BACK = "j.id, j.cancel_requested, j.progress_message, j.has_dependents";

    private static ReadBack readBack(ResultSet rs) throws SQLException {
        return new ReadBack(
                rs.getBoolean("cancel_requested"), rs.getString("progress_message"), rs.getBoolean("has_dependents"));
    }

    private Map<UUID, ReadBack> completeInOneStatement(Handle h, String sql, Map<UUID, Success> successes) {
        var columns = new ArrayList<JobRows.Column>(JobRows.SUCCESS_COLUMNS);
        var byId = new LinkedHashMap<UUID, Map<String, Object>>();
        successes.forEach((id, success) -> {
            Map<String, Object> values = rows.values(success.next(), columns);
            values.put("fence", success.fence());
            byId.put(id, values);
        });
        columns.add(new JobRows.Column("fence", JobRows.Kind.UUID));
        var recorded = new HashMap<UUID, ReadBack>();
        h.createQuery(sql)
                .bind("rows", rows.rowsByIdJson(byId, columns))
                .bindArray("ids", UUID.class, successes.keySet())
                .map((rs, ctx) -> Map.entry(UUID.fromString(rs.getString("id")), readBack(rs)))
                .forEach(row -> recorded.put(row.getKey(), row.getValue()));
        return recorded;
    }

    private Map<UUID, ReadBack> lockAndComplete(Handle h, Map<UUID, Success> successes) {
        var held = new HashMap<UUID, ReadBack>();
        h.createQuery("SELECT " + COMPLETION_READ_BACK + ", j.state, j.lease_token FROM <job> j"
                        + " WHERE j.id IN (<ids>) ORDER BY j.id FOR UPDATE")
                .bindList("ids", successes.keySet().stream().map(dialect::uuid).toList())
                .map((rs, ctx) -> {
                    UUID id = UUID.fromString(rs.getString("id"));
                    String token = rs.getString("lease_token");
                    if (rs.getString("state").equals("RUNNING")
                            && token != null
                            && UUID.fromString(token).equals(successes.get(id).fence())) {
                        held.put(id, readBack(rs));
                    }
                    return id;
                })
                .list();
        if (!held.isEmpty()) {
            PreparedBatch updates = h.prepareBatch(completeJob);
            for (UUID id : held.keySet()) {
                Map<String, Object> values = rows.values(successes.get(id).next(), JobRows.SUCCESS_COLUMNS);
                JobRows.SUCCESS_COLUMNS.forEach(column -> rows.bind(updates, column, values.get(column.name())));
                updates.bind("id", dialect.uuid(id)).add();
            }
            updates.execute();
        }
        return held;
    }

    /** Why a completion under {@code leaseToken} was not recorded, read from the row as it now is. */
    private LeaseLostException refusal(Handle h, UUID id, UUID leaseToken) {
        try {
            JobTransitions.requireLease(find(h, id), id, leaseToken);
        } catch (LeaseLostException e) {
            return e;
        }
        // The row holds the lease, so this was the second completion of a job in one batch.
        return new LeaseLostException(id, "the job was completed twice in one batch");
    }

    @Override
    public Transition fail(UUID jobId, UUID leaseToken, JobError error, Optional<Instant> retryAt) {
        return inTransaction(h -> {
            Instant now = now();
            Job job = leased(h, jobId, leaseToken);
            return finish(h, job, JobTransitions.failed(job, error, retryAt.map(JobRows::micros), now), now);
        });
    }

    @Override
    public Transition cancelRunning(UUID jobId, UUID leaseToken, JobError reason) {
        return inTransaction(h -> {
            Instant now = now();
            Job job = leased(h, jobId, leaseToken);
            return finish(h, job, JobTransitions.cancelled(job, reason, now), now);
        });
    }

    @Override
    public Transition snooze(UUID jobId, UUID leaseToken, Instant runAt) {
        return inTransaction(h -> {
            Instant now = now();
            Job job = leased(h, jobId, leaseToken);
            Job next = JobTransitions.snoozed(job, JobRows.micros(runAt), now);
            write(h, job, next);
            return Transition.of(next);
        });
    }

    @Override
    public Transition release(UUID jobId, UUID leaseToken) {
        return inTransaction(h -> {
            Instant now = now();
            Job job = leased(h, jobId, leaseToken);
            Job next = JobTransitions.released(job, now);
            write(h, job, next);
            return Transition.of(next);
        });
    }

    // ---- operators ----

    @Override
    public Transition cancel(UUID jobId) {
        return inTransaction(h -> {
            Instant now = now();
            Job job = lock(h, jobId).orElseThrow(() -> new JobNotFoundException(jobId));
            return switch (job.state()) {
                case CANCELLED -> Transition.of(job);
                case RUNNING -> {
                    Job flagged = JobTransitions.cancelRequested(job, now);
                    write(h, job, flagged);
                    yield Transition.of(flagged);
                }
                default ->
                    finish(h, job, JobTransitions.cancelled(job, JobTransitions.operatorCancellation(), now), now);
            };
        });
    }

    @Override
    public Transition retry(UUID jobId) {
        return inTransaction(h -> {
            Instant now = now();
            Job job = lock(h, jobId).orElseThrow(() -> new JobNotFoundException(jobId));
            if (job.state() != JobState.FAILED && job.state() != JobState.CANCELLED) {
                throw new InvalidTransitionException(
                        jobId, job.state(), "only failed or cancelled jobs can be retried");
            }
            // A failed job ran, so its dependencies were settled; a cancelled one may still wait.
            JobState target = job.state() == JobState.FAILED ? JobState.READY : waitingStateOf(h, job, now);
            if (target == JobState.CANCELLED) {
                throw new InvalidTransitionException(
                        jobId, job.state(), "a dependency it needs has failed or was cancelled; retry that first");
            }
            if (job.uniqueKey().isPresent()) {
                claimUniqueKey(h, job.uniqueKey().get(), jobId).ifPresent(holder -> {
                    throw new InvalidTransitionException(
                            jobId,
                            job.state(),
                            "unfinished job " + holder + " now holds its unique key; cancel that one first");
                });
            }
            Job retried =
                    JobTransitions.reopened(job, target == JobState.PENDING ? JobState.PENDING : JobState.READY, now);
            write(h, job, retried);
            var changed = new ArrayList<Job>();
            if (retried.state() == JobState.PENDING) {
                settle(h, retried, now, changed); // records how many dependencies it waits for
            }
            reviveCascadedDependents(h, retried, now, changed);
            return new Transition(retried, changed);
        });
    }

    private void reviveCascadedDependents(Handle h, Job parent, Instant now, List<Job> changed) {
        var work = new ArrayDeque<UUID>();
        work.add(parent.id());
        while (!work.isEmpty()) {
            for (Waiting waiting : lockDependents(h, work.poll())) {
                Job dependent = waiting.job();
                if (dependent.state() == JobState.PENDING) {
                    // Its retried dependency is unfinished again.
                    setPendingDependencies(h, dependent.id(), waiting.pendingDependencies() + 1);
                } else if (JobTransitions.cancelledByDependency(dependent)
                        && waitingStateOf(h, dependent, now) == JobState.PENDING) {
                    Job revived = JobTransitions.reopened(dependent, JobState.PENDING, now);
                    write(h, dependent, revived);
                    settle(h, revived, now, changed);
                    changed.add(revived);
                    work.add(dependent.id());
                }
            }
        }
    }

    // ---- maintenance ----

    @Override
    public List<Transition> reclaimExpiredLeases(int limit, LapsedLeasePolicy policy) {
        long startedNanos = System.nanoTime();
        Instant now = now();
        Optional<Instant> since = leaseScans.since(now, startedNanos);
        List<Transition> transitions = inTransaction(h -> {
            Query query = h.createQuery("SELECT * FROM <job> WHERE state = 'RUNNING' AND lease_expires_at <= :now"
                    + (since.isPresent() ? " AND lease_expires_at > :since" : "")
                    + " ORDER BY lease_expires_at LIMIT :limit "
                    + dialect.skipLocked());
            since.ifPresent(instant -> query.bind("since", JobRows.toColumn(instant)));
            List<Job> lapsed = query.bind("now", JobRows.toColumn(now))
                    .bind("limit", limit)
                    .map((rs, ctx) -> rows.read(rs))
                    .list();
            var reclaimed = new ArrayList<Transition>();
            for (Job job : lapsed) {
                Optional<Instant> retryAt = policy.retryAt(job).map(JobRows::micros);
                reclaimed.add(finish(h, job, JobTransitions.lapsed(job, retryAt, now), now));
            }
            return reclaimed;
        });
        // Only once committed: a scan whose transaction rolled back has taken nothing.
        leaseScans.scanned(since, now, transitions.size() < limit, startedNanos);
        return transitions;
    }

    @Override
    public List<Job> promoteDueJobs(int limit) {
        return inTransaction(h -> {
            Instant now = now();
            List<Job> due = h.createQuery("SELECT * FROM <job> WHERE state = 'SCHEDULED' AND run_at <= :now"
                            + " ORDER BY run_at LIMIT :limit "
                            + dialect.skipLocked())
                    .bind("now", JobRows.toColumn(now))
                    .bind("limit", limit)
                    .map((rs, ctx) -> rows.read(rs))
                    .list();
            var promoted =
                    due.stream().map(job -> JobTransitions.promoted(job, now)).toList();
            writeAll(h, promoted);
            return promoted;
        });
    }

    @Override
    public Optional<Instant> earliestRunAt(Set<String> queues) {
        if (queues.isEmpty()) {
            return Optional.empty();
        }
        // A due job answers "now" from the first entry of the claim index; only when none is due
        // does the minimum over the queue's claimable jobs (all of them in the future) get computed.
        // Both start where the queue's claims start: below a floor lie the entries a held-back
        // vacuum left, and a job there that is claimable after all waits as it would for a claim.
        return inTransaction(h -> {
            Instant now = now();
            Optional<Instant> earliest = Optional.empty();
            List<String> open = requestedQueues(h, queues);
            if (!open.isEmpty()) {
                Optional<ClaimFloors.Key> floor =
                        claimFloors.floorable(open, false).flatMap(claimFloors::current);
                String claimable = " FROM <job> WHERE " + dialect.claimable() + " AND " + requested
                        + (floor.isPresent() ? FROM_FLOOR : "");
                Query query = earliestClaimable(h, claimable, now).bindList("queues", open);
                bindFloor(query, floor);
                earliest = query.map((rs, ctx) -> readEarliest(rs)).findOne();
            }
            List<LimitRow> limited = h.createQuery(REQUESTED_LIMITED_QUEUES)
                    .bindList("queues", List.copyOf(queues))
                    .map((rs, ctx) -> LimitRow.read(rs))
                    .list();
            for (LimitRow row : limited) {
                QueueAllowance allowance = allowance(h, row, now);
                Optional<Instant> start = allowance.earliestStart(now);
                if (start.isEmpty()) {
                    continue;
                }
                Set<String> saturated = allowance.saturatedKeys();
                String claimable = " FROM <job> WHERE " + dialect.claimable() + " AND queue IN (<queues>)"
                        + keysAllowed(saturated);
                Query query = earliestClaimable(h, claimable, now).bindList("queues", List.of(row.queue()));
                if (!saturated.isEmpty()) {
                    query.bindList("saturated", List.copyOf(saturated));
                }
                Optional<Instant> next = query.map((rs, ctx) -> readEarliest(rs))
                        .findOne()
                        .map(runAt -> runAt.isAfter(start.get()) ? runAt : start.get());
                if (next.isPresent() && (earliest.isEmpty() || next.get().isBefore(earliest.get()))) {
                    earliest = next;
                }
            }
            return earliest;
        });
    }

    /** Now if a job of {@code claimable} (a {@code FROM … WHERE …}) is due, else the earliest runAt among them. */
    private static Query earliestClaimable(Handle h, String claimable, Instant now) {
        return h.createQuery("SELECT CASE WHEN EXISTS (SELECT 1" + claimable + " AND run_at <= :now)"
                        + " THEN :now ELSE (SELECT MIN(run_at)" + claimable + ") END AS earliest")
                .bind("now", JobRows.toColumn(now));
    }

    private static Instant readEarliest(ResultSet rs) throws SQLException {
        LocalDateTime earliest = rs.getObject("earliest", LocalDateTime.class);
        return earliest == null ? null : JobRows.fromColumn(earliest);
    }

    /**
     * The requested queues a claim without limits may look at: all of them where the statement
     * itself leaves out the paused and limited ones, else those neither paused nor limited now (read
     * in the claim's own transaction).
     */
    private List<String> requestedQueues(Handle h, Set<String> queues) {
        if (!storeSkipsHeldQueues) {
            return List.copyOf(queues);
        }
        Set<String> held =
                Set.copyOf(h.createQuery("SELECT queue FROM <paused_queue> UNION SELECT queue FROM <queue_limit>")
                        .mapTo(String.class)
                        .list());
        return queues.stream().filter(q -> !held.contains(q)).toList();
    }

    @Override
    public Optional<Job> get(UUID jobId) {
        return inTransaction(h -> find(h, jobId));
    }

    /**
     * A queue's claimable jobs in claim order, from the claim index alone: the row value after
     * {@code after} starts the page, so each page is a walk of the index from where the last ended
     * (PostgreSQL takes it as a range; the others filter, which a pass at a minute's interval can
     * afford).
     */
    @Override
    public List<ClaimPlace> claimOrder(String queue, Optional<ClaimPlace> after, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, was " + limit);
        }
        String sql = "SELECT id, priority, run_at FROM <job> WHERE " + dialect.claimable() + " AND queue = :queue"
                + (after.isPresent() ? PAST_PLACE : "")
                + " ORDER BY " + dialect.claimOrder(true) + " LIMIT :limit";
        return inTransaction(h -> {
            Query query = h.createQuery(sql).bind("queue", queue).bind("limit", limit);
            bindFloor(query, after.map(place -> new ClaimFloors.Key(place.priority(), place.runAt(), place.id())));
            return query.map((rs, ctx) -> new ClaimPlace(
                            UUID.fromString(rs.getString("id")), rs.getInt("priority"), JobRows.instant(rs, "run_at")))
                    .list();
        });
    }

    @Override
    public JobPage list(JobQuery query) {
        var sql = new StringBuilder("SELECT * FROM <job> WHERE 1 = 1");
        if (!query.states().isEmpty()) {
            sql.append(" AND state IN (<states>)");
        }
        if (!query.queues().isEmpty()) {
            sql.append(" AND queue IN (<queues>)");
        }
        if (!query.types().isEmpty()) {
            sql.append(" AND type IN (<types>)");
        }
        query.since().ifPresent(s -> sql.append(" AND created_at >= :since"));
        query.dependsOn()
                .ifPresent(
                        p -> sql.append(" AND id IN (SELECT job_id FROM <dependency> WHERE depends_on_id = :parent)"));
        Optional<UUID> cursor = query.cursor().map(JobIds::cursorId);
        cursor.ifPresent(c -> sql.append(" AND id < :cursor"));
        sql.append(" ORDER BY id DESC LIMIT :limit");
        List<Job> found = inTransaction(h -> {
            var statement = h.createQuery(sql.toString()).bind("limit", query.limit() + 1);
            if (!query.states().isEmpty()) {
                statement.bindList(
                        "states", query.states().stream().map(Enum::name).toList());
            }
            if (!query.queues().isEmpty()) {
                statement.bindList("queues", List.copyOf(query.queues()));
            }
            if (!query.types().isEmpty()) {
                statement.bindList("types", List.copyOf(query.types()));
            }
            query.since().ifPresent(s -> statement.bind("since", JobRows.toColumn(s)));
            query.dependsOn().ifPresent(p -> statement.bind("parent", dialect.uuid(p)));
            cursor.ifPresent(c -> statement.bind("cursor", dialect.uuid(c)));
            return statement.map((rs, ctx) -> rows.read(rs)).list();
        });
        boolean more = found.size() > query.limit();
        List<Job> page = more ? found.subList(0, query.limit()) : found;
        return JobIds.page(page, more);
    }

    @Override
    public List<QueueCounts> counts() {
        return inTransaction(h -> {
            // Live jobs counted (on PostgreSQL in the live partition alone), finished ones summed from
            // their running totals: the work grows with the jobs in hand, not with the history.
            Map<String, Map<JobState, Long>> byQueue = FinishedCounts.read(h);
            h.createQuery(liveCounts)
                    .bindList("live", LIVE)
                    .map((rs, ctx) -> {
                        byQueue.computeIfAbsent(rs.getString("queue"), q -> new EnumMap<>(JobState.class))
                                .put(JobState.valueOf(rs.getString("state")), rs.getLong("n"));
                        return null;
                    })
                    .list();
            Set<String> paused = pausedQueues(h);
            paused.forEach(q -> byQueue.computeIfAbsent(q, name -> new EnumMap<>(JobState.class)));
            return byQueue.entrySet().stream()
                    .map(e -> new QueueCounts(e.getKey(), e.getValue(), paused.contains(e.getKey())))
                    .toList();
        });
    }

    @Override
    public List<QueueStats> queueStats(Instant finishedSince) {
        return inTransaction(h -> {
            var byQueue = new TreeMap<String, QueueStats>();
            h.createQuery("SELECT queue, state, COUNT(*) AS n, AVG("
                            + dialect.millisBetween("started_at", "finished_at")
                            + ") AS run_ms FROM <job> WHERE finished_at >= :since AND state IN ('SUCCEEDED', 'FAILED')"
                            + " GROUP BY queue, state")
                    .bind("since", JobRows.toColumn(finishedSince))
                    .map((rs, ctx) -> {
                        long n = rs.getLong("n");
                        double runMs = rs.getDouble("run_ms");
                        Optional<Duration> run = rs.wasNull()
                                ? Optional.empty()
                                : Optional.of(Duration.ofNanos(Math.round(runMs * 1_000_000)));
                        boolean succeeded = rs.getString("state").equals("SUCCEEDED");
                        var row = new QueueStats(rs.getString("queue"), succeeded ? n : 0, succeeded ? 0 : n, run);
                        byQueue.merge(row.queue(), row, JdbcJobStore::combine);
                        return row;
                    })
                    .list();
            return List.copyOf(byQueue.values());
        });
    }

    @Override
    public List<FinishedInMinute> finishedPerMinute(Instant since) {
        return inTransaction(h -> {
            var byMinute = new TreeMap<Instant, long[]>();
            String minuteOfFinish = dialect.minuteOf("finished_at");
            h.createQuery("SELECT " + minuteOfFinish + " AS finished_minute, state, COUNT(*) AS n FROM <job>"
                            + " WHERE finished_at >= :since AND state IN ('SUCCEEDED', 'FAILED')"
                            + " GROUP BY " + minuteOfFinish + ", state")
                    .bind("since", JobRows.toColumn(since))
                    .map((rs, ctx) -> {
                        Instant minute = JobRows.instant(rs, "finished_minute");
                        int column = rs.getString("state").equals("SUCCEEDED") ? 0 : 1;
                        byMinute.computeIfAbsent(minute, m -> new long[2])[column] += rs.getLong("n");
                        return minute;
                    })
                    .list();
            return byMinute.entrySet().stream()
                    .map(e -> new FinishedInMinute(e.getKey(), e.getValue()[0], e.getValue()[1]))
                    .toList();
        });
    }

    /** One queue's succeeded and failed rows as one, their mean run times weighted by count. */
    private static QueueStats combine(QueueStats a, QueueStats b) {
        long countA = a.succeeded() + a.failed();
        long countB = b.succeeded() + b.failed();
        Optional<Duration> run;
        if (a.averageRunTime().isEmpty() || b.averageRunTime().isEmpty()) {
            run = a.averageRunTime().or(b::averageRunTime);
        } else {
            double nanos = (a.averageRunTime().get().toNanos() * (double) countA
                            + b.averageRunTime().get().toNanos() * (double) countB)
                    / (countA + countB);
            run = Optional.of(Duration.ofNanos(Math.round(nanos)));
        }
        return new QueueStats(a.queue(), a.succeeded() + b.succeeded(), a.failed() + b.failed(), run);
    }

    /**
     * Jobs one purge transaction deletes at most: retention then never holds many locks or a long
     * transaction, and never reads more ids than this into memory, however much history is due.
     */
    static final int PURGE_BATCH = 1000;

    /**
     * Deletes in batches of {@link #PURGE_BATCH}, each its own transaction, oldest first: first the
     * jobs finished before the cutoff (a range of the finished index), then, per queue, those past
     * the newest {@code keepLatestPerQueue}.
     */
    @Override
    public int purge(PurgeRequest request) {
        int purged = 0;
        if (request.finishedBefore().isPresent()) {
            LocalDateTime cutoff = JobRows.toColumn(request.finishedBefore().get());
            purged += purgeInBatches(h -> h.createQuery("SELECT id, queue, state FROM <job> WHERE finished_at < :cutoff"
                            + " AND state IN (<terminal>) ORDER BY finished_at LIMIT :batch")
                    .bind("cutoff", cutoff));
        }
        if (request.keepLatestPerQueue().isPresent()) {
            int keep = request.keepLatestPerQueue().getAsInt();
            List<String> queues =
                    inTransaction(h -> h.createQuery("SELECT DISTINCT queue FROM <job> WHERE state IN (<terminal>)")
                            .bindList("terminal", TERMINAL)
                            .mapTo(String.class)
                            .list());
            for (String queue : queues) {
                purged += purgeBeyondNewest(queue, keep);
            }
        }
        return purged;
    }

    /** Deletes the finished jobs of {@code queue} older than its newest {@code keep}. */
    private int purgeBeyondNewest(String queue, int keep) {
        // The newest job that goes: the one just past the kept ones, in (finished_at, id) order.
        Optional<Map.Entry<LocalDateTime, UUID>> boundary = inTransaction(h -> h.createQuery(
                        "SELECT finished_at, id FROM <job> WHERE queue = :queue AND state IN (<terminal>)"
                                + " ORDER BY finished_at DESC, id DESC LIMIT 1 OFFSET :keep")
                .bind("queue", queue)
                .bindList("terminal", TERMINAL)
                .bind("keep", keep)
                .map((rs, ctx) -> Map.entry(
                        rs.getObject("finished_at", LocalDateTime.class), UUID.fromString(rs.getString("id"))))
                .findOne());
        if (boundary.isEmpty()) {
            return 0;
        }
        return purgeInBatches(h -> h.createQuery("SELECT id, queue, state FROM <job> WHERE queue = :queue"
                        + " AND state IN (<terminal>)"
                        + " AND (finished_at < :finished OR (finished_at = :finished AND id <= :id))"
                        + " ORDER BY finished_at LIMIT :batch")
                .bind("queue", queue)
                .bind("finished", boundary.get().getKey())
                .bind("id", dialect.uuid(boundary.get().getValue())));
    }

    /**
     * Runs the selection of doomed jobs (their id, queue and state; {@code :batch} of them at most,
     * {@code <terminal>} bound here) and deletes them with their edges and keys, batch after batch, until none is left.
     */
    private int purgeInBatches(Function<Handle, Query> doomed) {
        int purged = 0;
        while (true) {
            int deleted = inTransaction(h -> {
                List<UUID> ids = doomed.apply(h)
                        .bindList("terminal", TERMINAL)
                        .bind("batch", PURGE_BATCH)
                        .map((rs, ctx) -> {
                            finishedCounts.purged(rs.getString("queue"), JobState.valueOf(rs.getString("state")));
                            return UUID.fromString(rs.getString("id"));
                        })
                        .list();
                if (!ids.isEmpty()) {
                    var bound = ids.stream().map(dialect::uuid).toList();
                    h.createUpdate("DELETE FROM <dependency> WHERE job_id IN (<ids>) OR depends_on_id IN (<ids>)")
                            .bindList("ids", bound)
                            .execute();
                    h.createUpdate("DELETE FROM <idempotency_key> WHERE job_id IN (<ids>)")
                            .bindList("ids", bound)
                            .execute();
                    h.createUpdate("DELETE FROM <job> WHERE id IN (<ids>)")
                            .bindList("ids", bound)
                            .execute();
                }
                return ids.size();
            });
            purged += deleted;
            if (deleted < PURGE_BATCH) {
                return purged;
            }
        }
    }

    private static <T> List<List<T>> chunks(List<T> all, int size) {
        var chunks = new ArrayList<List<T>>();
        for (int i = 0; i < all.size(); i += size) {
            chunks.add(all.subList(i, Math.min(all.size(), i + size)));
        }
        return chunks;
    }

    // ---- recurring jobs ----

    @Override
    public RecurringRecord saveRecurring(String name, String schedule, JsonNode definition, Instant upToIfNew) {
        String text = rows.json(definition);
        return inTransaction(h -> {
            Instant now = now();
            Optional<RecurringRecord> stored = lockRecurring(h, name);
            if (stored.isEmpty()) {
                int inserted = h.createUpdate(dialect.insertIfAbsent(
                                "<recurring>",
                                "name, schedule, definition, up_to, version, updated_at",
                                ":key, :schedule, :definition, :up_to, 1, :updated_at",
                                "name"))
                        .bind("key", name)
                        .bind("schedule", schedule)
                        .bind("definition", text)
                        .bind("up_to", JobRows.toColumn(JobRows.micros(upToIfNew)))
                        .bind("updated_at", JobRows.toColumn(now))
                        .execute();
                if (inserted == 1) {
                    return new RecurringRecord(name, schedule, definition, JobRows.micros(upToIfNew), 1, now);
                }
                // Another instance saved it first: treat its row as the stored one.
                stored = lockRecurring(h, name);
            }
            RecurringRecord current = stored.orElseThrow();
            if (current.schedule().equals(schedule)
                    && rows.json(current.definition()).equals(text)) {
                return current;
            }
            Instant upTo = current.schedule().equals(schedule) ? current.upTo() : JobRows.micros(upToIfNew);
            h.createUpdate("UPDATE <recurring> SET schedule = :schedule, definition = :definition, up_to = :up_to,"
                            + " version = version + 1, updated_at = :updated_at WHERE name = :name")
                    .bind("name", name)
                    .bind("schedule", schedule)
                    .bind("definition", text)
                    .bind("up_to", JobRows.toColumn(upTo))
                    .bind("updated_at", JobRows.toColumn(now))
                    .execute();
            return new RecurringRecord(name, schedule, definition, upTo, current.version() + 1, now);
        });
    }

    private Optional<RecurringRecord> lockRecurring(Handle h, String name) {
        return h.createQuery("SELECT * FROM <recurring> WHERE name = :name FOR UPDATE")
                .bind("name", name)
                .map((rs, ctx) -> rows.readRecurring(rs))
                .findOne();
    }

    @Override
    public List<RecurringRecord> recurringJobs() {
        return inTransaction(h -> h.createQuery("SELECT * FROM <recurring> ORDER BY name")
                .map((rs, ctx) -> rows.readRecurring(rs))
                .list());
    }

    @Override
    public Optional<RecurringRecord> recurringJob(String name) {
        return inTransaction(h -> h.createQuery("SELECT * FROM <recurring> WHERE name = :name")
                .bind("name", name)
                .map((rs, ctx) -> rows.readRecurring(rs))
                .findOne());
    }

    @Override
    public boolean deleteRecurring(String name) {
        return inTransaction(h -> h.createUpdate("DELETE FROM <recurring> WHERE name = :name")
                        .bind("name", name)
                        .execute())
                > 0;
    }

    /**
     * The compare-and-set on the version: instances that read the same version race here, the
     * first update holds the row until it commits, and the others then find the version moved and
     * update nothing, so only the winner creates the occurrences' jobs.
     */
    @Override
    public Optional<List<Job>> advanceRecurring(String name, long expectedVersion, Instant upTo, List<NewJob> jobs) {
        return inTransaction(h -> {
            int moved = h.createUpdate("UPDATE <recurring> SET up_to = :up_to, version = version + 1"
                            + " WHERE name = :name AND version = :version")
                    .bind("name", name)
                    .bind("version", expectedVersion)
                    .bind("up_to", JobRows.toColumn(JobRows.micros(upTo)))
                    .execute();
            if (moved == 0) {
                return Optional.<List<Job>>empty();
            }
            return Optional.of(jobs.isEmpty() ? List.<Job>of() : createOn(h, jobs));
        });
    }

    @Override
    public void setQueuePaused(String queue, boolean paused) {
        inTransaction(h -> {
            if (paused) {
                h.createUpdate(dialect.insertIfAbsent("<paused_queue>", "queue", ":key", "queue"))
                        .bind("key", queue)
                        .execute();
            } else {
                h.createUpdate("DELETE FROM <paused_queue> WHERE queue = :queue")
                        .bind("queue", queue)
                        .execute();
            }
            return null;
        });
    }

    @Override
    public Set<String> pausedQueues() {
        return inTransaction(this::pausedQueues);
    }

    private Set<String> pausedQueues(Handle h) {
        return Set.copyOf(h.createQuery("SELECT queue FROM <paused_queue>")
                .mapTo(String.class)
                .list());
    }

    @Override
    public void setQueueLimits(String queue, QueueLimits limits) {
        inTransaction(h -> {
            Optional<LimitRow> stored = h.createQuery("SELECT * FROM <queue_limit> WHERE queue = :queue FOR UPDATE")
                    .bind("queue", queue)
                    .map((rs, ctx) -> LimitRow.read(rs))
                    .findOne();
            if (limits.isNone()) {
                h.createUpdate("DELETE FROM <queue_limit> WHERE queue = :queue")
                        .bind("queue", queue)
                        .execute();
                return null;
            }
            if (stored.isPresent() && stored.get().limits().equals(limits)) {
                return null;
            }
            Instant now = now();
            // A new start rate starts with a full bucket; other changes keep what is left of it.
            StartBucket bucket = stored.filter(row -> row.limits().maxStarts().equals(limits.maxStarts()))
                    .map(LimitRow::bucket)
                    .orElseGet(() -> limits.maxStarts()
                            .map(rate -> StartBucket.full(rate, now))
                            .orElse(new StartBucket(0, now)));
            String columns = "max_running = :max_running, max_starts = :max_starts,"
                    + " starts_window_ms = :starts_window_ms, max_running_per_key = :max_running_per_key,"
                    + " tokens = :tokens, tokens_at = :tokens_at, updated_at = :updated_at";
            h.createUpdate(
                            stored.isPresent()
                                    ? "UPDATE <queue_limit> SET " + columns + " WHERE queue = :queue"
                                    : "INSERT INTO <queue_limit> (queue, max_running, max_starts, starts_window_ms,"
                                            + " max_running_per_key, tokens, tokens_at, updated_at) VALUES (:queue,"
                                            + " :max_running, :max_starts, :starts_window_ms, :max_running_per_key,"
                                            + " :tokens, :tokens_at, :updated_at)")
                    .bind("queue", queue)
                    .bind("max_running", boxed(limits.maxRunning()))
                    .bind(
                            "max_starts",
                            limits.maxStarts()
                                    .map(QueueLimits.StartRate::starts)
                                    .orElse(null))
                    .bind(
                            "starts_window_ms",
                            limits.maxStarts()
                                    .map(rate -> rate.per().toMillis())
                                    .orElse(null))
                    .bind("max_running_per_key", boxed(limits.maxRunningPerKey()))
                    .bind("tokens", bucket.tokens())
                    .bind("tokens_at", JobRows.toColumn(bucket.at()))
                    .bind("updated_at", JobRows.toColumn(now))
                    .execute();
            return null;
        });
    }

    private static Integer boxed(OptionalInt value) {
        return value.isPresent() ? value.getAsInt() : null;
    }

    @Override
    public Map<String, QueueLimits> queueLimits() {
        return inTransaction(
                h -> h.createQuery("SELECT * FROM <queue_limit>").map((rs, ctx) -> LimitRow.read(rs)).list().stream()
                        .collect(Collectors.toUnmodifiableMap(LimitRow::queue, LimitRow::limits)));
    }

    /** A row of the queue-limit table: a queue's limits and its start bucket. */
    private record LimitRow(String queue, QueueLimits limits, StartBucket bucket) {
        static LimitRow read(ResultSet rs) throws SQLException {
            QueueLimits limits = QueueLimits.none();
            int maxRunning = rs.getInt("max_running");
            if (!rs.wasNull()) {
                limits = limits.withMaxRunning(maxRunning);
            }
            int maxStarts = rs.getInt("max_starts");
            if (!rs.wasNull()) {
                limits = limits.withMaxStarts(maxStarts, Duration.ofMillis(rs.getLong("starts_window_ms")));
            }
            int perKey = rs.getInt("max_running_per_key");
            if (!rs.wasNull()) {
                limits = limits.withMaxRunningPerKey(perKey);
            }
            StartBucket bucket = new StartBucket(
                    rs.getDouble("tokens"), JobRows.fromColumn(rs.getObject("tokens_at", LocalDateTime.class)));
            return new LimitRow(rs.getString("queue"), limits, bucket);
        }
    }

    @Override
    public void registerWorker(WorkerInfo worker) {
        inTransaction(h -> {
            int updated = h.createUpdate("UPDATE <worker> SET owner = :owner, host = :host, queues = :queues,"
                            + " concurrency = :concurrency, running = :running, started_at = :started_at,"
                            + " last_heartbeat_at = :last_heartbeat_at, expires_at = :expires_at, died_at = NULL,"
                            + " stopped_at = NULL"
                            + " WHERE id = :id AND (owner = :owner OR owner = '' OR stopped_at IS NOT NULL)")
                    .bindMap(JobRows.workerColumns(worker))
                    .execute();
            if (updated == 0) {
                h.createUpdate(dialect.insertIfAbsent(
                                "<worker>",
                                "id, owner, host, queues, concurrency, running, started_at, last_heartbeat_at,"
                                        + " expires_at",
                                ":key, :owner, :host, :queues, :concurrency, :running, :started_at,"
                                        + " :last_heartbeat_at, :expires_at",
                                "id"))
                        .bindMap(JobRows.workerColumns(worker))
                        .bind("key", worker.id())
                        .execute();
                // Inserted, or another owner's row was there all along (then nothing changed).
                String owner = h.createQuery("SELECT owner FROM <worker> WHERE id = :id")
                        .bind("id", worker.id())
                        .mapTo(String.class)
                        .findOne()
                        .orElse(worker.owner());
                if (!owner.equals(worker.owner())) {
                    throw new WorkerIdTakenException(worker.id());
                }
            }
            return null;
        });
    }

    @Override
    public void removeWorker(String workerId) {
        inTransaction(h -> h.createUpdate("DELETE FROM <worker> WHERE id = :id")
                .bind("id", workerId)
                .execute());
    }

    @Override
    public List<WorkerInfo> workers() {
        return inTransaction(h -> h.createQuery("SELECT * FROM <worker> ORDER BY id")
                .map((rs, ctx) -> JobRows.readWorker(rs))
                .list());
    }

    @Override
    public List<WorkerInfo> workers(Optional<String> after, int limit) {
        return inOneStatement(h -> {
            Query query = h.createQuery("SELECT * FROM <worker>" + (after.isPresent() ? " WHERE id > :after" : "")
                            + " ORDER BY id LIMIT :limit")
                    .bind("limit", limit);
            after.ifPresent(id -> query.bind("after", id));
            return query.map((rs, ctx) -> JobRows.readWorker(rs)).list();
        });
    }

    @Override
    public Optional<WorkerInfo> worker(String id) {
        return inOneStatement(h -> h.createQuery("SELECT * FROM <worker> WHERE id = :id")
                .bind("id", id)
                .map((rs, ctx) -> JobRows.readWorker(rs))
                .findOne());
    }

    @Override
    public List<DeadWorker> reapDeadWorkers(LapsedLeasePolicy policy) {
        return inTransaction(h -> {
            Instant now = now();
            // SKIP LOCKED: instances reaping at once take disjoint workers, and a worker's row is
            // marked dead by the one transaction that locked it, so its jobs are taken back once.
            List<WorkerInfo> silent = h.createQuery(
                            "SELECT * FROM <worker> WHERE died_at IS NULL AND stopped_at IS NULL AND expires_at <= :now"
                                    + " ORDER BY id "
                                    + dialect.skipLocked())
                    .bind("now", JobRows.toColumn(now))
                    .map((rs, ctx) -> JobRows.readWorker(rs))
                    .list();
            var reaped = new ArrayList<DeadWorker>();
            for (WorkerInfo worker : silent) {
                if (worker.remote() && lockRunningJobsOf(h, worker.id()).isEmpty()) {
                    h.createUpdate("DELETE FROM <worker> WHERE id = :id AND died_at IS NULL AND stopped_at IS NULL"
                                    + " AND expires_at <= :now")
                            .bind("id", worker.id())
                            .bind("now", JobRows.toColumn(now))
                            .execute();
                    continue;
                }
                // Conditional too, for a database that waited on the lock and read the row as it was.
                int declared = h.createUpdate("UPDATE <worker> SET died_at = :now"
                                + " WHERE id = :id AND died_at IS NULL AND stopped_at IS NULL")
                        .bind("now", JobRows.toColumn(now))
                        .bind("id", worker.id())
                        .execute();
                if (declared == 0) {
                    continue;
                }
                var reclaimed = new ArrayList<Transition>();
                for (Job job : lockRunningJobsOf(h, worker.id())) {
                    Optional<Instant> retryAt = policy.retryAt(job).map(JobRows::micros);
                    Job abandoned = JobTransitions.abandoned(job, worker.lastHeartbeatAt(), retryAt, now);
                    reclaimed.add(finish(h, job, abandoned, now));
                }
                reaped.add(new DeadWorker(worker.declaredDeadAt(now), reclaimed));
            }
            return reaped;
        });
    }

    @Override
    public Optional<StoppedWorker> stopWorker(String workerId) {
        return inTransaction(h -> {
            Instant now = now();
            h.createUpdate("UPDATE <worker> SET stopped_at = :now WHERE id = :id AND stopped_at IS NULL")
                    .bind("now", JobRows.toColumn(now))
                    .bind("id", workerId)
                    .execute();
            Optional<WorkerInfo> worker = h.createQuery("SELECT * FROM <worker> WHERE id = :id")
                    .bind("id", workerId)
                    .map((rs, ctx) -> JobRows.readWorker(rs))
                    .findOne();
            if (worker.isEmpty()) {
                return Optional.<StoppedWorker>empty();
            }
            var handedBack = new ArrayList<Job>();
            for (Job job : lockRunningJobsOf(h, workerId)) {
                Job released = JobTransitions.released(job, now);
                write(h, job, released);
                handedBack.add(released);
            }
            return Optional.of(new StoppedWorker(worker.get(), handedBack));
        });
    }

    /**
     * The jobs a worker is running, locked. Rows another transaction changed while this one waited
     * for their lock (a lease reclaimer that got there first) are read as they now are and left out.
     */
    private List<Job> lockRunningJobsOf(Handle h, String workerId) {
        return h
                .createQuery(
                        "SELECT * FROM <job> WHERE state = 'RUNNING' AND lease_owner = :owner ORDER BY id FOR UPDATE")
                .bind("owner", workerId)
                .map((rs, ctx) -> rows.read(rs))
                .list()
                .stream()
                .filter(job -> job.state() == JobState.RUNNING
                        && job.leaseOwner().filter(workerId::equals).isPresent())
                .toList();
    }

    @Override
    public int removeWorkersSilentSince(Instant cutoff) {
        return inTransaction(h -> h.createUpdate("DELETE FROM <worker> WHERE last_heartbeat_at < :cutoff")
                .bind("cutoff", JobRows.toColumn(cutoff))
                .execute());
    }

    /** The job table's partitions, where it has them (PostgreSQL, schema V7): their upkeep is what matters. */
    private static final List<String> JOB_PARTITIONS = List.of("job_live", "job_history");

    @Override
    public Optional<StoreHealth> health() {
        List<String> tables = Stream.concat(TABLES.stream(), JOB_PARTITIONS.stream())
                .map(t -> prefix + t)
                .toList();
        return inOneStatement(h -> dialect.health(h, tables, vacuumHeldBackAfter));
    }

    @Override
    public boolean subscribe(Consumer<String> onQueueChanged) {
        if (!dialect.supportsNotifications()) {
            return false;
        }
        if (listenConnections.isEmpty()) {
            log.info("idle workers poll for new jobs: the store is behind a transaction pooler, where LISTEN"
                    + " cannot hold, and has no listenJdbcUrl for a direct connection");
            return false;
        }
        subscribers.add(onQueueChanged);
        synchronized (this) {
            if (listener == null) {
                listening = true;
                listener = Thread.ofPlatform()
                        .daemon()
                        .name("jobs-listen-" + channel)
                        .start(this::listen);
                log.info(
                        "idle workers wake on {} notifications (channel {}), heard on {}",
                        dialect.name(),
                        channel,
                        listensDirectly ? "a direct connection (listenJdbcUrl)" : "a connection of the pool");
            }
        }
        return true;
    }

    /** Holds one connection listening for new work; reconnects with back-off when it fails. */
    private void listen() {
        Duration backoff = Duration.ofMillis(100);
        while (listening) {
            try (Connection connection = listenConnections.orElseThrow().open()) {
                // Anything announced while we were away is unknown: let every waiter look.
                subscribers.forEach(s -> s.accept("*"));
                dialect.listen(
                        connection, channel, queue -> subscribers.forEach(s -> s.accept(queue)), () -> listening);
                backoff = Duration.ofMillis(100);
            } catch (SQLException | RuntimeException e) {
                if (!listening) {
                    return;
                }
                log.warn(
                        "listening for new jobs failed; workers poll until it reconnects in {}: {}",
                        backoff,
                        e.toString());
                LockSupport.parkNanos(backoff.toNanos());
                backoff = backoff.multipliedBy(2).compareTo(Duration.ofSeconds(5)) > 0
                        ? Duration.ofSeconds(5)
                        : backoff.multipliedBy(2);
            }
        }
    }

    @Override
    public void close() {
        Thread running;
        synchronized (this) {
            listening = false;
            running = listener;
        }
        if (running != null) {
            try {
                running.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (ownedPool != null) {
            ownedPool.close();
        }
    }

    // ---- rows, locks and the dependency cascade ----

    private Optional<Job> find(Handle h, UUID id) {
        return h.createQuery("SELECT * FROM <job> WHERE id = :id")
                .bind("id", dialect.uuid(id))
                .map((rs, ctx) -> rows.read(rs))
                .findOne();
    }

    /** The job, its row locked until the transaction ends. */
    private Optional<Job> lock(Handle h, UUID id) {
        return h.createQuery("SELECT * FROM <job> WHERE id = :id FOR UPDATE")
                .bind("id", dialect.uuid(id))
                .map((rs, ctx) -> rows.read(rs))
                .findOne();
    }

    /** The job under its lock, if {@code leaseToken} is its current lease. */
    private Job leased(Handle h, UUID jobId, UUID leaseToken) {
        return JobTransitions.requireLease(lock(h, jobId), jobId, leaseToken);
    }

    /** A job waiting on dependencies, with how many of them have not finished yet. */
    private record Waiting(Job job, int pendingDependencies) {}

    /** The jobs that depend on {@code parentId}, locked, in a stable order. */
    private List<Waiting> lockDependents(Handle h, UUID parentId) {
        return h.createQuery("SELECT * FROM <job> WHERE id IN"
                        + " (SELECT job_id FROM <dependency> WHERE depends_on_id = :parent) ORDER BY id FOR UPDATE")
                .bind("parent", dialect.uuid(parentId))
                .map((rs, ctx) -> new Waiting(rows.read(rs), rs.getInt("pending_dependencies")))
                .list();
    }

    private void setPendingDependencies(Handle h, UUID id, int count) {
        h.createUpdate("UPDATE <job> SET pending_dependencies = :count WHERE id = :id")
                .bind("count", count)
                .bind("id", dialect.uuid(id))
                .execute();
    }

    private void write(Handle h, Job previous, Job next) {
        finishedCounts.changed(previous, next);
        writeAll(h, List.of(next));
        releaseUniqueKeyIfFinished(h, previous, next);
    }

    /** Rewrites jobs none of which enters or leaves a final state ({@link #write} counts those). */
    private void writeAll(Handle h, List<Job> jobs) {
        if (jobs.isEmpty()) {
            return;
        }
        PreparedBatch updates = h.prepareBatch(updateJob);
        jobs.forEach(job -> rows.bind(updates, job).add());
        updates.execute();
        announceClaimable(h, jobs);
    }

    /**
     * Wakes idle workers of every process when these jobs are claimable (on databases that can),
     * and lowers this store's claim floors below them.
     */
    private void announceClaimable(Handle h, List<Job> jobs) {
        claimFloors.admitted(jobs);
        Set<String> queues = jobs.stream()
                .filter(job -> job.state().isClaimable())
                .map(Job::queue)
                .collect(Collectors.toSet());
        if (!queues.isEmpty()) {
            dialect.notifyQueues(h, channel, queues);
        }
    }

    private void releaseUniqueKeyIfFinished(Handle h, Job previous, Job next) {
        if (!previous.isTerminal() && next.isTerminal()) {
            releaseUniqueKey(h, next);
        }
    }

    /** A finished job gives up its unique key, so a new job may take it. */
    private void releaseUniqueKey(Handle h, Job finished) {
        if (finished.uniqueKey().isPresent()) {
            h.createUpdate("DELETE FROM <unique_key> WHERE unique_key = :key AND job_id = :job_id")
                    .bind("key", finished.uniqueKey().get())
                    .bind("job_id", dialect.uuid(finished.id()))
                    .execute();
        }
    }

    /** Stores an outcome and carries it to the job's dependents, in the same transaction. */
    private Transition finish(Handle h, Job job, Job next, Instant now) {
        write(h, job, next);
        var changed = new ArrayList<Job>();
        if (next.isTerminal()) {
            settleDependentsOf(h, next, now, changed);
        }
        return new Transition(next, changed);
    }

    /**
     * Carries a finished job to its waiting dependents, counting down each one's unfinished
     * dependencies, so the work is O(the finished job's edges): only a dependent whose count reaches
     * zero, or that a failure cancels, changes state; cancellations cascade.
     */
    private void settleDependentsOf(Handle h, Job finished, Instant now, List<Job> changed) {
        var work = new ArrayDeque<Job>();
        work.add(finished);
        while (!work.isEmpty()) {
            Job parent = work.poll();
            for (Waiting waiting : lockDependents(h, parent.id())) {
                Job dependent = waiting.job();
                if (dependent.state() != JobState.PENDING) {
                    continue;
                }
                int remaining = Math.max(0, waiting.pendingDependencies() - 1);
                // The rule only needs this parent's outcome and whether others are unfinished: a
                // dependency that failed earlier would already have cancelled a CANCEL dependent.
                List<JobState> known =
                        remaining > 0 ? List.of(parent.state(), JobState.PENDING) : List.of(parent.state());
                JobState target =
                        DependencyRule.resolve(known, dependent.onDependencyFailure(), dependent.runAt(), now);
                if (target == JobState.PENDING) {
                    setPendingDependencies(h, dependent.id(), remaining);
                    continue;
                }
                Job settled = JobTransitions.settled(
                        dependent, target, target == JobState.CANCELLED ? Optional.of(parent) : Optional.empty(), now);
                write(h, dependent, settled);
                changed.add(settled);
                if (settled.isTerminal()) {
                    work.add(settled);
                }
            }
        }
    }

    /**
     * Moves a pending job to the state all its dependencies call for, reading each of them (at
     * creation and after a retry); if it keeps waiting, records how many are unfinished.
     */
    private Job settle(Handle h, Job pending, Instant now, List<Job> changed) {
        Map<UUID, Job> dependencies = dependenciesOf(h, pending);
        List<JobState> states = states(pending, dependencies);
        JobState target = DependencyRule.resolve(states, pending.onDependencyFailure(), pending.runAt(), now);
        if (target == JobState.PENDING) {
            setPendingDependencies(h, pending.id(), (int)
                    states.stream().filter(s -> !s.isTerminal()).count());
            return pending;
        }
        Optional<Job> culprit = dependencies.values().stream()
                .filter(j -> j.state() == JobState.FAILED || j.state() == JobState.CANCELLED)
                .findFirst();
        Job settled = JobTransitions.settled(pending, target, culprit, now);
        write(h, pending, settled);
        changed.add(settled);
        return settled;
    }

    private JobState waitingStateOf(Handle h, Job job, Instant now) {
        return DependencyRule.resolve(states(job, dependenciesOf(h, job)), job.onDependencyFailure(), job.runAt(), now);
    }

    private Map<UUID, Job> dependenciesOf(Handle h, Job job) {
        if (job.dependsOn().isEmpty()) {
            return Map.of();
        }
        var found = new HashMap<UUID, Job>();
        h.createQuery("SELECT * FROM <job> WHERE id IN (<ids>)")
                .bindList("ids", job.dependsOn().stream().map(dialect::uuid).toList())
                .map((rs, ctx) -> rows.read(rs))
                .forEach(dependency -> found.put(dependency.id(), dependency));
        return found;
    }

    /** A dependency that no longer exists was purged after it finished and released its dependents. */
    private static List<JobState> states(Job job, Map<UUID, Job> dependencies) {
        return job.dependsOn().stream()
                .map(id -> Optional.ofNullable(dependencies.get(id))
                        .map(Job::state)
                        .orElse(JobState.SUCCEEDED))
                .toList();
    }

    private Instant now() {
        return JobRows.micros(clock.instant());
    }

    /**
     * Runs {@code work} in a READ COMMITTED transaction, running it again after a deadlock or
     * serialization failure, and turning a lost connection into {@link StoreUnavailableException}.
     * Exceptions the work throws on purpose (fencing, validation) pass through unchanged.
     */
    private <T> T inTransaction(HandleCallback<T, RuntimeException> work) {
        return run(work, true);
    }

    /**
     * Runs {@code work} on a connection in auto-commit, for work that is a single statement: it commits
     * on its own, so no transaction need be opened and ended around it.
     */
    private <T> T inOneStatement(HandleCallback<T, RuntimeException> work) {
        return run(work, false);
    }

    private <T> T run(HandleCallback<T, RuntimeException> work, boolean transaction) {
        int mended = 0;
        for (int attempt = 1; ; attempt++) {
            try {
                if (!transaction) {
                    return jdbi.withHandle(work);
                }
                HandleCallback<T, RuntimeException> counted = finishedCounts.counted(work);
                return readCommittedByDefault
                        ? jdbi.inTransaction(counted)
                        : jdbi.inTransaction(TransactionIsolationLevel.READ_COMMITTED, counted);
            } catch (UnreadableRow e) {
                // The work met a row it cannot read and changed nothing (a transaction rolled back; a
                // statement on its own failed before it wrote): mend that row, then do the work again.
                if (++mended > MAX_ROWS_MENDED_PER_CALL) {
                    throw new StoreFailureException(
                            "more than " + MAX_ROWS_MENDED_PER_CALL + " unreadable job rows met in one call; "
                                    + e.getMessage(),
                            e);
                }
                mend(e);
                attempt = 0;
            } catch (JobsException | IllegalArgumentException e) {
                throw e;
            } catch (JdbiException e) {
                SQLException sql = sqlCause(e);
                if (sql != null && dialect.isRetryable(sql) && attempt < MAX_TRANSACTION_ATTEMPTS) {
                    log.debug("transaction hit {} ({}); running it again", sql.getSQLState(), sql.getMessage());
                    continue;
                }
                throw translated(e, sql);
            }
        }
    }

    /**
     * An outage (the database unreachable, timed out, too contended) is {@link
     * StoreUnavailableException}, which callers retry; the database refusing the statement is
     * {@link StoreFailureException}, a bug to look at, since trying again would fail the same way.
     */
    private JobsException translated(JdbiException e, SQLException sql) {
        // Jdbi's message names the statement (StatementErrors) but, for a failed commit, not why.
        String message =
                sql == null || sql.getMessage() == null || e.getMessage().contains(sql.getMessage())
                        ? e.getMessage()
                        : e.getMessage() + ": " + sql.getMessage();
        if (e instanceof org.jdbi.v3.core.ConnectionException || dialect.isUnavailable(e)) {
            return new StoreUnavailableException("the " + dialect.name() + " job store is unavailable: " + message, e);
        }
        String state = sql == null ? "" : " (SQLSTATE " + sql.getSQLState() + ")";
        return new StoreFailureException(
                "the " + dialect.name() + " job store refused the operation" + state + ": " + message, e);
    }

    /**
     * Mends a row that cannot be read, in a transaction of its own: the column gets a value the
     * store can read (see {@link UnreadableRow#replacement}), and the job ends, its error saying
     * what was wrong: a running job fails, a waiting one is cancelled (the transitions the table
     * allows it), and its dependents are settled as for any job that ends so.
     */
    private void mend(UnreadableRow unreadable) {
        Job mended = inTransaction(h -> {
            Instant now = now();
            h.createUpdate("UPDATE <job> SET " + unreadable.column() + " = :replacement WHERE id = :id")
                    .bind("replacement", unreadable.replacement())
                    .bind("id", dialect.uuid(unreadable.jobId()))
                    .execute();
            Optional<Job> found = lock(h, unreadable.jobId());
            if (found.isEmpty()) {
                return null;
            }
            Job job = found.get();
            JobError error = unreadable.error();
            if (unreadable.isState()) {
                // Its state is unknown: it ends cancelled now, whatever it was.
                Job next = job.toBuilder()
                        .lastError(error)
                        .clearLease()
                        .finishedAt(now)
                        .updatedAt(now)
                        .build();
                writeAll(h, List.of(next));
                finishedCounts.finished(next.queue(), next.state());
                releaseUniqueKey(h, next);
                settleDependentsOf(h, next, now, new ArrayList<>());
                return next;
            }
            if (job.isTerminal()) {
                Job next = job.toBuilder().lastError(error).updatedAt(now).build();
                write(h, job, next);
                return next;
            }
            Job next = job.state() == JobState.RUNNING
                    ? JobTransitions.failed(job, error, Optional.empty(), now)
                    : JobTransitions.cancelled(job, error, now);
            return finish(h, job, next, now).job();
        });
        if (mended != null) {
            log.warn(
                    "{}; the job is now {} with error {}", unreadable.getMessage(), mended.state(), UnreadableRow.TYPE);
        }
    }

    private static SQLException sqlCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql) {
                return sql;
            }
        }
        return null;
    }

    /**
     * Every statement planned for the values it runs with and the tables as they are, never from a
     * generic plan that the driver's prepared statements would freeze after five runs. A generic plan
     * made in a new database's first seconds, when the tables were nearly empty and never analysed,
     * scans them whole; it stays for the connection's life, and with autovacuum late or off nothing
     * replaces it: a claim took 57 ms instead of a tenth of one on a history of 300,000 jobs. Planning
     * each run costs a fraction of a millisecond of the server's time. Behind a transaction pooler
     * the driver prepares nothing, so every statement is planned so already.
     */
    static final String PLAN_CACHE_MODE = "force_custom_plan";

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
         * Bounds each wait on the network, in the driver's own terms (a setting in the URL wins),
         * and has the server end a session left idle inside a transaction for as long: a worker cut
         * off in the middle of a transaction would otherwise hold its row locks until the server's
         * TCP keepalive gives up on it, hours later, and the jobs it locked could not be reclaimed.
         */
        private void limitNetworkWaits(HikariConfig config) {
            if (networkTimeout.isZero()) {
                return;
            }
            long millis = networkTimeout.toMillis();
            if (jdbcUrl.startsWith("jdbc:postgresql:")) {
                String seconds = Long.toString(networkTimeout.toSeconds());
                config.addDataSourceProperty("socketTimeout", seconds);
                config.addDataSourceProperty("connectTimeout", seconds);
                config.addDataSourceProperty("tcpKeepAlive", "true");
                if (!behindTransactionPooler) {
                    // A pooler in transaction mode would carry a session setting over to other clients.
                    config.setConnectionInitSql("SET idle_in_transaction_session_timeout = " + millis);
                }
            } else if (jdbcUrl.startsWith("jdbc:mariadb:") || jdbcUrl.startsWith("jdbc:mysql:")) {
                config.addDataSourceProperty("socketTimeout", Long.toString(millis));
                config.addDataSourceProperty("connectTimeout", Long.toString(millis));
                if (jdbcUrl.startsWith("jdbc:mariadb:")) {
                    // MariaDB's own variable (10.3 and later); MySQL has none like it.
                    config.setConnectionInitSql(
                            "SET SESSION idle_transaction_timeout = " + Math.max(1, networkTimeout.toSeconds()));
                }
            }
            config.setConnectionTimeout(millis);
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
                var config = new HikariConfig();
                config.setJdbcUrl(jdbcUrl);
                config.setUsername(username);
                config.setPassword(password);
                config.setMaximumPoolSize(poolSize);
                config.setPoolName("jobs-" + tablePrefix.replace("_", ""));
                limitNetworkWaits(config);
                if (jdbcUrl.startsWith("jdbc:postgresql:")) {
                    // The server's detail of an error can quote a row's values ("Key (unique_key)=(...)
                    // already exists"); the messages the store logs keep to the error itself. A
                    // setting in the URL wins.
                    config.addDataSourceProperty("logServerErrorDetail", "false");
                    if (!behindTransactionPooler) {
                        config.addDataSourceProperty("options", "-c plan_cache_mode=" + PLAN_CACHE_MODE);
                    }
                }
                if (behindTransactionPooler) {
                    // PgBouncer before 1.21 cannot follow named statements across server connections;
                    // a prepareThreshold in the URL (for a pooler that can) wins over this.
                    config.addDataSourceProperty("prepareThreshold", "0");
                } else {
                    config.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
                }
                try {
                    pool = new HikariDataSource(config);
                } catch (RuntimeException e) {
                    throw new StoreUnavailableException("could not connect to " + jdbcUrl + ": " + e.getMessage(), e);
                }
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
