package dev.jobs.testing;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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
 * Without the second argument the page goes to standard output. Folders of earlier runs' figures
 * may follow the page: each scenario then shows its longest waits in every run given against its
 * ready deadline, as the proof that a deadline holds with its margin over several runs.
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
              their turn (every run queued ahead of them in the claim order had started) while work
              queued behind them started, or while no run started anywhere. A backlog alone makes
              nothing late; a job the dispatch forgot, or one a fault held out of reach, does. Each scenario's section gives its deadline term by term:
              what the design lets hold a ready job back (a lease, a claim hold, a timeout), plus a
              margin of a quarter of that, at least two seconds, for a loaded two-core machine.

            Run the whole suite with `./mvnw verify -Dgroups=reliability` (it is part of `./mvnw verify`,
            which `.ci/run` runs, and prints this page at its end), then write this page again with
            `java jobs-testkit/src/main/java/dev/jobs/testing/ReliabilityPage.java target/reliability RELIABILITY.md`.
            A longer soak runs on request: `-Djobs.reliability.overload=200000` for the overload burst,
            `-Djobs.reliability.kills=20` for the worker kills. Figures are from a shared two-core machine
            that also runs the databases; times are noisy, counts are not.

            """;

    /** The scenario's id, its figures' file name; set when read, never shown. */
    private static final String ID = "id";

    // The names ReliabilityFigures gives these figures: this program runs from its source file
    // alone, so it cannot refer to that class.
    private static final String PASSED_OVER =
            "figure.longest a ready run waited past its turn while work queued behind it started";
    private static final String STALL = "figure.longest no run started while a job was ready";

    private ReliabilityPage() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println(
                    "usage: ReliabilityPage <folder of figures> [page to write [folders of earlier runs' figures...]]");
            System.exit(2);
        }
        List<Properties> scenarios = read(Path.of(args[0]));
        var earlier = new ArrayList<List<Properties>>();
        for (int i = 2; i < args.length; i++) {
            earlier.add(read(Path.of(args[i])));
        }
        String page = render(scenarios, earlier);
        if (args.length >= 2) {
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
                String name = file.getFileName().toString();
                properties.setProperty(ID, name.substring(0, name.length() - ".properties".length()));
                scenarios.add(properties);
            }
        }
        return scenarios;
    }

    static String render(List<Properties> scenarios) {
        return render(scenarios, List.of());
    }

    /** The page of {@code scenarios}, each with its waits in {@code earlier} runs too, if any. */
    static String render(List<Properties> scenarios, List<List<Properties>> earlier) {
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
            waitsOverRuns(s, earlier)
                    .ifPresent(line -> page.append("- ").append(line).append('\n'));
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

    /**
     * The longest waits of {@code scenario} in this run and the {@code earlier} ones that ran it,
     * against its ready deadline; empty without earlier runs or a deadline.
     */
    private static Optional<String> waitsOverRuns(Properties scenario, List<List<Properties>> earlier) {
        String deadline = scenario.getProperty("readyDeadline");
        if (earlier.isEmpty() || deadline == null) {
            return Optional.empty();
        }
        var runs = new ArrayList<Properties>();
        for (List<Properties> run : earlier) {
            run.stream()
                    .filter(other -> scenario.getProperty(ID).equals(other.getProperty(ID)))
                    .findFirst()
                    .ifPresent(runs::add);
        }
        runs.add(scenario);
        return Optional.of("longest waits in " + runs.size() + " runs against the ready deadline of " + deadline
                + ": passed over " + figures(runs, PASSED_OVER) + "; no run started " + figures(runs, STALL));
    }

    private static String figures(List<Properties> runs, String figure) {
        return String.join(
                ", ", runs.stream().map(r -> r.getProperty(figure, "–")).toList());
    }

    private static String lateStarts(Properties scenario) {
        String late = scenario.getProperty("late", "–");
        String deadline = scenario.getProperty("readyDeadline");
        return deadline == null ? late : late + " (" + deadline + ")";
    }
}
