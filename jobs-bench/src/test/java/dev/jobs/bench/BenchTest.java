package dev.jobs.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The harness itself, on the in-memory store so that it needs no server: every scenario yields its
 * figures, and they land between the markers of a results file without touching the rest. It
 * checks that figures exist and are positive, never how large they are: speed is what the
 * benchmarks report, not what a test asserts.
 */
class BenchTest {
    @TempDir
    Path folder;

    @Test
    void aQuickRunOnTheInMemoryStoreFillsEveryTableAndTheResultsFile() throws Exception {
        Path results = folder.resolve("BENCHMARKS.md");
        Files.writeString(results, "# Before\n\n" + Report.BEGIN + "\nold figures\n" + Report.END + "\n\n# After\n");

        String tables = Bench.run(new String[] {
            "enqueue",
            "drain",
            "latency",
            "--subjects",
            "jobs-memory",
            "--quick",
            "--jobs",
            "500",
            "--workers",
            "4,32",
            "--write",
            results.toString()
        });

        assertThat(tables)
                .contains("**enqueue — batches of 1,000, 500 jobs**")
                .contains("**drain 500 no-op jobs — 4 workers**")
                .contains("**drain 500 no-op jobs — 32 workers**")
                .contains("**enqueue→start latency p99");
        var row = Pattern.compile("\\| jobs · memory \\| ([0-9.,]+) \\|");
        var figures = row.matcher(tables).results().map(m -> m.group(1)).toList();
        assertThat(figures).as("one figure per table").hasSize(8);
        assertThat(figures)
                .allSatisfy(
                        f -> assertThat(Double.parseDouble(f.replace(",", ""))).isPositive());
        assertThat(Files.readString(results))
                .startsWith("# Before")
                .endsWith("# After\n")
                .doesNotContain("old figures")
                .contains(tables.substring(tables.indexOf("**enqueue")));
    }

    @Test
    void aWrongCommandLineSaysWhatIsWrong() {
        assertThatThrownBy(() -> Bench.run(new String[] {"sprint"})).hasMessage("no scenario 'sprint'");
        assertThatThrownBy(() -> Bench.run(new String[] {"--jobs", "-5"}))
                .hasMessage("--jobs takes a positive whole number, not '-5'");
        assertThatThrownBy(() -> Bench.run(new String[] {"--subjects", "quartz"}))
                .hasMessageStartingWith("--subjects chose none of [jobs-postgresql");
        assertThatThrownBy(() -> Bench.run(
                        new String[] {"--write", folder.resolve("missing.md").toString()}))
                .hasMessageEndingWith("missing.md: no such file");
    }
}
