package dev.jobs.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * The benchmarks' command line: {@code jobs-bench/bench [scenario …] [--option value …]}. Runs each
 * scenario on every subject chosen, prints each figure as it comes and, at the end, the tables.
 *
 * <p>A plain harness rather than JMH: every scenario is a whole system at work (a database, a pool,
 * worker threads, sometimes another runtime), timed over seconds, where JMH's strengths (dead-code
 * elimination guards, forked warm-up of a method) do not apply and its forking would only hide the
 * servers' own warm-up. Runs are repeated instead, and the median reported with its range.
 */
public final class Bench {
    private static final List<String> SCENARIOS = List.of("enqueue", "drain", "latency", "history", "memory");

    private Bench() {}

    public static void main(String[] args) throws Exception {
        try {
            run(args);
        } catch (IllegalArgumentException e) {
            System.err.println("jobs-bench: " + e.getMessage());
            System.err.println(Options.USAGE);
            System.exit(2);
        }
    }

    /**
     * Runs what the command line asks for and returns the tables, as printed.
     *
     * @throws IllegalArgumentException naming what is wrong with the command line
     */
    static String run(String[] args) throws Exception {
        Options options = Options.parse(args);
        var report = new Report();
        Servers servers = Servers.fromEnvironment();
        List<Subject> subjects = Subjects.choose(options.subjects, servers, report);
        Instant started = Instant.now();
        System.out.println("jobs-bench: " + options.scenarios + " on "
                + subjects.stream().map(Subject::name).toList());
        var scenarios = new Scenarios(options, report, servers);
        for (String scenario : options.scenarios) {
            System.out.println("== " + scenario);
            switch (scenario) {
                case "enqueue" -> scenarios.enqueue(subjects);
                case "drain" -> scenarios.drain(subjects);
                case "latency" -> scenarios.latency(subjects);
                case "history" -> scenarios.history(subjects);
                case "memory" -> scenarios.memory(subjects);
                default -> throw new IllegalStateException(scenario);
            }
        }
        String header = header(options, started);
        String tables = report.markdown(header);
        System.out.println();
        System.out.println(tables);
        if (options.writeInto != null) {
            report.writeInto(options.writeInto, header);
            System.out.println("written into " + options.writeInto);
        }
        return tables;
    }

    private static String header(Options options, Instant started) {
        Runtime runtime = Runtime.getRuntime();
        return String.format(
                Locale.ROOT,
                "Run of %s, %d min: `%s`. Machine: %d cores, Java %s, max heap %d MiB.",
                started.toString().substring(0, 16).replace('T', ' ') + " UTC",
                Duration.between(started, Instant.now()).toMinutes(),
                options.commandLine,
                runtime.availableProcessors(),
                System.getProperty("java.version"),
                runtime.maxMemory() / (1024 * 1024));
    }

    /** What the command line asked for. */
    static final class Options {
        static final String USAGE = """
                usage: jobs-bench/bench [scenario …] [options]
                  scenarios: enqueue drain latency history memory (default: all of them)
                  --subjects a,b,…   which systems: jobs-postgresql jobs-postgresql-redis jobs-mariadb
                                     jobs-h2 jobs-memory db-scheduler jobrunr graphile-worker pg-boss
                                     bullmq, or 'ours' / 'peers' (default: all that can run here)
                  --jobs N           jobs per drain and batch enqueue (default 20000)
                  --workers a,b,…    worker counts of the drain (default 16,64,256)
                  --runs N           runs of each measurement; the median is reported (default 3)
                  --history N        finished jobs in the table for the history scenario (default 10000000)
                  --write FILE       write the tables into FILE between its result markers
                  --quick            a smoke run: 2000 jobs, 1 run, small history and latency samples""";

        List<String> scenarios = SCENARIOS;
        Predicate<String> subjects = name -> true;
        int jobs = 20_000;
        List<Integer> workers = List.of(16, 64, 256);
        int runs = 3;
        long history = 10_000_000;
        int latencyJobs = 2_000;
        int latencyRate = 100;
        long queuedForMemory = 1_000_000;
        Path writeInto;
        String commandLine;

        static Options parse(String[] args) {
            var options = new Options();
            options.commandLine = "jobs-bench/bench" + (args.length == 0 ? "" : " " + String.join(" ", args));
            var scenarios = new LinkedHashSet<String>();
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                if (!arg.startsWith("--")) {
                    if (arg.equals("all")) {
                        scenarios.addAll(SCENARIOS);
                    } else if (SCENARIOS.contains(arg)) {
                        scenarios.add(arg);
                    } else {
                        throw new IllegalArgumentException("no scenario '" + arg + "'");
                    }
                    continue;
                }
                if (arg.equals("--help")) {
                    throw new IllegalArgumentException("the scenarios and options are:");
                }
                if (arg.equals("--quick")) {
                    options.jobs = 2_000;
                    options.runs = 1;
                    options.history = 20_000;
                    options.latencyJobs = 200;
                    options.queuedForMemory = 20_000;
                    continue;
                }
                if (i + 1 == args.length) {
                    throw new IllegalArgumentException(arg + " needs a value");
                }
                String value = args[++i];
                switch (arg) {
                    case "--subjects" -> options.subjects = Subjects.filter(value);
                    case "--jobs" -> options.jobs = positive(arg, value);
                    case "--workers" ->
                        options.workers = Arrays.stream(value.split(","))
                                .map(w -> positive(arg, w))
                                .toList();
                    case "--runs" -> options.runs = positive(arg, value);
                    case "--history" -> options.history = positive(arg, value);
                    case "--write" -> options.writeInto = Path.of(value);
                    default -> throw new IllegalArgumentException("no option " + arg);
                }
            }
            if (!scenarios.isEmpty()) {
                options.scenarios = new ArrayList<>(scenarios);
            }
            if (options.writeInto != null && !Files.isRegularFile(options.writeInto)) {
                throw new IllegalArgumentException("--write " + options.writeInto + ": no such file");
            }
            return options;
        }

        private static int positive(String option, String value) {
            try {
                int n = Integer.parseInt(value.replace("_", ""));
                if (n > 0) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException(option + " takes a positive whole number, not '" + value + "'");
        }
    }
}
