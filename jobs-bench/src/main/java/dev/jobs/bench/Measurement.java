package dev.jobs.bench;

import java.util.Arrays;
import java.util.List;

/**
 * One figure of one subject in one scenario, from every run: throughput in jobs per second, or a
 * latency percentile in milliseconds.
 *
 * @param scenario e.g. {@code drain 20,000 no-op jobs}
 * @param setting what varies within it, e.g. {@code 64 workers}
 * @param subject who was measured
 * @param comparedWith the subject of ours it is put beside, empty for ours
 * @param unit {@code jobs/s} or {@code ms}
 * @param runs one value per run
 */
record Measurement(
        String scenario, String setting, String subject, String comparedWith, String unit, List<Double> runs) {

    /** Whether more is better (throughput) or less is (latency, memory). */
    boolean higherIsBetter() {
        return unit.equals("jobs/s");
    }

    /** The median run, the figure reported. */
    double median() {
        double[] sorted =
                runs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    double min() {
        return runs.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
    }

    double max() {
        return runs.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
    }

    static Measurement of(String scenario, String setting, Subject subject, String unit, double... runs) {
        return new Measurement(
                scenario,
                setting,
                subject.name(),
                subject.comparedWith(),
                unit,
                Arrays.stream(runs).boxed().toList());
    }
}
