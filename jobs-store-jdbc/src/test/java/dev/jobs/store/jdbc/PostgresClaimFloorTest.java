package dev.jobs.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jobs.core.Job;
import dev.jobs.core.spi.AcquireRequest;
import dev.jobs.testing.Deadline;
import dev.jobs.testing.NewJobs;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Claims from a floor (every claim counted slow here): a more urgent job this store creates is
 * claimed next, and one another instance creates is claimed once the floor's lifetime is over.
 */
class PostgresClaimFloorTest {
    private final TestDatabase database = TestDatabase.postgres().with(b -> b.slowClaim(Duration.ZERO));
    private final NewJobs jobs = new NewJobs(Clock.systemUTC());
    private JdbcJobStore store;
    private JdbcJobStore other;

    @AfterEach
    void close() {
        store.close();
        other.close();
        database.dropTables();
    }

    @Test
    void aMoreUrgentJobFromThisStoreIsClaimedNextAndOneFromAnotherWithinTheFloorsLifetime() throws Exception {
        store = database.store(Clock.systemUTC());
        other = database.store(Clock.systemUTC());
        store.create(List.of(
                jobs.of("t").priority(50).build(), jobs.of("t").priority(50).build()));
        assertThat(claim()).hasSize(1); // a full claim: the floor is set at the job it took

        Job urgent = store.create(List.of(jobs.of("t").priority(0).build())).get(0);
        assertThat(claim()).extracting(Job::id).containsExactly(urgent.id());

        assertThat(claim()).hasSize(1); // the second of the first two, from the floor again
        Job fromElsewhere =
                other.create(List.of(jobs.of("t").priority(0).build())).get(0);
        // Claims from the floor miss it until the floor lapses; then a full claim takes it.
        Deadline floorLapses = Deadline.of("claim floor's lifetime", ClaimFloors.MAX_LIFETIME);
        long deadline = System.nanoTime() + floorLapses.total().toNanos();
        List<Job> claimed = claim();
        while (claimed.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(100);
            claimed = claim();
        }
        assertThat(claimed).extracting(Job::id).containsExactly(fromElsewhere.id());
    }

    private List<Job> claim() {
        return store.acquire(new AcquireRequest("w", Set.of("default"), 1, Duration.ofMinutes(1)));
    }
}
