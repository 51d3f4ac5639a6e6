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
    private static final List<String> SCENARIOS = List.of("enqueue", "drain", "steps", "latency", "history", "memory");

    /** Runs alone and never as part of "all": it takes the better part of an hour. */
    private static final String HORIZON = "horizon";

    /** Runs alone: a new database under continuous load, PostgreSQL with and without Redis. */
    private static final String FRESH = "fresh";

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
        Servers servers = Servers.fromEnvironment();
        if (options.scenarios.equals(List.of(HORIZON))) {
            return horizon(options, servers);
        }
        if (options.scenarios.equals(List.of(FRESH))) {
            return fresh(options, servers);
        }
        var report = new Report();
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
                case "steps" -> scenarios.steps(subjects);
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

    /** The long-horizon run: its table, with the plot and the samples written beside {@code --write}'s file. */
    private static String horizon(Options options, Servers servers) throws Exception {
        Instant started = Instant.now();
        var horizon = new Horizon(
                servers.postgres(),
                options.horizonMinutes.stream().map(Duration::ofMinutes).toList(),
                options.horizonRate,
                16);
        System.out.println("jobs-bench: horizon on jobs · PostgreSQL, phases " + horizon.phases());
        List<Horizon.Sample> samples = horizon.run();
        Path folder = options.writeInto == null
                ? Path.of("jobs-bench", "target")
                : options.writeInto.toAbsolutePath().getParent().resolve("docs");
        Path plot = folder.resolve("bench-horizon.png");
        HorizonPlot.write(samples, horizon.phases(), plot);
        Horizon.writeCsv(samples, folder.resolve("bench-horizon.csv"));
        String plotLink = options.writeInto == null
                ? plot.toString()
                : options.writeInto
                        .toAbsolutePath()
                        .getParent()
                        .relativize(plot.toAbsolutePath())
                        .toString();
        String table = horizon.markdown(
                samples, Horizon.header(options.commandLine, started, options.horizonRate, 16), plotLink);
        System.out.println();
        System.out.println(table);
        System.out.println("plot: " + plot + ", samples: " + folder.resolve("bench-horizon.csv"));
        if (options.writeInto != null) {
            Horizon.writeInto(options.writeInto, table);
            System.out.println("written into " + options.writeInto);
        }
        return table;
    }

    /** New tables under continuous load: each subject's run on them and on analysed ones. */
    private static String fresh(Options options, Servers servers) throws Exception {
        Instant started = Instant.now();
        int rate = options.rateGiven ? options.horizonRate : 2_000;
        int workers = options.workersGiven ? options.workers.get(0) : 64;
        Duration length = Duration.ofSeconds(60);
        var subjects = new ArrayList<FreshStart>();
        for (boolean redis : List.of(false, true)) {
            String name = redis ? "jobs-postgresql-redis" : "jobs-postgresql";
            if (options.subjects.test(name)) {
                subjects.add(new FreshStart(servers, redis, rate, workers, length));
            }
        }
        if (subjects.isEmpty()) {
            throw new IllegalArgumentException("fresh runs on jobs-postgresql and jobs-postgresql-redis only");
        }
        System.out.println("jobs-bench: fresh on "
                + subjects.stream().map(FreshStart::subject).toList());
        var runs = new ArrayList<List<FreshStart.Run>>();
        for (FreshStart subject : subjects) {
            runs.add(subject.run());
        }
        String table = FreshStart.markdown(
                FreshStart.header(options.commandLine, started, rate, workers, length), subjects, runs);
        System.out.println();
        System.out.println(table);
        if (options.writeInto != null) {
            Report.writeBetween(options.writeInto, FreshStart.BEGIN, FreshStart.END, table);
            System.out.println("written into " + options.writeInto);
        }
        return table;
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
                  scenarios: enqueue drain steps latency history memory (default: all of them), or
                             horizon alone: the long-horizon run on PostgreSQL (about 42 min), or
                             fresh alone: new tables under continuous load, 60 s from their
                             creation, against the same on analysed tables (about 5 min)
                  --subjects a,b,…   which systems: jobs-postgresql jobs-postgresql-redis jobs-mariadb
                                     jobs-h2 jobs-memory db-scheduler jobrunr graphile-worker pg-boss
                                     bullmq, or 'ours' / 'peers' (default: all that can run here)
                  --jobs N           jobs per drain and batch enqueue (default 20000)
                  --workers a,b,…    worker counts of the drain (default 16,64,256)
                  --runs N           runs of each measurement; the median is reported (default 3)
                  --history N        finished jobs in the table for the history scenario (default 10000000)
                  --horizon-minutes b,i,r,c  lengths of the horizon's phases: baseline, idle in
                                     transaction, readers, recovery (default 4,30,4,4)
                  --rate N           jobs per second the horizon enqueues (default 500), or fresh's
                                     producers (default 2000)
                  --write FILE       write the tables into FILE between its result markers (the
                                     horizon's, with its plot and samples in docs/ beside FILE)
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
        List<Integer> horizonMinutes = List.of(4, 30, 4, 4);
        int horizonRate = 500;
        boolean rateGiven;
        boolean workersGiven;
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
                    } else if (SCENARIOS.contains(arg) || arg.equals(HORIZON) || arg.equals(FRESH)) {
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
                    case "--workers" -> {
                        options.workers = Arrays.stream(value.split(","))
                                .map(w -> positive(arg, w))
                                .toList();
                        options.workersGiven = true;
                    }
                    case "--runs" -> options.runs = positive(arg, value);
                    case "--history" -> options.history = positive(arg, value);
                    case "--write" -> options.writeInto = Path.of(value);
                    case "--horizon-minutes" ->
                        options.horizonMinutes = Arrays.stream(value.split(","))
                                .map(m -> positive(arg, m))
                                .toList();
                    case "--rate" -> {
                        options.horizonRate = positive(arg, value);
                        options.rateGiven = true;
                    }
                    default -> throw new IllegalArgumentException("no option " + arg);
                }
            }
            if (!scenarios.isEmpty()) {
                options.scenarios = new ArrayList<>(scenarios);
            }
            for (String alone : List.of(HORIZON, FRESH)) {
                if (options.scenarios.contains(alone) && options.scenarios.size() > 1) {
                    throw new IllegalArgumentException(alone + " runs alone, not with " + options.scenarios);
                }
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
