package dev.jobs.store.jdbc;

import java.time.Duration;
import java.util.Optional;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * Database servers in containers, for machines with a Docker engine and no server of their own.
 * Each server starts once per test JVM and is shared by every test class (each works under its
 * own table prefix); Testcontainers removes them when the JVM exits.
 */
final class TestContainers {
    private static final Duration STARTUP = Duration.ofMinutes(3);

    private static TestDatabase postgres;
    private static TestDatabase mariadb;
    private static Boolean dockerAvailable;

    private TestContainers() {}

    static synchronized Optional<TestDatabase> postgres() {
        if (!docker()) {
            return Optional.empty();
        }
        if (postgres == null) {
            var container = new GenericContainer<>(DockerImageName.parse("postgres:16-alpine"))
                    .withEnv("POSTGRES_HOST_AUTH_METHOD", "trust")
                    .withEnv("POSTGRES_DB", "test")
                    .withExposedPorts(5432)
                    // The image restarts the server once after initialising: wait for the second start.
                    .waitingFor(Wait.forLogMessage(".*database system is ready to accept connections.*\\n", 2)
                            .withStartupTimeout(STARTUP));
            container.start();
            postgres = TestDatabase.of(
                    "jdbc:postgresql://" + container.getHost() + ":" + container.getMappedPort(5432) + "/test",
                    "postgres",
                    "");
        }
        return Optional.of(postgres);
    }

    static synchronized Optional<TestDatabase> mariadb() {
        if (!docker()) {
            return Optional.empty();
        }
        if (mariadb == null) {
            var container = new GenericContainer<>(DockerImageName.parse("mariadb:11"))
                    .withEnv("MARIADB_ALLOW_EMPTY_ROOT_PASSWORD", "1")
                    .withEnv("MARIADB_DATABASE", "test")
                    .withExposedPorts(3306)
                    .waitingFor(Wait.forLogMessage(".*ready for connections.*\\n", 2)
                            .withStartupTimeout(STARTUP));
            container.start();
            mariadb = TestDatabase.of(
                    "jdbc:mariadb://" + container.getHost() + ":" + container.getMappedPort(3306) + "/test",
                    "root",
                    "");
        }
        return Optional.of(mariadb);
    }

    private static boolean docker() {
        if (dockerAvailable == null) {
            dockerAvailable = DockerClientFactory.instance().isDockerAvailable();
            if (!dockerAvailable) {
                // Testcontainers has just logged its search as an ERROR; say what follows from it.
                LoggerFactory.getLogger(TestContainers.class)
                        .info("no Docker engine: the database tests use the servers on their default local ports");
            }
        }
        return dockerAvailable;
    }
}
