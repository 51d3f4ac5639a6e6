package dev.jobs.store.jdbc;

import java.net.InetSocketAddress;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Jdbi;

/**
 * A database for tests, found the way the project's tests find servers: an explicit setting in
 * the environment first, then a Testcontainers container where a Docker engine runs, then the
 * server on its default local port. A server that cannot be
 * reached fails the test; it is never skipped. Each instance works under its own table prefix, so
 * test classes never see each other's rows. Public, and shipped in this module's test jar, for the
 * other modules' tests that need a real database.
 */
public final class TestDatabase {
    private static final List<String> TABLES = JdbcJobStore.tableNames();

    private final String url;
    private final String user;
    private final String password;
    private final String prefix;

    /** What the stores of this instance are configured with beyond URL, prefix, clock and pool size. */
    private final UnaryOperator<JdbcJobStore.Builder> options;

    private TestDatabase(String url, String user, String password) {
        this(url, user, password, newPrefix(), UnaryOperator.identity());
    }

    private TestDatabase(
            String url, String user, String password, String prefix, UnaryOperator<JdbcJobStore.Builder> options) {
        this.url = url;
        this.user = user;
        this.password = password;
        this.prefix = prefix;
        this.options = options;
    }

    /** The same database under its own table prefix, its stores built with {@code more} options too. */
    TestDatabase with(UnaryOperator<JdbcJobStore.Builder> more) {
        return new TestDatabase(url, user, password, newPrefix(), builder -> more.apply(options.apply(builder)));
    }

    private static String newPrefix() {
        return "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 10) + "_";
    }

    /**
     * This PostgreSQL database through a PgBouncer in transaction mode, its stores declared behind
     * a transaction pooler; with {@code listenDirectly} they LISTEN on a direct connection, without
     * it they have none. Under its own table prefix.
     */
    TestDatabase behindPgBouncer(boolean listenDirectly) {
        PgBouncer pooler = PgBouncer.in(this);
        return new TestDatabase(pooler.url(), user, password, newPrefix(), builder -> {
            builder.behindTransactionPooler(true);
            return listenDirectly ? builder.listenJdbcUrl(url, user, password) : builder;
        });
    }

    private static final Pattern SERVER = Pattern.compile("^(jdbc:[a-z]+://)([^/:]+):(\\d+)(/.*)$");

    /** The host and port of the server, for a proxy to put itself in front of. */
    public InetSocketAddress server() {
        Matcher m = SERVER.matcher(url);
        if (!m.matches()) {
            throw new IllegalStateException(url + " names no host and port");
        }
        return InetSocketAddress.createUnresolved(m.group(2), Integer.parseInt(m.group(3)));
    }

    /** The same database and tables reached on {@code port} of the loopback interface, where a proxy listens. */
    public TestDatabase through(int port) {
        Matcher m = SERVER.matcher(url);
        if (!m.matches()) {
            throw new IllegalStateException(url + " names no host and port");
        }
        return new TestDatabase(m.group(1) + "127.0.0.1:" + port + m.group(4), user, password, prefix, options);
    }

    /** The JDBC URL, user and password, for an engine in another process. */
    public List<String> connection() {
        return List.of(url, user, password);
    }

    /**
     * {@code JOBS_TEST_POSTGRES_URL} / {@code _USER} / {@code _PASSWORD}; else a PostgreSQL
     * container where a Docker engine runs; else 127.0.0.1:5432, database test.
     */
    public static TestDatabase postgres() {
        return fromEnvironment("POSTGRES")
                .orElseGet(() -> TestContainers.postgres()
                        .orElseGet(() -> new TestDatabase("jdbc:postgresql://127.0.0.1:5432/test", "postgres", "")));
    }

    /**
     * {@code JOBS_TEST_MARIADB_URL} / {@code _USER} / {@code _PASSWORD}; else a MariaDB container
     * where a Docker engine runs; else 127.0.0.1:3306, database test.
     */
    static TestDatabase mariadb() {
        return fromEnvironment("MARIADB")
                .orElseGet(() -> TestContainers.mariadb()
                        .orElseGet(() -> new TestDatabase("jdbc:mariadb://127.0.0.1:3306/test", "root", "")));
    }

    /** A private in-memory H2 database. */
    public static TestDatabase h2() {
        return new TestDatabase("jdbc:h2:mem:jobs" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1", "sa", "");
    }

    static TestDatabase of(String url, String user, String password) {
        return new TestDatabase(url, user, password);
    }

    private static Optional<TestDatabase> fromEnvironment(String name) {
        return env("JOBS_TEST_" + name + "_URL")
                .map(url -> new TestDatabase(
                        url,
                        env("JOBS_TEST_" + name + "_USER").orElse(""),
                        env("JOBS_TEST_" + name + "_PASSWORD").orElse("")));
    }

    private static Optional<String> env(String name) {
        return Optional.ofNullable(System.getenv(name)).filter(v -> !v.isBlank());
    }

    /** A store on this database with no jobs, paused queues or workers. */
    public JdbcJobStore emptyStore(Clock clock) {
        JdbcJobStore store = store(clock);
        jdbi().useHandle(h -> TABLES.stream()
                .filter(t -> !t.equals("schema_version"))
                .forEach(t -> h.execute("DELETE FROM " + prefix + t)));
        return store;
    }

    /** Another store on the same tables, as a second engine instance would have. */
    public JdbcJobStore store(Clock clock) {
        return store(clock, 10);
    }

    /** Another store with a pool of {@code poolSize} connections. */
    public JdbcJobStore store(Clock clock, int poolSize) {
        return builder().poolSize(poolSize).clock(clock).build();
    }

    /** A store's builder on this instance's database and tables, not yet built. */
    public JdbcJobStore.Builder builder() {
        return options.apply(JdbcJobStore.builder().jdbcUrl(url, user, password).tablePrefix(prefix));
    }

    /** A plain connection, as a host application would hold one; the caller closes it. */
    public Connection connect() throws SQLException {
        return DriverManager.getConnection(url, user, password);
    }

    /**
     * A connection left in a repeatable-read transaction that has taken its snapshot, as a
     * forgotten {@code BEGIN} would be: until it ends, vacuum can reclaim no row that dies. The
     * caller closes it.
     */
    Connection holdingSnapshot() throws SQLException {
        Connection idle = connect();
        try (Statement statement = idle.createStatement()) {
            idle.setAutoCommit(false);
            idle.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            statement.executeQuery("SELECT 1").close();
            return idle;
        } catch (SQLException | RuntimeException e) {
            idle.close();
            throw e;
        }
    }

    /** A Jdbi of the host's own, on the same database. */
    Jdbi hostJdbi() {
        return jdbi();
    }

    String url() {
        return url;
    }

    String user() {
        return user;
    }

    String password() {
        return password;
    }

    /** The table prefix this instance works under. */
    public String prefix() {
        return prefix;
    }

    /** Refreshes the planner's statistics of this instance's job table, as a database left running would have them. */
    void analyze() {
        String table = prefix + "job";
        String statement = url.startsWith("jdbc:postgresql:") ? "ANALYZE " + table : "ANALYZE TABLE " + table;
        jdbi().useHandle(h -> h.execute(statement));
    }

    /** Drops this instance's tables. */
    public void dropTables() {
        jdbi().useHandle(h -> TABLES.forEach(t -> h.execute("DROP TABLE IF EXISTS " + prefix + t)));
    }

    private Jdbi jdbi() {
        return Jdbi.create(url, user, password);
    }
}
