package dev.jobs.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A deadline is its terms plus a quarter of them, never less than two seconds of margin. */
class DeadlineTest {

    @Test
    void theTermsAddUpAndAQuarterOfThemIsTheMargin() {
        Deadline deadline = Deadline.of("claim hold", Duration.ofSeconds(3))
                .plus("network timeout", Duration.ofSeconds(10))
                .plus("pause", Duration.ofSeconds(6))
                .plus("restart", Duration.ofSeconds(5));

        assertThat(deadline.sumOfTerms()).isEqualTo(Duration.ofSeconds(24));
        assertThat(deadline.margin()).isEqualTo(Duration.ofSeconds(6));
        assertThat(deadline.total()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void shortTermsGetTheLeastMargin() {
        Deadline deadline = Deadline.of("poll interval", Duration.ofMillis(50));

        assertThat(deadline.margin()).isEqualTo(Deadline.MIN_MARGIN).isEqualTo(Duration.ofSeconds(2));
        assertThat(deadline.total()).isEqualTo(Duration.ofMillis(2_050));
    }

    @Test
    void theMarginTurnsFromTheLeastToAQuarterAtEightSeconds() {
        assertThat(Deadline.of("a", Duration.ofMillis(7_996)).margin()).isEqualTo(Duration.ofSeconds(2));
        assertThat(Deadline.of("a", Duration.ofSeconds(8)).margin()).isEqualTo(Duration.ofSeconds(2));
        assertThat(Deadline.of("a", Duration.ofSeconds(12)).margin()).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void itReadsAsItsTermsAndMargin() {
        Deadline deadline =
                Deadline.of("claim hold", Duration.ofSeconds(3)).plus("poll interval", Duration.ofMillis(50));

        assertThat(deadline).hasToString("5.1 s = claim hold 3.0 s + poll interval 50 ms + margin 2.0 s");
    }

    @Test
    void aTermNeedsANameAndALength() {
        assertThatThrownBy(() -> Deadline.of(" ", Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("name");
        assertThatThrownBy(() -> Deadline.of("poll", Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'poll' must be positive");
    }
}
