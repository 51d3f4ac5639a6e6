package dev.jobs.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The project's speed and memory targets, each checked against the figures of the run that just
 * happened, so the table in BENCHMARKS.md is computed, never typed in.
 */
final class Targets {
    private Targets() {}

    /** One target: what it asks, and what the run achieved, or why it could not say. */
    record Row(String target, String goal, String achieved, String verdict) {}

    static List<Row> check(List<Measurement> all) {
        var rows = new ArrayList<Row>();
        Optional<Double> pg = best(all, "drain", "jobs · PostgreSQL");
        Optional<Double> redis = best(all, "drain", "jobs · PostgreSQL + Redis");
        rows.add(atLeast("drain on PostgreSQL (best worker count)", pg, 25_000, "jobs/s"));
        rows.add(ratio("… beside Graphile Worker", pg, best(all, "drain", "Graphile Worker"), 1.4));
        rows.add(ratio("… beside db-scheduler", pg, best(all, "drain", "db-scheduler"), 7));
        rows.add(ratio("… beside JobRunr", pg, best(all, "drain", "JobRunr"), 7));
        rows.add(atLeast("drain with Redis in front (best worker count)", redis, 25_000, "jobs/s"));
        rows.add(ratio("… beside the same without Redis (never slower)", redis, pg, 1.0));
        rows.add(atLeast(
                "batch enqueue on PostgreSQL",
                figure(
                        all,
                        m -> m.scenario().equals("enqueue")
                                && m.setting().startsWith("batches")
                                && m.subject().equals("jobs · PostgreSQL")),
                60_000,
                "jobs/s"));
        rows.add(ratio(
                "single enqueue, 1 thread, beside PostgreSQL's own INSERT + COMMIT",
                figure(
                        all,
                        m -> m.setting().equals("one per call, 1 thread")
                                && m.subject().equals("jobs · PostgreSQL")),
                figure(
                        all,
                        m -> m.setting().equals("one per call, 1 thread")
                                && m.subject().equals(CommitBaseline.NAME)),
                0.9));
        rows.add(atMost("latency p50 on PostgreSQL (NOTIFY)", latency(all, "p50", "jobs · PostgreSQL"), 2, "ms"));
        rows.add(atMost("latency p99 on PostgreSQL (NOTIFY)", latency(all, "p99", "jobs · PostgreSQL"), 6, "ms"));
        rows.add(atMost("latency p50 with Redis", latency(all, "p50", "jobs · PostgreSQL + Redis"), 1, "ms"));
        rows.add(atMost("latency p99 with Redis", latency(all, "p99", "jobs · PostgreSQL + Redis"), 3, "ms"));
        rows.add(ratio(
                "drain beside a large history, against an empty table",
                figure(all, m -> m.scenario().contains("history") && m.subject().contains("finished jobs")),
                figure(all, m -> m.scenario().contains("history") && m.subject().endsWith("empty table")),
                0.9));
        rows.add(ratioAtMost(
                "counts() beside a large history, against none",
                figure(
                        all,
                        m -> m.scenario().startsWith("counts()")
                                && m.setting().startsWith("beside")
                                && m.comparedWith().isEmpty()),
                figure(
                        all,
                        m -> m.scenario().startsWith("counts()") && m.setting().equals("no finished jobs")),
                1.1));
        rows.add(atMost(
                "heap of an idle engine with 16 workers",
                figure(all, m -> m.setting().startsWith("an idle engine")),
                64,
                "MiB"));
        rows.add(atMost(
                "heap of a million queued jobs",
                figure(
                        all,
                        m -> m.scenario().equals("heap added") && m.setting().contains("queued")),
                16,
                "MiB"));
        rows.add(atLeast("drain on the in-memory store", best(all, "drain", "jobs · memory"), 200_000, "jobs/s"));
        return rows;
    }

    /**
     * The best median of a subject over a scenario's settings (worker counts). Ours are named
     * exactly; a peer by the start of its name, which carries its version.
     */
    private static Optional<Double> best(List<Measurement> all, String scenario, String subject) {
        boolean ours = subject.startsWith("jobs ");
        return all.stream()
                .filter(m -> m.scenario().startsWith(scenario) && !m.scenario().contains("history"))
                .filter(m -> ours ? m.subject().equals(subject) : m.subject().startsWith(subject))
                .map(Measurement::median)
                .max(Double::compare);
    }

    private static Optional<Double> latency(List<Measurement> all, String percentile, String subject) {
        return figure(
                all,
                m -> m.scenario().endsWith("latency " + percentile)
                        && m.subject().equals(subject));
    }

    private static Optional<Double> figure(List<Measurement> all, Predicate<Measurement> which) {
        return all.stream().filter(which).map(Measurement::median).findFirst();
    }

    private static Row atLeast(String target, Optional<Double> achieved, double goal, String unit) {
        return achieved.map(a -> new Row(
                        target,
                        "≥ " + Report.number(goal) + " " + unit,
                        Report.number(a) + " " + unit,
                        a >= goal ? "met" : String.format(Locale.ROOT, "missed by %.0f%%", 100 * (1 - a / goal))))
                .orElseGet(() -> notRun(target, "≥ " + Report.number(goal) + " " + unit));
    }

    private static Row atMost(String target, Optional<Double> achieved, double goal, String unit) {
        return achieved.map(a -> new Row(
                        target,
                        "≤ " + Report.number(goal) + " " + unit,
                        Report.number(a) + " " + unit,
                        a <= goal ? "met" : String.format(Locale.ROOT, "missed: %.1f× the goal", a / goal)))
                .orElseGet(() -> notRun(target, "≤ " + Report.number(goal) + " " + unit));
    }

    private static Row ratio(String target, Optional<Double> ours, Optional<Double> other, double goal) {
        return ratio(target, ours, other, goal, true);
    }

    /** As {@link #ratio}, for a figure where less is better (a time). */
    private static Row ratioAtMost(String target, Optional<Double> ours, Optional<Double> other, double goal) {
        return ratio(target, ours, other, goal, false);
    }

    private static Row ratio(
            String target, Optional<Double> ours, Optional<Double> other, double goal, boolean atLeast) {
        String wanted = String.format(Locale.ROOT, "%s ×%.2f", atLeast ? "≥" : "≤", goal);
        if (ours.isEmpty() || other.isEmpty() || other.get() == 0) {
            return notRun(target, wanted);
        }
        double achieved = ours.get() / other.get();
        String verdict;
        if (atLeast ? achieved >= goal : achieved <= goal) {
            verdict = "met";
        } else {
            verdict = atLeast
                    ? String.format(Locale.ROOT, "missed by %.0f%%", 100 * (1 - achieved / goal))
                    : String.format(Locale.ROOT, "missed: %.1f× the goal", achieved / goal);
        }
        return new Row(target, wanted, String.format(Locale.ROOT, "×%.2f", achieved), verdict);
    }

    private static Row notRun(String target, String goal) {
        return new Row(target, goal, "not measured in this run", "—");
    }
}
