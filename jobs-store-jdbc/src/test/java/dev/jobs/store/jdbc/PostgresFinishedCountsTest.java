package dev.jobs.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jobs.core.Job;
import dev.jobs.core.JobState;
import dev.jobs.core.spi.AcquireRequest;
import dev.jobs.testing.NewJobs;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The running totals of finished jobs are shared by every engine: a transaction that holds their
 * rows (an engine frozen in the middle of its commit) must not hold anyone else's completion back.
 */
class PostgresFinishedCountsTest {
    private final TestDatabase database = TestDatabase.postgres();
    private JdbcJobStore store;

    @AfterEach
    void drop() {
        if (store != null) {
            store.close();
        }
        database.dropTables();
    }

    @Test
    void aCompletionNeverWaitsForTheTotalsAnotherTransactionHolds() throws Exception {
        store = database.store(Clock.systemUTC());
        var jobs = new NewJobs(Clock.systemUTC());
        store.create(List.of(jobs.of("t").build(), jobs.of("t").build()));
        List<Job> running = store.acquire(new AcquireRequest("w", Set.of("default"), 2, Duration.ofMinutes(1)));
        Job first = running.get(0);
        Job second = running.get(1);
        store.complete(first.id(), first.leaseToken().orElseThrow(), Optional.empty()); // the total's first row

        try (Connection holder = database.connect()) {
            holder.setAutoCommit(false);
            try (Statement statement = holder.createStatement()) {
                statement
                        .executeQuery("SELECT * FROM " + database.prefix() + "finished_count FOR UPDATE")
                        .close();
                var done = CompletableFuture.runAsync(
                        () -> store.complete(second.id(), second.leaseToken().orElseThrow(), Optional.empty()));
                // Waiting, it would wait until the holder ends, which it does only after this check;
                // not waiting, it takes milliseconds: 10 s is margin for a busy machine.
                assertThat(done).succeedsWithin(Duration.ofSeconds(10));
            } finally {
                holder.rollback();
            }
        }

        assertThat(store.counts())
                .singleElement()
                .satisfies(queue -> assertThat(queue.count(JobState.SUCCEEDED)).isEqualTo(2));
    }
}
