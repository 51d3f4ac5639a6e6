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
