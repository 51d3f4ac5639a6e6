package dev.jobs.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A short long-horizon run on the local PostgreSQL: every phase samples the load, the idle
 * transaction shows as an old snapshot with dead rows piling up behind it, and the plot, samples
 * and table are written.
 */
class HorizonTest {
    @TempDir
    Path folder;

    @Test
    void aShortRunSamplesEveryPhaseAndWritesItsPlotAndTable() throws Exception {
        var horizon = new Horizon(
                Servers.fromEnvironment().postgres(), Collections.nCopies(4, Duration.ofSeconds(20)), 100, 4);

        List<Horizon.Sample> samples = horizon.run();

        assertThat(samples).extracting(Horizon.Sample::phase).containsAll(Horizon.PHASES);
        assertThat(samples)
                .allSatisfy(s ->
                        assertThat(s.startedPerSecond()).as("load kept running").isPositive());
        List<Horizon.Sample> idle = samples.stream()
                .filter(s -> s.phase().equals("idle in transaction"))
                .toList();
        assertThat(idle.getLast().oldestSnapshotSeconds())
                .as("the idle transaction holds its snapshot through the phase")
                .isGreaterThanOrEqualTo(15);
        assertThat(idle.getLast().liveDeadRows())
                .as("jobs finished behind the held snapshot leave their dead versions")
                .isGreaterThan(idle.getFirst().liveDeadRows());

        Path plot = folder.resolve("docs/bench-horizon.png");
        HorizonPlot.write(samples, horizon.phases(), plot);
        BufferedImage image = ImageIO.read(plot.toFile());
        assertThat(image.getWidth()).isEqualTo(1200);
        Horizon.writeCsv(samples, folder.resolve("docs/bench-horizon.csv"));
        assertThat(Files.readAllLines(folder.resolve("docs/bench-horizon.csv"))).hasSize(samples.size() + 1);

        Path results = folder.resolve("BENCHMARKS.md");
        Files.writeString(results, "# Before\n" + Horizon.BEGIN + "\nold\n" + Horizon.END + "\n# After\n");
        Horizon.writeInto(results, horizon.markdown(samples, "Run of now.", "docs/bench-horizon.png"));
        String written = Files.readString(results);
        assertThat(written)
                .doesNotContain("old")
                .contains("# Before", "# After", "| idle in transaction | 0.3 |", "](docs/bench-horizon.png)");
        assertThat(written.lines().filter(l -> l.startsWith("| ") && !l.startsWith("| phase")))
                .hasSize(4);
    }
}
