package dev.jobs.bench;

import java.time.Duration;
import java.util.List;

/** The scenarios, each run on every subject that takes part in it. */
final class Scenarios {
    private final Bench.Options options;
    private final Report report;
    private final Servers servers;

    Scenarios(Bench.Options options, Report report, Servers servers) {
        this.options = options;
        this.report = report;
        this.servers = servers;
    }

    void enqueue(List<Subject> subjects) throws Exception {
        int single = Math.max(200, options.jobs / 10);
        for (Subject subject : subjects) {
            // Warm-up, not counted: class loading, JIT, the database's caches.
            subject.enqueueBatched(options.jobs, 1000);
            subject.enqueueSingly(single, 1);
            double[] batched = new double[options.runs];
            double[] oneThread = new double[options.runs];
            double[] eightThreads = new double[options.runs];
            for (int run = 0; run < options.runs; run++) {
                batched[run] = rate(options.jobs, subject.enqueueBatched(options.jobs, 1000));
                oneThread[run] = rate(single, subject.enqueueSingly(single, 1));
                eightThreads[run] = rate(single * 4, subject.enqueueSingly(single * 4, 8));
            }
            String jobs = String.format("%,d jobs", options.jobs);
            report.add(Measurement.of("enqueue", "batches of 1,000, " + jobs, subject, "jobs/s", batched));
            report.add(Measurement.of("enqueue", "one per call, 1 thread", subject, "jobs/s", oneThread));
            report.add(Measurement.of("enqueue", "one per call, 8 threads", subject, "jobs/s", eightThreads));
        }
        if (subjects.stream().anyMatch(s -> s.name().contains("PostgreSQL"))) {
            // The database's own ceiling for one commit per job, beside the engines' single enqueues.
            var baseline = new CommitBaseline(servers);
            baseline.insertsCommitted(single, 1); // warm-up
            double[] oneThread = new double[options.runs];
            double[] eightThreads = new double[options.runs];
            for (int run = 0; run < options.runs; run++) {
                oneThread[run] = rate(single, baseline.insertsCommitted(single, 1));
                eightThreads[run] = rate(single * 4, baseline.insertsCommitted(single * 4, 8));
            }
            report.add(new Measurement(
                    "enqueue", "one per call, 1 thread", CommitBaseline.NAME, "", "jobs/s", list(oneThread)));
            report.add(new Measurement(
                    "enqueue", "one per call, 8 threads", CommitBaseline.NAME, "", "jobs/s", list(eightThreads)));
        }
    }

    void drain(List<Subject> subjects) throws Exception {
        String scenario = String.format("drain %,d no-op jobs", options.jobs);
        for (int workers : options.workers) {
            for (Subject subject : subjects) {
                subject.drain(options.jobs, workers); // warm-up, not counted: JIT, the database's caches
                double[] rates = new double[options.runs];
                for (int run = 0; run < options.runs; run++) {
                    rates[run] = rate(options.jobs, subject.drain(options.jobs, workers));
                    System.out.printf("    run %d: %,.0f jobs/s%n", run + 1, rates[run]);
                }
                report.add(Measurement.of(scenario, workers + " workers", subject, "jobs/s", rates));
            }
        }
    }

    /**
     * Jobs of three durable steps against plain ones, on PostgreSQL: throughput, and the commits
     * each costs beyond a plain job's, counted by the database (pg_stat_database) over the drain.
     */
    void steps(List<Subject> subjects) throws Exception {
        String scenario = String.format("drain %,d jobs of %d durable steps", options.jobs, JobsSubject.STEPS);
        for (int workers : options.workers) {
            for (Subject subject : subjects) {
                if (!(subject instanceof JobsSubject ours && ours.isPlainPostgres())) {
                    continue;
                }
                ours.drainCounted(options.jobs, workers, true); // warm-up, not counted
                double[] plain = new double[options.runs];
                double[] stepped = new double[options.runs];
                double[] extra = new double[options.runs];
                for (int run = 0; run < options.runs; run++) {
                    JobsSubject.CountedDrain p = ours.drainCounted(options.jobs, workers, false);
                    JobsSubject.CountedDrain s = ours.drainCounted(options.jobs, workers, true);
                    plain[run] = rate(options.jobs, p.took());
                    stepped[run] = rate(options.jobs, s.took());
                    extra[run] = (double) (s.commits() - p.commits()) / options.jobs;
                    System.out.printf(
                            "    run %d: plain %,.0f jobs/s (%.2f commits/job), steps %,.0f jobs/s (%.2f commits/job)%n",
                            run + 1,
                            plain[run],
                            (double) p.commits() / options.jobs,
                            stepped[run],
                            (double) s.commits() / options.jobs);
                }
                String setting = workers + " workers";
                report.add(
                        new Measurement(scenario, setting, subject.name() + ", plain jobs", "", "jobs/s", list(plain)));
                report.add(new Measurement(
                        scenario,
                        setting,
                        subject.name() + ", " + JobsSubject.STEPS + " steps each",
                        subject.name() + ", plain jobs",
                        "jobs/s",
                        list(stepped)));
                report.add(new Measurement(
                        scenario, setting, subject.name() + ", extra commits per job", "", "commits", list(extra)));
            }
        }
    }

    void latency(List<Subject> subjects) throws Exception {
        String setting =
                String.format("%d jobs/s from another instance, %,d jobs", options.latencyRate, options.latencyJobs);
        for (Subject subject : subjects) {
            subject.latency(Math.max(100, options.latencyJobs / 4), options.latencyRate); // warm-up, not counted
            double[][] runs = new double[3][options.runs];
            for (int run = 0; run < options.runs; run++) {
                Latencies latencies = subject.latency(options.latencyJobs, options.latencyRate);
                runs[0][run] = latencies.p50();
                runs[1][run] = latencies.p95();
                runs[2][run] = latencies.p99();
            }
            report.add(Measurement.of("enqueue→start latency p50", setting, subject, "ms", runs[0]));
            report.add(Measurement.of("enqueue→start latency p95", setting, subject, "ms", runs[1]));
            report.add(Measurement.of("enqueue→start latency p99", setting, subject, "ms", runs[2]));
        }
    }

    /**
     * Claim cost against history: the same drain on an empty table and on one holding {@code
     * --history} finished jobs. Ours on PostgreSQL only; the peers either delete finished jobs
     * (db-scheduler, Graphile Worker) or were not built for it here.
     */
    void history(List<Subject> subjects) throws Exception {
        int workers = options.workers.stream().mapToInt(Integer::intValue).max().orElseThrow();
        for (Subject subject : subjects) {
            if (!(subject instanceof JobsSubject ours && ours.isPlainPostgres())) {
                continue;
            }
            ours.drain(options.jobs, workers); // warm-up
            double[] empty = new double[options.runs];
            double[] full = new double[options.runs];
            for (int run = 0; run < options.runs; run++) {
                empty[run] = rate(options.jobs, ours.drain(options.jobs, workers));
                full[run] = rate(options.jobs, ours.drainWithHistory(options.jobs, workers, options.history));
                System.out.printf(
                        "    run %d: %,.0f jobs/s empty, %,.0f with history%n", run + 1, empty[run], full[run]);
            }
            String scenario = String.format("drain %,d no-op jobs beside a history", options.jobs);
            String setting = workers + " workers";
            report.add(new Measurement(scenario, setting, subject.name() + ", empty table", "", "jobs/s", list(empty)));
            report.add(new Measurement(
                    scenario,
                    setting,
                    subject.name() + String.format(", %,d finished jobs in the table", options.history),
                    subject.name() + ", empty table",
                    "jobs/s",
                    list(full)));
            counts(ours);
        }
    }

    /**
     * The queue depth a host or the dashboard polls, with {@code --jobs} jobs queued: {@code
     * counts()} beside no history and beside {@code --history} finished jobs, and a count that reads
     * every row, which is what {@code counts()} did before it kept running totals of finished jobs.
     */
    private void counts(JobsSubject ours) throws Exception {
        JobsSubject.CountsCost none = ours.countsCost(options.jobs, 0, options.runs);
        JobsSubject.CountsCost full = ours.countsCost(options.jobs, options.history, options.runs);
        String scenario = String.format("counts() with %,d jobs queued, median call", options.jobs);
        String beside = String.format("beside %,d finished jobs", options.history);
        System.out.printf(
                "    counts(): %.2f ms beside none, %.2f ms %s; every row read: %.0f ms%n",
                none.countsMs().get(0),
                full.countsMs().get(0),
                beside,
                full.everyRowMs().get(0));
        report.add(new Measurement(scenario, "no finished jobs", ours.name(), "", "ms", none.countsMs()));
        report.add(new Measurement(scenario, beside, ours.name(), "", "ms", full.countsMs()));
        report.add(new Measurement(
                scenario,
                beside,
                "a count reading every row (counts() before V15)",
                ours.name(),
                "ms",
                full.everyRowMs()));
    }

    /**
     * Heap of an idle engine with 16 workers, and of a million jobs queued in the store, in this JVM.
     * Ours on PostgreSQL only: the figure is about the engine, and a peer's would need a JVM of its own.
     */
    void memory(List<Subject> subjects) throws Exception {
        for (Subject subject : subjects) {
            if (!(subject instanceof JobsSubject ours && ours.isPlainPostgres())) {
                continue;
            }
            ours.memory(16, 10_000); // warm-up: load every class the measured run uses
            double[] idle = new double[options.runs];
            double[] queued = new double[options.runs];
            for (int run = 0; run < options.runs; run++) {
                JobsSubject.MemoryUse use = ours.memory(16, options.queuedForMemory);
                idle[run] = use.idleEngineMiB();
                queued[run] = use.queuedJobsMiB();
                System.out.printf(
                        "    run %d: idle engine %.1f MiB, queued jobs %.1f MiB%n", run + 1, idle[run], queued[run]);
            }
            report.add(Measurement.of("heap added", "an idle engine with 16 workers", subject, "MiB", idle));
            report.add(Measurement.of(
                    "heap added",
                    String.format("%,d jobs queued in the store, engine running", options.queuedForMemory),
                    subject,
                    "MiB",
                    queued));
        }
    }

    private static List<Double> list(double[] values) {
        return java.util.Arrays.stream(values).boxed().toList();
    }

    private static double rate(int jobs, Duration took) {
        return jobs / (took.toNanos() / 1e9);
    }
}
