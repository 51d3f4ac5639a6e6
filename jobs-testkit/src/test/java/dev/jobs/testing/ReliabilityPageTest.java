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
        String previous = System.getProperty(ReliabilityFigures.DIRECTORY_PROPERTY);
        System.setProperty(ReliabilityFigures.DIRECTORY_PROPERTY, folder.toString());
        try {
            ReliabilityFigures.scenario("pipe-cut", "Pipe cut")
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
                            Optional.of(Duration.ofSeconds(4)),
                            0,
                            List.of()))
                    .recovered(Duration.ofMillis(3250))
                    .figure("restart command", "a | b")
                    .write();
        } finally {
            if (previous == null) {
                System.clearProperty(ReliabilityFigures.DIRECTORY_PROPERTY);
            } else {
                System.setProperty(ReliabilityFigures.DIRECTORY_PROPERTY, previous);
            }
        }
        Path page = folder.resolve("RELIABILITY.md");

        ReliabilityPage.main(new String[] {folder.toString(), page.toString()});

        String text = Files.readString(page);
        assertThat(text)
                .contains("| Pipe cut | 1200 | 2 × cut of a \\| b | 0 | 0 | 0 | 0 | 0 (4.0 s) | 3.3 s |")
                .contains("## Pipe cut")
                .contains("- restart command: a | b")
                .contains("- longest a run waited to start once its job was ready: 0.0 s")
                .contains("- longest no run started while a job was ready: 0.9 s")
                .contains("- successful runs repeated because a fault hit their worker before it recorded them: 7");
    }
}
