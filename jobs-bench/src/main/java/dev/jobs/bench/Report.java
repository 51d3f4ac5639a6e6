package dev.jobs.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The figures of one run as tables, one per scenario and setting: each subject's median (and the
 * range over runs), and for a peer how many times faster ours is. Printed as Markdown, so the same
 * text goes to the console and into {@code BENCHMARKS.md}.
 */
final class Report {
    static final String BEGIN = "<!-- bench:results:begin -->";
    static final String END = "<!-- bench:results:end -->";

    private final List<Measurement> measurements = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    synchronized void add(Measurement measurement) {
        measurements.add(measurement);
        System.out.println("  " + measurement.subject() + " · " + measurement.scenario() + " · " + measurement.setting()
                + ": " + figure(measurement));
    }

    /** A line under the tables: a peer that could not run, a scenario left out, and why. */
    synchronized void note(String text) {
        notes.add(text);
        System.out.println("  note: " + text);
    }

    synchronized String markdown(String header) {
        var out = new StringBuilder(header).append("\n");
        Map<String, List<Measurement>> byTable = new LinkedHashMap<>();
        for (Measurement m : measurements) {
            byTable.computeIfAbsent(m.scenario() + " — " + m.setting(), k -> new ArrayList<>())
                    .add(m);
        }
        byTable.forEach((title, rows) -> {
            out.append("\n**").append(title).append("**\n\n");
            out.append("| system | ").append(rows.get(0).unit()).append(" (median) | runs | ours vs it |\n");
            out.append("|---|---:|---|---:|\n");
            for (Measurement m : rows) {
                out.append("| ")
                        .append(m.subject())
                        .append(" | ")
                        .append(number(m.median()))
                        .append(" | ")
                        .append(range(m))
                        .append(" | ")
                        .append(ratio(m, rows).orElse(""))
                        .append(" |\n");
            }
        });
        if (!notes.isEmpty()) {
            out.append("\n");
            notes.forEach(n -> out.append("- ").append(n).append("\n"));
        }
        out.append("\n**The targets, against this run**\n\n| target | goal | this run | |\n|---|---|---|---|\n");
        for (Targets.Row row : Targets.check(measurements)) {
            out.append("| ")
                    .append(row.target())
                    .append(" | ")
                    .append(row.goal())
                    .append(" | ")
                    .append(row.achieved())
                    .append(" | ")
                    .append(row.verdict())
                    .append(" |\n");
        }
        return out.toString();
    }

    /**
     * How ours compares with a peer: "×2.10" means ours does 2.1 times the throughput, or has 2.1
     * times less latency.
     */
    private static Optional<String> ratio(Measurement peer, List<Measurement> rows) {
        if (peer.comparedWith().isEmpty()) {
            return Optional.empty();
        }
        return rows.stream()
                .filter(m -> m.subject().equals(peer.comparedWith()))
                .findFirst()
                .filter(ours -> ours.median() > 0 && peer.median() > 0)
                .map(ours -> peer.higherIsBetter() ? ours.median() / peer.median() : peer.median() / ours.median())
                .map(r -> String.format(Locale.ROOT, "×%.2f", r));
    }

    private static String figure(Measurement m) {
        return number(m.median()) + " " + m.unit() + (m.runs().size() > 1 ? " (" + range(m) + ")" : "");
    }

    private static String range(Measurement m) {
        return m.runs().size() == 1 ? "1" : number(m.min()) + "–" + number(m.max());
    }

    static String number(double value) {
        if (value >= 100) {
            return String.format(Locale.ROOT, "%,.0f", value);
        }
        if (value >= 10) {
            return String.format(Locale.ROOT, "%.1f", value);
        }
        return String.format(Locale.ROOT, "%.2f", value);
    }

    /** Writes the tables between the result markers of a Markdown file, leaving the rest of it alone. */
    void writeInto(Path file, String header) throws IOException {
        writeBetween(file, BEGIN, END, markdown(header) + "\n");
    }

    /** Replaces what lies between {@code begin} and {@code end} in a Markdown file with {@code section}. */
    static void writeBetween(Path file, String begin, String end, String section) throws IOException {
        String text = Files.readString(file);
        int from = text.indexOf(begin);
        int to = text.indexOf(end);
        if (from < 0 || to < from) {
            throw new IOException(file + " has no " + begin + " … " + end + " section to write the results into");
        }
        Files.writeString(file, text.substring(0, from + begin.length()) + "\n" + section + text.substring(to));
    }
}
