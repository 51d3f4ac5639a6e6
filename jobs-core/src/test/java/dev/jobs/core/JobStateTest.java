package dev.jobs.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.EnumSet;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class JobStateTest {

    @Test
    void lifecycleFromTheDesignIsAllowed() {
        assertThat(JobState.PENDING.successors())
                .containsExactlyInAnyOrder(JobState.READY, JobState.SCHEDULED, JobState.CANCELLED);
        assertThat(JobState.SCHEDULED.canTransitionTo(JobState.READY)).isTrue();
        assertThat(JobState.READY.canTransitionTo(JobState.RUNNING)).isTrue();
        assertThat(JobState.RUNNING.successors())
                .contains(JobState.SUCCEEDED, JobState.RETRYING, JobState.FAILED, JobState.CANCELLED);
        assertThat(JobState.RETRYING.canTransitionTo(JobState.RUNNING)).isTrue();
        assertThat(JobState.FAILED.successors()).containsExactly(JobState.READY);
        assertThat(JobState.CANCELLED.successors()).containsExactlyInAnyOrder(JobState.READY, JobState.PENDING);
    }

    @Test
    void succeededIsFinalAndNothingSkipsRunning() {
        assertThat(JobState.SUCCEEDED.successors()).isEmpty();
        for (JobState state : EnumSet.complementOf(EnumSet.of(JobState.RUNNING))) {
            assertThat(state.canTransitionTo(JobState.SUCCEEDED))
                    .as(state + " -> SUCCEEDED")
                    .isFalse();
        }
        assertThat(JobState.PENDING.canTransitionTo(JobState.RUNNING)).isFalse();
    }

    @Test
    void terminalAndClaimableStatesAreTheDocumentedOnes() {
        assertThat(EnumSet.allOf(JobState.class).stream().filter(JobState::isTerminal))
                .containsExactlyInAnyOrder(JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED);
        assertThat(EnumSet.allOf(JobState.class).stream().filter(JobState::isClaimable))
                .containsExactlyInAnyOrder(JobState.READY, JobState.SCHEDULED, JobState.RETRYING);
    }

    /**
     * The whole table, written out independently of {@link JobState}: a row per state, an {@code x}
     * where the move from that state to the column's is allowed. Every one of the 64 pairs is held
     * to it, so a transition added or dropped by mistake fails here.
     */
    private static final String[] TABLE = {
        //            PEN SCH REA RUN RET SUC FAI CAN
        "PENDING      .   x   x   .   .   .   .   x",
        "SCHEDULED    .   .   x   x   .   .   .   x",
        "READY        .   .   .   x   .   .   .   x",
        "RUNNING      .   x   x   .   x   x   x   x",
        "RETRYING     .   .   .   x   .   .   .   x",
        "SUCCEEDED    .   .   .   .   .   .   .   .",
        "FAILED       .   .   x   .   .   .   .   .",
        "CANCELLED    x   .   x   .   .   .   .   .",
    };

    @Test
    void everyPairOfStatesIsAllowedOrRefusedAsTheTableSays() {
        JobState[] states = JobState.values();
        assertThat(TABLE).hasSize(states.length);
        UUID id = UUID.randomUUID();
        int allowed = 0;
        for (String row : TABLE) {
            String[] cells = row.trim().split("\\s+");
            JobState from = JobState.valueOf(cells[0]);
            assertThat(cells).as(row).hasSize(states.length + 1);
            for (JobState to : states) {
                boolean expected = cells[to.ordinal() + 1].equals("x");
                assertThat(from.canTransitionTo(to)).as(from + " -> " + to).isEqualTo(expected);
                assertThat(from.successors().contains(to))
                        .as(from + " successors has " + to)
                        .isEqualTo(expected);
                if (expected) {
                    allowed++;
                    from.requireTransitionTo(to, id, "unused");
                } else {
                    assertThatThrownBy(() -> from.requireTransitionTo(to, id, "what to do"))
                            .as(from + " -> " + to)
                            .isInstanceOf(InvalidTransitionException.class)
                            .hasMessageContaining(from.name())
                            .hasMessageContaining(to.name())
                            .hasMessageContaining("what to do");
                }
            }
        }
        assertThat(allowed).isEqualTo(19);
    }

    @Test
    void noStateMovesToItself() {
        for (JobState state : JobState.values()) {
            assertThat(state.canTransitionTo(state)).as(state.name()).isFalse();
        }
    }

    @Test
    void onlyAnOperatorsRetryLeavesAFinalState() {
        for (JobState state : JobState.values()) {
            if (state.isTerminal()) {
                assertThat(state.successors())
                        .as(state.name())
                        .allMatch(s -> s == JobState.READY || s == JobState.PENDING);
            }
        }
    }

    @Test
    void refusedTransitionNamesTheJobAndBothStates() {
        UUID id = UUID.randomUUID();
        assertThatThrownBy(() -> JobState.SUCCEEDED.requireTransitionTo(JobState.READY, id, "it is done"))
                .isInstanceOf(InvalidTransitionException.class)
                .hasMessageContaining(id.toString())
                .hasMessageContaining("SUCCEEDED")
                .hasMessageContaining("READY");
    }
}
