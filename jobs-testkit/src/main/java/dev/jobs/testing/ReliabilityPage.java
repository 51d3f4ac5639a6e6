package dev.jobs.testing;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * Makes {@code RELIABILITY.md} from the figures the reliability scenarios wrote in their last run
 * ({@link ReliabilityFigures}). Needs nothing beyond the JDK, so it runs from its source:
 *
 * <pre>
 * java jobs-testkit/src/main/java/dev/jobs/testing/ReliabilityPage.java target/reliability RELIABILITY.md
 * </pre>
 *
 * Without the second argument the page goes to standard output.
 */
public final class ReliabilityPage {
    private static final String INTRO = """
            # Reliability

            This page is written by a program from the figures of the last run of each scenario of the
            reliability suite; nothing in its tables is typed by hand. Each scenario runs a real workload
            (plain jobs, jobs that retry, jobs that fail for good, and DAGs whose failed roots cancel their
            dependents) against real servers, injects its faults while the workload runs, and ends with
            one audit that reads every job back from the store and holds it against a ledger the handlers
            wrote (job, attempt, worker, lease token, start and end of every execution):

            - **lost**: accepted jobs missing from the store or still unfinished when the run ended;
            - **duplicate successes**: jobs whose store records more than one success, or whose handler
              succeeded twice on workers no fault hit;
            - **overlapping executions**: two executions of one job at once while the earlier still held
              its lease. An execution on a worker that was killed, paused or cut off may be overlapped
              once its lease has lapsed (the store refuses its outcome); those are counted apart;
            - jobs that **ended wrong**: a state or an attempt count their handlers and retry policies do
              not explain;
            - **late starts**: runs that waited past the scenario's ready deadline (in brackets) beyond
              their turn: after work queued behind them in the claim order had started, or while no run
              started anywhere. A backlog alone makes nothing late; a job the dispatch forgot, or one a
              fault held out of reach, does.

            Run the whole suite with `./mvnw verify -Dgroups=reliability` (it is part of `./mvnw verify`,
            which `.ci/run` runs, and prints this page at its end), then write this page again with
            `java jobs-testkit/src/main/java/dev/jobs/testing/ReliabilityPage.java target/reliability RELIABILITY.md`.
            A longer soak runs on request: `-Djobs.reliability.overload=200000` for the overload burst,
            `-Djobs.reliability.kills=20` for the worker kills. Figures are from a shared two-core machine
            that also runs the databases; times are noisy, counts are not.

            """;

    private ReliabilityPage() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: ReliabilityPage <folder of figures> [page to write]");
            System.exit(2);
        }
        List<Properties> scenarios = read(Path.of(args[0]));
        String page = render(scenarios);
        if (args.length == 2) {
            Files.writeString(Path.of(args[1]), page);
            System.out.println("wrote " + args[1] + " from " + scenarios.size() + " scenarios in " + args[0]);
        } else {
            System.out.print(page);
        }
    }

    private static List<Properties> read(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            throw new IOException(folder + " holds no figures: run the reliability suite first");
        }
        var scenarios = new ArrayList<Properties>();
        try (Stream<Path> files = Files.list(folder)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".properties"))
                    .sorted()
                    .toList()) {
                var properties = new Properties();
                try (Reader in = Files.newBufferedReader(file)) {
                    properties.load(in);
                }
                scenarios.add(properties);
            }
        }
        return scenarios;
    }

    static String render(List<Properties> scenarios) {
        var page = new StringBuilder(INTRO);
        page.append("| Scenario | Jobs | Faults injected | Lost | Duplicate successes | Overlapping executions"
                + " | Ended wrong | Late starts (deadline) | Time to recover |\n");
        page.append("|---|--:|---|--:|--:|--:|--:|--:|--:|\n");
        for (Properties s : scenarios) {
            List<String> cells = Stream.of(
                            s.getProperty("title"),
                            s.getProperty("jobs", "–"),
                            s.getProperty("faults", "–"),
                            s.getProperty("lost", "–"),
                            s.getProperty("duplicateSuccesses", "–"),
                            s.getProperty("overlaps", "–"),
                            s.getProperty("endedWrong", "–"),
                            lateStarts(s),
                            s.getProperty("recovery", "–"))
                    .map(cell -> cell.replace("|", "\\|")) // a pipe inside a cell would end it
                    .toList();
            page.append("| ").append(String.join(" | ", cells)).append(" |\n");
        }
        for (Properties s : scenarios) {
            page.append("\n## ").append(s.getProperty("title")).append("\n\n");
            page.append("- last run: ").append(s.getProperty("ranAt")).append('\n');
            s.stringPropertyNames().stream()
                    .filter(name -> name.startsWith("figure."))
                    .sorted()
                    .forEach(name -> page.append("- ")
                            .append(name.substring("figure.".length()))
                            .append(": ")
                            .append(s.getProperty(name))
                            .append('\n'));
            page.append("- reproduce: `")
                    .append(s.getProperty("reproduce", "./mvnw verify -Dgroups=reliability"))
                    .append("`\n");
        }
        return page.toString();
    }

    private static String lateStarts(Properties scenario) {
        String late = scenario.getProperty("late", "–");
        String deadline = scenario.getProperty("readyDeadline");
        return deadline == null ? late : late + " (" + deadline + ")";
    }
}
