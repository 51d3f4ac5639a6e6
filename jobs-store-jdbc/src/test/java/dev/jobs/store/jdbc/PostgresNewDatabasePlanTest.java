package dev.jobs.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jobs.core.JobState;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every user starts on a new database, whose tables no one has analysed yet and, with autovacuum
 * late or off, no one will for a while. The store's plans must not depend on statistics: a claim
 * walks the claim index and leaves the history out on tables never analysed, and a statement
 * prepared in the tables' first seconds is planned afresh once they have grown, rather than run
 * for the connection's life by a plan made for empty tables.
 */
class PostgresNewDatabasePlanTest {
    private static final int LIVE = 20_000;
    private static final int HISTORY = 200_000;

    private final TestDatabase database = TestDatabase.postgres();
    private JdbcJobStore store;

    @BeforeEach
    void newTables() throws SQLException {
        store = database.store(Clock.systemUTC());
        try (Connection connection = database.connect();
                Statement statement = connection.createStatement()) {
            // Never analysed, whatever the server's autovacuum: the state every new database starts in.
            for (String table : List.of("job_live", "job_history")) {
                statement.execute("ALTER TABLE " + database.prefix() + table + " SET (autovacuum_enabled = false)");
            }
        }
    }

    @AfterEach
    void drop() {
        if (store != null) {
            store.close();
        }
        database.dropTables();
    }

    @Test
    void aClaimOnTablesNeverAnalysedWalksTheClaimIndexAndLeavesTheHistoryOut() throws SQLException {
        fill();

        String plan = String.join("\n", store.explainClaim("default", 10));

        assertThat(plan)
                .as(plan)
                .contains(database.prefix() + "job_claim")
                .doesNotContainIgnoringCase("seq scan on " + database.prefix() + "job")
                .doesNotContain(database.prefix() + "job_history");
        assertThat(neverAnalysed()).as("the tables were never analysed").isTrue();
    }

    /**
     * A batch of successes joined as a set of rows to the rows it updates ran as a nested loop that
     * read the whole batch again for each row, on tables the planner had no counts for: the batch
     * is one value now, whatever the plan.
     */
    @Test
    void aCompletionReadsItsBatchOnce() throws SQLException {
        fill();
        List<UUID> ids =
                IntStream.range(0, 250).mapToObj(i -> UUID.randomUUID()).toList();

        String plan = String.join("\n", store.explainCompletion(ids));

        assertThat(plan).as(plan).doesNotContain("Function Scan").doesNotContain(database.prefix() + "job_history");
    }

    @Test
    void countingTheJobsReadsTheLivePartitionAndTheFinishedTotalsNeverTheHistory() throws SQLException {
        fill();

        String plan = String.join("\n", store.explainLiveCounts());

        assertThat(plan)
                .as(plan)
                .contains(database.prefix() + "job_live")
                .doesNotContain(database.prefix() + "job_history");
        assertThat(store.counts())
                .singleElement()
                .satisfies(queue -> assertThat(queue.count(JobState.READY)).isEqualTo(LIVE))
                .satisfies(queue -> assertThat(queue.count(JobState.SUCCEEDED))
                        .as("rows written behind the store's back are not in its totals")
                        .isZero());
    }

    @Test
    void theStoresSessionsPlanEachStatementForTheTablesAsTheyAre() {
        assertThat(store.sessionSetting("plan_cache_mode")).isEqualTo(StorePool.PLAN_CACHE_MODE);
    }

    /**
     * The hazard itself, on a statement shaped as the store's lookups by id are: prepared and run
     * while the tables are empty, the default plan cache settles on a generic plan that scans them,
     * and keeps it once they have grown; in a session set as the store sets its own, the plan is
     * made for the tables as they are.
     */
    @Test
    void aStatementPreparedOnEmptyTablesIsPlannedAfreshOnceTheyHaveGrown() throws SQLException {
        try (Connection asDefault = connection(null);
                Connection asStore = connection(StorePool.PLAN_CACHE_MODE)) {
            prepareOnEmptyTables(asDefault);
            prepareOnEmptyTables(asStore);
            fill();

            assertThat(plan(asDefault))
                    .as("the default plan cache: the hazard")
                    .containsIgnoringCase("seq scan on " + database.prefix() + "job_history");
            assertThat(plan(asStore))
                    .as("the store's setting")
                    .doesNotContainIgnoringCase("seq scan on " + database.prefix() + "job");
        }
    }

    /** A session with the store's plan cache mode, or with the server's default. */
    private Connection connection(String planCacheMode) throws SQLException {
        var properties = new Properties();
        properties.setProperty("user", database.user());
        properties.setProperty("password", database.password());
        if (planCacheMode != null) {
            properties.setProperty("options", "-c plan_cache_mode=" + planCacheMode);
        }
        return DriverManager.getConnection(database.url(), properties);
    }

    /** A lookup by ids prepared and run often enough on the empty tables for the plan cache to settle. */
    private void prepareOnEmptyTables(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(
                    "PREPARE lookup(uuid[]) AS SELECT id FROM " + database.prefix() + "job WHERE id = ANY($1)");
            for (int i = 0; i < 10; i++) {
                statement.execute("EXECUTE lookup(ARRAY['" + UUID.randomUUID() + "']::uuid[])");
            }
        }
    }

    private static String plan(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet rs =
                        statement.executeQuery("EXPLAIN EXECUTE lookup(ARRAY['" + UUID.randomUUID() + "']::uuid[])")) {
            var lines = new ArrayList<String>();
            while (rs.next()) {
                lines.add(rs.getString(1));
            }
            return String.join("\n", lines);
        }
    }

    /** Jobs on the live and history partitions, written as a busy first minute would leave them. */
    private void fill() throws SQLException {
        try (Connection connection = database.connect();
                Statement statement = connection.createStatement()) {
            for (var part : List.of(new Object[] {"READY", LIVE}, new Object[] {"SUCCEEDED", HISTORY})) {
                statement.execute("INSERT INTO " + database.prefix() + "job (id, queue, type, payload, priority,"
                        + " state, run_at, attempt, max_attempts, depends_on, on_dependency_failure, progress,"
                        + " cancel_requested, created_at, updated_at, finished_at, metadata)"
                        + " SELECT gen_random_uuid(), 'default', 't', '{}', 0, '" + part[0] + "',"
                        + " localtimestamp - interval '1 second' * g, 1, 3, '', 'CANCEL', 0, false,"
                        + " localtimestamp, localtimestamp, "
                        + (part[0].equals("READY") ? "NULL" : "localtimestamp") + ", '{}'"
                        + " FROM generate_series(1, " + part[1] + ") g");
            }
        }
    }

    private boolean neverAnalysed() throws SQLException {
        try (Connection connection = database.connect();
                Statement statement = connection.createStatement();
                var rs = statement.executeQuery("SELECT count(*) FROM pg_stat_user_tables WHERE relname IN ('"
                        + database.prefix() + "job_live', '" + database.prefix() + "job_history')"
                        + " AND (last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL)")) {
            rs.next();
            return rs.getInt(1) == 0;
        }
    }
}
