package dev.jobs.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jobs.core.JobState;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The claim statements as written in {@code sql/…/claims.sql}: every database has each one the
 * store asks for, and PostgreSQL's name the claimable states {@code JobState} defines (in the order of its partial claim index's predicate).
 */
class ClaimStatementsTest {
    private static final List<SqlDialect> DIALECTS =
            List.of(new PostgresDialect(), new MariaDbDialect(), new H2Dialect());

    /** Every statement Claims and LimitedClaims ask any database for. */
    private static final List<String> ASKED = List.of(
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
            "held-queues");

    @Test
    void everyDatabaseHasEveryClaimStatementTheStoreAsksFor() {
        for (SqlDialect dialect : DIALECTS) {
            SqlStatements statements = SqlStatements.load(dialect, "claims");
            assertThat(statements.all()).as(dialect.name()).containsKeys(ASKED.toArray(String[]::new));
            if (dialect.claimsFromAFloor()) {
                assertThat(statements.all()).containsKeys("claim-from-floor", "earliest-from-floor");
            }
            statements
                    .all()
                    .forEach((name, sql) -> assertThat(sql)
                            .as("%s %s is a statement, not a comment", dialect.name(), name)
                            .doesNotContain("--")
                            .isNotBlank());
        }
    }

    @Test
    void postgresClaimsNameTheClaimableStatesJobStateDefines() {
        Pattern stateList = Pattern.compile("state IN \\(([^)]*)\\)");
        Map<String, String> statements =
                SqlStatements.load(new PostgresDialect(), "claims").all();
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
