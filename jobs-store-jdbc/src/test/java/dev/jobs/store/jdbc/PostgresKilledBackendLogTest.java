package dev.jobs.store.jdbc;

import static dev.jobs.testing.JobsTesting.BULK_WORK;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobQuery;
import dev.jobs.core.JobSpec;
import dev.jobs.core.JobState;
import dev.jobs.core.RetryPolicy;
import dev.jobs.core.StoreUnavailableException;
import dev.jobs.testing.JobsTesting;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The database kills the store's backends again and again while sixteen workers complete jobs in
 * groups. Every job still succeeds; what the engine and the store log says what failed, one line
 * per failed group completion, and carries none of the jobs' data: no payload, no result, no bound
 * value of any statement.
 */
class PostgresKilledBackendLogTest {
    private static final String APPLICATION = "jobs-killed-backends";
    private static final String SECRET = "S3CR3T";
    private static final int JOBS = 3000;
    private static final Duration KILL_EVERY = Duration.ofMillis(50);
    /** Long enough to catch many group completions, short enough that the drain ends soon after. */
    private static final Duration KILLING = Duration.ofSeconds(4);

    private final TestDatabase base = TestDatabase.postgres();
    private final TestDatabase database = TestDatabase.of(
            base.url() + (base.url().contains("?") ? "&" : "?") + "ApplicationName=" + APPLICATION,
            base.connection().get(1),
            base.connection().get(2));
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    /** The engine's loggers (which do not pass their events up) and everything else's. */
    private final List<Logger> loggers = List.of((Logger) LoggerFactory.getLogger("dev.jobs"), (Logger)
            LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME));

    private JdbcJobStore store;
    private JobEngine engine;

    @AfterEach
    void stop() {
        loggers.forEach(logger -> logger.detachAppender(logged));
        if (engine != null) {
            engine.close();
        }
        if (store != null) {
            store.close();
        }
        database.dropTables();
    }

    @Test
    void killedBackendsUnderGroupCompletionsLogOneLinePerBatchAndNoJobData() throws Exception {
        store = database.emptyStore(Clock.systemUTC());
        engine = JobEngine.builder()
                .store(store)
                .queue("default", 16)
                .retryPolicy(RetryPolicy.fixed(Duration.ofMillis(10)))
                .pollInterval(Duration.ofMillis(20))
                .register(
                        "secret.echo",
                        JsonNode.class,
                        ctx -> Map.of(
                                "result",
                                SECRET + "-result-" + ctx.payload().path("n").asInt()))
                .build();
        var specs = new ArrayList<JobSpec>();
        for (int i = 0; i < JOBS; i++) {
            specs.add(JobSpec.of("secret.echo", Map.of("n", i, "secret", SECRET + "-payload-" + i)));
        }
        engine.enqueueAll(specs);
        logged.start();
        loggers.forEach(logger -> logger.addAppender(logged));
        engine.start();

        AtomicBoolean killing = new AtomicBoolean(true);
        AtomicInteger killed = new AtomicInteger();
        Thread killer = Thread.ofPlatform().start(() -> {
            List<String> connection = base.connection();
            try (Connection c = DriverManager.getConnection(connection.get(0), connection.get(1), connection.get(2))) {
                long until = System.nanoTime() + KILLING.toNanos();
                while (killing.get() && System.nanoTime() - until < 0) {
                    try (var rs = c.createStatement()
                            .executeQuery("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                                    + " WHERE application_name = '" + APPLICATION + "' AND pid <> pg_backend_pid()")) {
                        rs.next();
                        killed.addAndGet(rs.getInt(1));
                    }
                    LockSupport.parkNanos(KILL_EVERY.toNanos());
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        try {
            JobsTesting.await("every job succeeded despite the killed backends", BULK_WORK, () -> {
                long left;
                try {
                    left = engine.counts().stream()
                            .mapToLong(c -> c.byState().entrySet().stream()
                                    .filter(e -> e.getKey() != JobState.SUCCEEDED)
                                    .mapToLong(Map.Entry::getValue)
                                    .sum())
                            .sum();
                } catch (StoreUnavailableException killedToo) {
                    return Optional.empty();
                }
                return left == 0 ? Optional.of(true) : Optional.empty();
            });
        } finally {
            killing.set(false);
            killer.join();
        }

        assertThat(killed.get()).as("backends killed").isPositive();
        List<ILoggingEvent> events;
        synchronized (logged) {
            events = List.copyOf(logged.list);
        }
        assertThat(events)
                .as("the engine and the store log what failed but never a job's payload, result or bound values")
                .noneSatisfy(event -> assertThat(everythingIn(event)).contains(SECRET));
        List<ILoggingEvent> failedBatches = events.stream()
                .filter(e -> e.getFormattedMessage().startsWith("writing ")
                        && e.getFormattedMessage().contains(" completions failed"))
                .toList();
        assertThat(failedBatches)
                .as("one line per failed group completion, naming the statement or the commit that failed")
                .allSatisfy(e -> assertThat(e.getFormattedMessage()).containsAnyOf("[statement: ", "commit"));
        assertThat(failedBatches).as("group completions the kills caught").isNotEmpty();
        assertThat(events)
                .as("no job repeats the failure its batch's line already reported")
                .noneSatisfy(e -> assertThat(e.getFormattedMessage())
                        .containsAnyOf("recording the outcome of job", "not recorded again"));
        assertThat(engine.list(JobQuery.all().withStates(JobState.SUCCEEDED).withLimit(1))
                        .jobs()
                        .get(0)
                        .result())
                .as("the results themselves were stored")
                .hasValueSatisfying(result -> assertThat(result.toString()).contains(SECRET + "-result-"));
    }

    /** A log event's message, and its throwable chain's messages and frames, as one text. */
    private static String everythingIn(ILoggingEvent event) {
        var text = new StringBuilder(event.getFormattedMessage());
        for (IThrowableProxy t = event.getThrowableProxy(); t != null; t = t.getCause()) {
            text.append('\n').append(t.getClassName()).append(": ").append(t.getMessage());
            for (StackTraceElementProxy frame : t.getStackTraceElementProxyArray()) {
                text.append('\n').append(frame.getSTEAsString());
            }
            for (IThrowableProxy suppressed : t.getSuppressed()) {
                text.append('\n').append(suppressed.getMessage());
            }
        }
        return text.toString();
    }
}
