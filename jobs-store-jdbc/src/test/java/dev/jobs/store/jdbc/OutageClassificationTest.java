package dev.jobs.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonParseException;
import java.net.SocketException;
import java.sql.BatchUpdateException;
import java.sql.SQLException;
import java.sql.SQLIntegrityConstraintViolationException;
import java.sql.SQLNonTransientConnectionException;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;
import org.junit.jupiter.api.Test;

/**
 * Which failures are an outage the engine waits out (a job's worker keeps trying to record its
 * outcome) and which are a refusal (the outcome is given up, and the job runs again): a failure
 * counts as an outage wherever in its chain the lost connection is.
 */
class OutageClassificationTest {
    private final SqlDialect mariadb = new MariaDbDialect();
    private final SqlDialect postgres = new PostgresDialect();

    @Test
    void aBatchFailureWhoseCauseIsTheLostConnectionIsAnOutage() {
        var lost = new SQLNonTransientConnectionException("(conn=17) Socket error", "08000");
        var batch = new BatchUpdateException("(conn=17) Socket error", "HY000", 0, new int[0], lost);

        assertThat(mariadb.isUnavailable(new UnableToExecuteStatementException(batch, null)))
                .isTrue();
    }

    @Test
    void aFailureChainedToABatchsFirstIsLookedAt() {
        var first = new BatchUpdateException("batch entry 0 was aborted", "HY000", 0, new int[0]);
        first.setNextException(new SQLException("the server is shutting down", "57P01"));

        assertThat(postgres.isUnavailable(new UnableToExecuteStatementException(first, null)))
                .isTrue();
    }

    @Test
    void aSocketBrokenBeneathTheDriverIsAnOutage() {
        var failure = new SQLException("could not write the statement", "HY000", new SocketException("Broken pipe"));

        assertThat(mariadb.isUnavailable(new UnableToExecuteStatementException(failure, null)))
                .isTrue();
    }

    @Test
    void theDatabaseRefusingTheStatementIsNotAnOutage() {
        var duplicate = new SQLIntegrityConstraintViolationException("Duplicate entry", "23000", 1062);
        var unreadable = new SQLException("bad argument", "HY000", new JsonParseException(null, "not JSON"));

        assertThat(mariadb.isUnavailable(new UnableToExecuteStatementException(duplicate, null)))
                .isFalse();
        assertThat(mariadb.isUnavailable(new UnableToExecuteStatementException(unreadable, null)))
                .isFalse();
    }

    @Test
    void aCauseChainThatLoopsEnds() {
        var a = new SQLException("a", "HY000");
        var b = new SQLException("b", "HY000", a);
        a.initCause(b);

        assertThat(mariadb.isUnavailable(a)).isFalse();
    }
}
