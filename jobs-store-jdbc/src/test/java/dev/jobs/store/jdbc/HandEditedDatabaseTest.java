package dev.jobs.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.node.TextNode;
import dev.jobs.core.Job;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobError;
import dev.jobs.core.JobPage;
import dev.jobs.core.JobQuery;
import dev.jobs.core.JobSpec;
import dev.jobs.core.JobState;
import dev.jobs.core.StoreFailureException;
import dev.jobs.testing.JobsTesting;
import dev.jobs.testing.VirtualClock;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A database someone changed by hand, under a running engine: what the database refuses is a
 * {@link StoreFailureException} (a bug to look at, not an outage to wait out), and a row the store
 * cannot read back ends that one job, saying why, while claims, listings and maintenance carry on
 * for every other.
 */
abstract class HandEditedDatabaseTest {
    private final TestDatabase database = database();
    private JdbcJobStore store;
    private JobEngine engine;

    abstract TestDatabase database();

    private final VirtualClock clock = new VirtualClock();

    @BeforeEach
    void start() {
        store = database.emptyStore(clock);
        engine = JobEngine.builder().store(store).clock(clock).build();
    }

    @AfterEach
    void stop() {
        engine.close();
        store.close();
        database.dropTables();
    }

    private void execute(String sql) throws Exception {
        try (Connection connection = database.connect();
                Statement statement = connection.createStatement()) {
            statement.execute(sql.replace("${job}", database.prefix() + "job"));
        }
    }

    /** Sets a column of one job's row to {@code stored}, as a person with a SQL console might. */
    private void corrupt(Job job, String column, String stored) throws Exception {
        try (Connection connection = database.connect();
                PreparedStatement update = connection.prepareStatement(
                        "UPDATE " + database.prefix() + "job SET " + column + " = ? WHERE id = ?")) {
            update.setString(1, stored);
            update.setObject(
                    2,
                    database.url().startsWith("jdbc:postgresql:")
                            ? job.id()
                            : job.id().toString());
            assertThat(update.executeUpdate()).isEqualTo(1);
        }
    }

    private List<Job> acquire(int max) throws InterruptedException {
        return engine.remoteWorkers().acquire("worker-1", "host", Set.of("q"), max, LEASE, Duration.ZERO);
    }

    private Job current(Job job) {
        return engine.get(job.id()).orElseThrow();
    }

    private static final Duration LEASE = Duration.ofSeconds(30);

    @Test
    void aClaimThatMeetsAnUnreadableRowHandsOutTheOthersAndEndsThatOneSayingWhy() throws Exception {
        Job first = engine.enqueue(JobSpec.of("t").withQueue("q"));
        Job unreadable = engine.enqueue(JobSpec.of("t").withQueue("q"));
        Job last = engine.enqueue(JobSpec.of("t").withQueue("q"));
        Job child = engine.enqueue(JobSpec.of("t").withQueue("other").withDependsOn(unreadable.id()));
        corrupt(unreadable, "payload", "{not json");

        List<Job> claimed = acquire(10);

        assertThat(claimed).extracting(Job::id).containsExactlyInAnyOrder(first.id(), last.id());
        Job ended = current(unreadable);
        // A claim in one statement had taken it (it fails); one in two steps meets it waiting (cancelled).
        assertThat(ended.state()).isIn(JobState.FAILED, JobState.CANCELLED);
        assertThat(ended.leaseOwner()).isEmpty();
        JobError error = ended.lastError().orElseThrow();
        assertThat(error.type()).isEqualTo("UnreadableRow");
        assertThat(error.message())
                .contains("its stored payload cannot be read")
                .contains("kept, as a JSON string");
        assertThat(ended.payload()).isEqualTo(TextNode.valueOf("{not json"));
        assertThat(current(child).state())
                .as("its dependent, as for any job that ends so")
                .isEqualTo(JobState.CANCELLED);
        assertThat(acquire(10)).as("nothing left behind RUNNING or claimable").isEmpty();
    }

    @Test
    void listingsAndReadsCarryOnPastAnUnreadableRow() throws Exception {
        var jobs = new ArrayList<Job>();
        for (int i = 0; i < 5; i++) {
            jobs.add(engine.enqueue(JobSpec.of("t").withQueue("q").withMetadata(Map.of("n", "" + i))));
        }
        corrupt(jobs.get(1), "metadata", "[\"not a map\"]");
        corrupt(jobs.get(3), "attempts", "nonsense");

        JobPage page = engine.list(JobQuery.all().withLimit(2));
        JobPage rest = engine.list(JobQuery.all().withCursor(page.nextCursor().orElseThrow()));

        var listed = new ArrayList<>(page.jobs());
        listed.addAll(rest.jobs());
        assertThat(listed)
                .extracting(Job::id)
                .containsExactlyInAnyOrderElementsOf(jobs.stream().map(Job::id).toList());
        Job badMetadata = current(jobs.get(1));
        assertThat(badMetadata.state()).isEqualTo(JobState.CANCELLED);
        assertThat(badMetadata.lastError().orElseThrow().message())
                .contains("its stored metadata cannot be read")
                .contains("it was: [\"not a map\"]");
        assertThat(current(jobs.get(3)).lastError().orElseThrow().message()).contains("its stored attempts");
        assertThat(current(jobs.get(0)).metadata()).containsEntry("n", "0");
        assertThat(acquire(10)).hasSize(3);
    }

    @Test
    void leaseReclaimCarriesOnPastARunningJobWhoseRowIsUnreadable() throws Exception {
        engine.enqueue(JobSpec.of("t").withQueue("q"));
        engine.enqueue(JobSpec.of("t").withQueue("q"));
        List<Job> running = acquire(2);
        corrupt(running.get(0), "retry_policy", "{\"kind\":\"from a newer version\"}");
        clock.advance(LEASE.plusSeconds(1));

        JobsTesting.runMaintenance(engine);

        Job unreadable = current(running.get(0));
        assertThat(unreadable.state()).isEqualTo(JobState.FAILED);
        assertThat(unreadable.lastError().orElseThrow().type()).isEqualTo("UnreadableRow");
        assertThat(current(running.get(1)).state())
                .as("the other lapsed lease is reclaimed as usual")
                .isNotEqualTo(JobState.RUNNING);
    }

    @Test
    void aConstraintTheDatabaseEnforcesIsAStoreFailureNamingItNotAnOutage() throws Exception {
        execute("ALTER TABLE ${job} ADD CONSTRAINT " + database.prefix() + "no_forbidden CHECK (type <> 'forbidden')");

        Throwable refused = catchThrowable(() -> engine.enqueue(JobSpec.of("forbidden")));

        assertThat(refused)
                .isInstanceOf(StoreFailureException.class)
                .hasMessageContaining("refused the operation")
                .hasMessageContaining("SQLSTATE 23");
        assertThat(engine.enqueue(JobSpec.of("allowed")).type()).isEqualTo("allowed");
        assertThat(engine.counts().stream()
                        .mapToLong(c ->
                                c.byState().values().stream().mapToLong(n -> n).sum())
                        .sum())
                .isEqualTo(1);
    }
}
