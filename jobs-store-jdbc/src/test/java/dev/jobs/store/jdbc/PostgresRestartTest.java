package dev.jobs.store.jdbc;

/** {@code JOBS_TEST_POSTGRES_RESTART}, by default the local cluster's {@code pg_ctlcluster restart}. */
class PostgresRestartTest extends DatabaseRestartTest {
    @Override
    TestDatabase database() {
        return TestDatabase.postgres();
    }

    @Override
    String server() {
        return "PostgreSQL";
    }

    @Override
    String restartVariable() {
        return "JOBS_TEST_POSTGRES_RESTART";
    }

    @Override
    String defaultRestart() {
        return "pg_ctlcluster --skip-systemctl-redirect \"$(ls /etc/postgresql | head -n 1)\" main restart";
    }
}
