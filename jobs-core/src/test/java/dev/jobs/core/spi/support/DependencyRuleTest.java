package dev.jobs.core.spi.support;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jobs.core.DependencyFailurePolicy;
import dev.jobs.core.JobState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link DependencyRule#resolve} over every combination of parent outcomes and failure policies:
 * one parent in each state under each policy against a table written out here, then every pair and
 * every triple of parents against what the single parents say, whatever their order.
 */
class DependencyRuleTest {
    private static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");
    private static final Instant PAST = NOW.minusSeconds(1);
    private static final Instant FUTURE = NOW.plusSeconds(60);

    /**
     * What a job with one parent in a given state becomes, due now, written out as a table: a row
     * per parent state, then the outcome under CANCEL and under RUN.
     */
    private static final String[] ONE_PARENT = {
        "PENDING    PENDING    PENDING",
        "SCHEDULED  PENDING    PENDING",
        "READY      PENDING    PENDING",
        "RUNNING    PENDING    PENDING",
        "RETRYING   PENDING    PENDING",
        "SUCCEEDED  READY      READY",
        "FAILED     CANCELLED  READY",
        "CANCELLED  CANCELLED  READY",
    };

    private static JobState one(JobState parent, DependencyFailurePolicy policy) {
        for (String row : ONE_PARENT) {
            String[] cells = row.split("\\s+");
            if (cells[0].equals(parent.name())) {
                return JobState.valueOf(cells[policy == DependencyFailurePolicy.CANCEL ? 1 : 2]);
            }
        }
        throw new IllegalArgumentException("no row for " + parent);
    }

    @Test
    void oneParentInEachStateUnderEachPolicy() {
        assertThat(ONE_PARENT).hasSize(JobState.values().length);
        for (DependencyFailurePolicy policy : DependencyFailurePolicy.values()) {
            for (JobState parent : JobState.values()) {
                assertThat(DependencyRule.resolve(List.of(parent), policy, PAST, NOW))
                        .as(parent + " under " + policy)
                        .isEqualTo(one(parent, policy));
            }
        }
    }

    @Test
    void noParentsMeansReadyOrScheduledByRunAt() {
        for (DependencyFailurePolicy policy : DependencyFailurePolicy.values()) {
            assertThat(DependencyRule.resolve(List.of(), policy, PAST, NOW)).isEqualTo(JobState.READY);
            assertThat(DependencyRule.resolve(List.of(), policy, NOW, NOW)).isEqualTo(JobState.READY);
            assertThat(DependencyRule.resolve(List.of(), policy, FUTURE, NOW)).isEqualTo(JobState.SCHEDULED);
        }
    }

    /**
     * Every list of two and of three parents (512 and 4,096 per policy): a failure under {@code
     * CANCEL} cancels at once, whatever the others are; otherwise any unfinished parent keeps the
     * job waiting; otherwise it is ready. So the job becomes the "worst" of what each parent alone
     * would make it, CANCELLED over PENDING over READY.
     */
    @Test
    void manyParentsMakeTheWorstOfWhatEachAloneWould() {
        List<JobState> order = List.of(JobState.READY, JobState.PENDING, JobState.CANCELLED);
        int checked = 0;
        for (DependencyFailurePolicy policy : DependencyFailurePolicy.values()) {
            for (List<JobState> parents : combinations(3)) {
                JobState worst = parents.stream()
                        .map(parent -> one(parent, policy))
                        .max((a, b) -> Integer.compare(order.indexOf(a), order.indexOf(b)))
                        .orElseThrow();
                assertThat(DependencyRule.resolve(parents, policy, PAST, NOW))
                        .as(parents + " under " + policy)
                        .isEqualTo(worst);
                checked++;
            }
        }
        assertThat(checked).isEqualTo(2 * (8 + 64 + 512));
    }

    @Test
    void aJobThatWouldBeReadyWaitsForItsRunAtInstead() {
        for (DependencyFailurePolicy policy : DependencyFailurePolicy.values()) {
            for (List<JobState> parents : combinations(2)) {
                JobState due = DependencyRule.resolve(parents, policy, PAST, NOW);
                JobState later = DependencyRule.resolve(parents, policy, FUTURE, NOW);
                assertThat(later)
                        .as(parents + " under " + policy + ", runAt ahead")
                        .isEqualTo(due == JobState.READY ? JobState.SCHEDULED : due);
            }
        }
    }

    /** Every list of one to {@code size} states, in every order. */
    private static List<List<JobState>> combinations(int size) {
        var all = new ArrayList<List<JobState>>();
        var previous = List.of(List.<JobState>of());
        for (int n = 1; n <= size; n++) {
            var next = new ArrayList<List<JobState>>();
            for (List<JobState> shorter : previous) {
                for (JobState state : JobState.values()) {
                    var longer = new ArrayList<>(shorter);
                    longer.add(state);
                    next.add(List.copyOf(longer));
                }
            }
            all.addAll(next);
            previous = next;
        }
        return all;
    }
}
