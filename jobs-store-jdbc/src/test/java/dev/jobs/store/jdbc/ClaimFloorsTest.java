package dev.jobs.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jobs.core.Job;
import dev.jobs.core.spi.support.JobTransitions;
import dev.jobs.testing.NewJobs;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The floor's life on one queue, on a clock the test moves (nanoseconds, as the store passes them). */
class ClaimFloorsTest {
    private static final String QUEUE = "default";
    private static final long SECOND = Duration.ofSeconds(1).toNanos();
    private static final Duration SLOW = Duration.ofMillis(100);

    private final ClaimFloors floors = new ClaimFloors(ClaimFloors.DEFAULT_SLOW_CLAIM);
    private final NewJobs jobs = new NewJobs(Clock.systemUTC());

    @Test
    void aSlowFullClaimSetsTheFloorAndOneClaimAloneRefreshesItOnceItsLifetimeIsOver() {
        Job first = job(50);
        floors.claimed(QUEUE, Optional.empty(), SLOW, List.of(job(60), first), 0);
        ClaimFloors.Key floor = ClaimFloors.Key.of(first);
        assertThat(floors.start(QUEUE, SECOND)).as("lifetime 20 x 100 ms").contains(floor);

        long expired = 2 * SECOND;
        assertThat(floors.start(QUEUE, expired))
                .as("the claim that refreshes: a full one")
                .isEmpty();
        assertThat(floors.start(QUEUE, expired)).as("the others meanwhile").contains(floor);
        assertThat(floors.current(QUEUE)).contains(floor);

        Job next = job(70);
        floors.claimed(QUEUE, Optional.empty(), SLOW, List.of(next), expired);
        assertThat(floors.start(QUEUE, expired + 1)).contains(ClaimFloors.Key.of(next));
    }

    @Test
    void aRefreshThatNeverReportsIsTakenOverAndAFastFullClaimEndsTheFloor() {
        floors.claimed(QUEUE, Optional.empty(), SLOW, List.of(job(50)), 0);
        assertThat(floors.start(QUEUE, 2 * SECOND)).isEmpty(); // this claim fails and never reports

        assertThat(floors.start(QUEUE, 6 * SECOND)).isPresent();
        assertThat(floors.start(QUEUE, 8 * SECOND))
                .as("given up on: another claim refreshes")
                .isEmpty();

        floors.claimed(QUEUE, Optional.empty(), Duration.ofMillis(1), List.of(job(50)), 8 * SECOND);
        assertThat(floors.start(QUEUE, 8 * SECOND + 1))
                .as("claims are fast again")
                .isEmpty();
        assertThat(floors.current(QUEUE)).isEmpty();
    }

    @Test
    void aClaimFromTheFloorMovesItAndAJobAdmittedBelowItRemovesIt() {
        floors.claimed(QUEUE, Optional.empty(), SLOW, List.of(job(50)), 0);
        Optional<ClaimFloors.Key> from = floors.start(QUEUE, 1);
        Job later = job(55);
        floors.claimed(QUEUE, from, Duration.ofMillis(1), List.of(later), 1);
        assertThat(floors.start(QUEUE, 2)).contains(ClaimFloors.Key.of(later));

        floors.admitted(List.of(job(60)));
        assertThat(floors.start(QUEUE, 3))
                .as("a job above the floor changes nothing")
                .isPresent();
        floors.admitted(List.of(job(0)));
        assertThat(floors.start(QUEUE, 4)).isEmpty();
    }

    private Job job(int priority) {
        return JobTransitions.created(jobs.of("t").priority(priority).build(), List.of(), Instant.now());
    }
}
