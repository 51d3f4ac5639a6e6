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

    void history(List<Subject> subjects) throws Exception {}

    void memory(List<Subject> subjects) throws Exception {}

    private static double rate(int jobs, Duration took) {
        return jobs / (took.toNanos() / 1e9);
    }
}
