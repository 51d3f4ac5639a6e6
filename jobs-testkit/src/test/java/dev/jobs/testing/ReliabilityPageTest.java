package dev.jobs.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The figures a scenario writes come out on the page as its row and its section. */
class ReliabilityPageTest {
    @Test
    void aScenariosFiguresBecomeItsRowAndSection(@TempDir Path folder) throws Exception {
        writingTo(
                folder,
                () -> ReliabilityFigures.scenario("pipe-cut", "Pipe cut")
                        .faults(2, "cut of a | b")
                        .audit(new Audit(
                                1200,
                                1300,
                                0,
                                0,
                                0,
                                0,
                                7,
                                3,
                                Duration.ofMillis(40),
                                Duration.ofMillis(120),
                                Duration.ofMillis(900),
                                Optional.of("a run, passed over longest"),
                                Optional.of(Deadline.of("pipe repair", Duration.ofSeconds(2))),
                                0,
                                List.of()))
                        .recovered(Duration.ofMillis(3250))
                        .figure("restart command", "a | b")
                        .write());
        Path page = folder.resolve("RELIABILITY.md");

        ReliabilityPage.main(new String[] {folder.toString(), page.toString()});

        String text = Files.readString(page);
        assertThat(text)
                .contains("| Pipe cut | 1200 | 2 × cut of a \\| b | 0 | 0 | 0 | 0 | 0 (4.0 s) | 3.3 s |")
                .contains("## Pipe cut")
                .contains("- restart command: a | b")
                .contains("- longest a run waited to start once its job was ready: 0.0 s")
                .contains("- longest no run started while a job was ready: 0.9 s")
                .contains("- ready deadline, term by term: 4.0 s = pipe repair 2.0 s + margin 2.0 s")
                .contains("- the run passed over longest: a run, passed over longest")
                .contains("- successful runs repeated because a fault hit their worker before it recorded them: 7");
    }

    @Test
    void earlierRunsShowTheirLongestWaitsBesideTheLastRunsAgainstTheDeadline(@TempDir Path folder) throws Exception {
        Path first = folder.resolve("first");
        Path last = folder.resolve("last");
        writeRun(first, Duration.ofMillis(1_200), Duration.ofMillis(300));
        writeRun(last, Duration.ofMillis(2_600), Duration.ofMillis(100));
        Path page = folder.resolve("RELIABILITY.md");

        ReliabilityPage.main(new String[] {last.toString(), page.toString(), first.toString()});

        assertThat(Files.readString(page))
                .contains("- longest waits in 2 runs against the ready deadline of 4.0 s: passed over 1.2 s, 2.6 s;"
                        + " no run started 0.3 s, 0.1 s");
    }

    private static void writeRun(Path folder, Duration passedOver, Duration stall) {
        writingTo(
                folder,
                () -> ReliabilityFigures.scenario("pipe-cut", "Pipe cut")
                        .audit(new Audit(
                                10,
                                10,
                                0,
                                0,
                                0,
                                0,
                                0,
                                0,
                                passedOver,
                                passedOver,
                                stall,
                                Optional.empty(),
                                Optional.of(Deadline.of("pipe repair", Duration.ofSeconds(2))),
                                0,
                                List.of()))
                        .write());
    }

    /** Runs {@code write} with the figures going to {@code folder}. */
    private static void writingTo(Path folder, Runnable write) {
        String previous = System.getProperty(ReliabilityFigures.DIRECTORY_PROPERTY);
        System.setProperty(ReliabilityFigures.DIRECTORY_PROPERTY, folder.toString());
        try {
            write.run();
        } finally {
            if (previous == null) {
                System.clearProperty(ReliabilityFigures.DIRECTORY_PROPERTY);
            } else {
                System.setProperty(ReliabilityFigures.DIRECTORY_PROPERTY, previous);
            }
        }
    }
}
