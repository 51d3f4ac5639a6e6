package dev.jobs.store.jdbc;

/**
 * {@code JOBS_TEST_MARIADB_RESTART}, by default a shutdown of the local server, a wait until its
 * process is gone, and a start as {@code .ci/run} starts it.
 */
class MariaDbRestartTest extends DatabaseRestartTest {
    @Override
    TestDatabase database() {
        return TestDatabase.mariadb();
    }

    @Override
    String server() {
        return "MariaDB";
    }

    @Override
    String restartVariable() {
        return "JOBS_TEST_MARIADB_RESTART";
    }

    @Override
    String defaultRestart() {
        return "mariadb-admin -h 127.0.0.1 -u root shutdown"
                + " && while pgrep -x mariadbd >/dev/null; do sleep 0.2; done"
                + " && start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd";
    }
}
