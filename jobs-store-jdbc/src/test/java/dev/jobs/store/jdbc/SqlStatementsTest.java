package dev.jobs.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jobs.core.JobState;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The statements as written in {@code sql/…}: every database has each one the store asks for, in
 * every area, and PostgreSQL's claims name the claimable states {@code JobState} defines (in the
 * order of the predicate of its partial claim index).
 */
class SqlStatementsTest {
    private static final List<SqlDialect> DIALECTS =
            List.of(new PostgresDialect(), new MariaDbDialect(), new H2Dialect());

    /** Every statement the store asks any database for, by area (the file's name). */
    private static final Map<String, List<String>> ASKED = Map.of(
            "claims",
            List.of(
                    "claim",
                    "claim-among-ids",
                    "claim-limited",
                    "claim-limited-among-ids",
                    "claim-limited-past-saturated-keys",
                    "claim-limited-among-ids-past-saturated-keys",
                    "earliest",
                    "earliest-limited",
                    "earliest-limited-past-saturated-keys",
                    "claim-order",
                    "claim-order-after",
                    "any-limited",
                    "requested-limited-queues",
                    "lock-requested-limited-queues",
                    "take-starts",
                    "running-per-key",
                    "held-queues"),
            "insert-if-absent",
            List.of(
                    "take-unique-key",
                    "take-idempotency-key",
                    "pause-queue",
                    "insert-recurring",
                    "insert-worker",
                    "add-finished-count-row"),
            "statistics",
            List.of("live-counts", "queue-stats", "finished-per-minute"),
            "jobs",
            List.of("insert-job", "update-job", "complete-job", "lock-for-completion"));

    @Test
    void everyDatabaseHasEveryStatementTheStoreAsksFor() {
        for (SqlDialect dialect : DIALECTS) {
            ASKED.forEach((area, names) -> {
                Map<String, String> statements =
                        SqlStatements.load(dialect, area).all();
                assertThat(statements).as("%s %s", dialect.name(), area).containsKeys(names.toArray(String[]::new));
                statements.forEach((name, sql) -> assertThat(sql)
                        .as("%s %s is a statement, not a comment", dialect.name(), name)
                        .doesNotContain("--")
                        .isNotBlank());
            });
            if (dialect.claimsFromAFloor()) {
                assertThat(SqlStatements.load(dialect, "claims").all())
                        .containsKeys("claim-from-floor", "earliest-from-floor");
            }
        }
    }

    @Test
    void postgresClaimsNameTheClaimableStatesJobStateDefines() {
        Pattern stateList = Pattern.compile("state IN \\(([^)]*)\\)");
        var statements = new java.util.LinkedHashMap<String, String>();
        for (String area : List.of("claims", "jobs")) {
            statements.putAll(SqlStatements.load(new PostgresDialect(), area).all());
        }
        List<String> claimable = Arrays.stream(JobState.values())
                .filter(JobState::isClaimable)
                .map(state -> "'" + state.name() + "'")
                .toList();
        int lists = 0;
        for (var statement : statements.entrySet()) {
            Matcher found = stateList.matcher(statement.getValue());
            while (found.find()) {
                lists++;
                assertThat(found.group(1).split(",\\s*"))
                        .as(statement.getKey())
                        .containsExactlyInAnyOrder(claimable.toArray(String[]::new));
            }
        }
        assertThat(lists).as("claims name the claimable states").isGreaterThan(10);
    }

    /** The job rows' statements list their columns whole: they name every field of a job, no more. */
    @Test
    void theJobRowStatementsNameEveryColumnOfTheJob() {
        var inserted = new ArrayList<>(JobRows.COLUMNS);
        inserted.add(JobRows.PENDING_DEPENDENCIES.name());
        List<String> rewritten =
                JobRows.COLUMNS.stream().filter(c -> !c.equals("id")).toList();
        var completed = new ArrayList<>(
                JobRows.SUCCESS_COLUMNS.stream().map(JobRows.Column::name).toList());
        completed.addAll(List.of("lease_owner", "lease_token", "lease_expires_at"));
        Map<String, String> common = SqlStatements.load(new H2Dialect(), "jobs").all();
        Map<String, String> postgres =
                SqlStatements.load(new PostgresDialect(), "jobs").all();

        assertThat(insertedColumns(common.get("insert-job"))).containsExactlyElementsOf(inserted);
        assertThat(assignedColumns(common.get("update-job"))).containsExactlyElementsOf(rewritten);
        assertThat(assignedColumns(common.get("complete-job"))).containsExactlyElementsOf(completed);
        assertThat(insertedColumns(postgres.get("insert-jobs-and-announce"))).containsExactlyElementsOf(inserted);
        assertThat(assignedColumns(postgres.get("complete-batch"))).containsExactlyElementsOf(completed);
    }

    /** The column list of an {@code INSERT INTO <job> (…)}. */
    private static List<String> insertedColumns(String insert) {
        int open = insert.indexOf('(', insert.indexOf("INSERT INTO <job>"));
        return Arrays.stream(
                        insert.substring(open + 1, insert.indexOf(')', open)).split(","))
                .map(String::strip)
                .toList();
    }

    /** The columns the {@code SET} clause of an {@code UPDATE} assigns, in order. */
    private static List<String> assignedColumns(String update) {
        int set = update.indexOf("SET");
        int end = update.indexOf("\nFROM", set);
        String clause = update.substring(set + 3, end < 0 ? update.indexOf("\nWHERE", set) : end);
        var columns = new ArrayList<String>();
        Matcher assignment = Pattern.compile("(\\w+) = ").matcher(clause);
        while (assignment.find()) {
            columns.add(assignment.group(1));
        }
        return columns;
    }

    @Test
    void aOneQueueVariantIsTakenWhereTheDatabaseHasOne() {
        SqlStatements h2 = SqlStatements.load(new H2Dialect(), "claims");
        SqlStatements postgres = SqlStatements.load(new PostgresDialect(), "claims");

        assertThat(h2.get("claim", true)).contains("ORDER BY claimable, queue, priority, run_at, id");
        assertThat(h2.get("claim", false)).contains("ORDER BY priority, run_at, id");
        assertThat(postgres.get("claim", true)).isEqualTo(postgres.get("claim", false));
    }

    @Test
    void aFileThatCannotBeReadAsNamedStatementsSaysWhere() {
        assertThat(SqlStatements.parse(
                        "f.sql", "-- a comment\n\n-- name: one\nSELECT 1\n-- why\nFROM t\n-- name: two\nSELECT 2\n"))
                .containsExactly(Map.entry("one", "SELECT 1\nFROM t"), Map.entry("two", "SELECT 2"));
        assertThatThrownBy(() -> SqlStatements.parse("f.sql", "-- name: one\nSELECT 1\n-- name: one\nSELECT 2"))
                .hasMessageContaining("f.sql: statement 'one' is named twice");
        assertThatThrownBy(() -> SqlStatements.parse("f.sql", "SELECT 1\n-- name: one\nSELECT 2"))
                .hasMessageContaining("f.sql: SQL before the first");
        assertThatThrownBy(() -> SqlStatements.parse("f.sql", "-- name: one\n-- name: two\nSELECT 2"))
                .hasMessageContaining("f.sql: statement 'one' is empty");
        assertThatThrownBy(() -> SqlStatements.load(new H2Dialect(), "claims").get("nothing"))
                .hasMessageContaining("no statement named 'nothing'");
    }
}
