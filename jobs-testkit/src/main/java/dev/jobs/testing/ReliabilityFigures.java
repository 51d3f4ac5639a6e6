package dev.jobs.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * What one run of a reliability scenario measured, written where {@link ReliabilityPage} reads it
 * to make {@code RELIABILITY.md}: the figures come from the run, never from the text. The folder is
 * the system property {@value #DIRECTORY_PROPERTY} (the build sets it to the root's {@code
 * target/reliability}), else {@code target/reliability} under the working directory.
 *
 * <pre>{@code
 * ReliabilityFigures.scenario("worker-killed", "Worker process killed")
 *         .reproduce("./mvnw verify -pl jobs-queue-redis -am -Dgroups=reliability")
 *         .faults(4, "kill -9 of a worker process")
 *         .audit(audit)
 *         .recovered(Duration.ofSeconds(3))
 *         .write();
 * }</pre>
 */
public final class ReliabilityFigures {
    /** The system property naming the folder the figures go to. */
    public static final String DIRECTORY_PROPERTY = "jobs.reliability.dir";

    private final String id;
    private final Map<String, String> values = new LinkedHashMap<>();
    private final Map<String, String> more = new LinkedHashMap<>();

    private ReliabilityFigures(String id, String title) {
        if (!id.matches("[a-z0-9-]+")) {
            throw new IllegalArgumentException("scenario id '" + id + "' must be lower-case words joined by '-'");
        }
        this.id = id;
        values.put("title", title);
        values.put("ranAt", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    }

    /** Figures for the scenario {@code id} (a file name) shown as {@code title}. */
    public static ReliabilityFigures scenario(String id, String title) {
        return new ReliabilityFigures(id, title);
    }

    /** The command that runs the scenario again. */
    public ReliabilityFigures reproduce(String command) {
        values.put("reproduce", command);
        return this;
    }

    /** How many faults were injected, and of what kind. */
    public ReliabilityFigures faults(int count, String what) {
        values.put("faults", count + " × " + what);
        return this;
    }

    /**
     * The audit's counts: jobs, lost, duplicate successes, overlapping executions, late starts
     * against the ready deadline, and the allowed repeats.
     */
    public ReliabilityFigures audit(Audit audit) {
        values.put("jobs", Integer.toString(audit.jobs()));
        values.put("lost", Integer.toString(audit.lost()));
        values.put("endedWrong", Integer.toString(audit.endedWrong()));
        values.put("duplicateSuccesses", Integer.toString(audit.duplicateSuccesses()));
        values.put("overlaps", Integer.toString(audit.overlaps()));
        values.put("late", Integer.toString(audit.late()));
        audit.readyDeadline().ifPresent(deadline -> {
            values.put("readyDeadline", seconds(deadline.total()));
            figure("ready deadline, term by term", deadline);
        });
        figure("handler executions", audit.executions());
        figure("longest a run waited to start once its job was ready", audit.longestReadyWait());
        figure(
                "longest a ready run waited past its turn while work queued behind it started",
                audit.longestPassedOver());
        audit.passedOverLongest().ifPresent(run -> figure("the run passed over longest", run));
        figure("longest no run started while a job was ready", audit.longestStall());
        figure(
                "successful runs repeated because a fault hit their worker before it recorded them",
                audit.rerunsAfterFault());
        figure(
                "executions that began while a faulted worker, its lease lapsed, still ran the job",
                audit.overlapsAfterLostLease());
        return this;
    }

    /**
     * For a scenario without a workload's audit: how many jobs were accepted and how many of them
     * the store does not hold.
     */
    public ReliabilityFigures accepted(long jobs, long lost) {
        values.put("jobs", Long.toString(jobs));
        values.put("lost", Long.toString(lost));
        return this;
    }

    /** The longest time from a fault to the work going on as before. */
    public ReliabilityFigures recovered(Duration time) {
        values.put("recovery", seconds(time));
        return this;
    }

    /** A time the scenario measured, in seconds. */
    public ReliabilityFigures figure(String name, Duration time) {
        return figure(name, (Object) seconds(time));
    }

    private static String seconds(Duration time) {
        return String.format("%.1f s", time.toMillis() / 1000.0);
    }

    /** Any other figure the scenario measured. */
    public ReliabilityFigures figure(String name, Object value) {
        more.put(name, String.valueOf(value));
        return this;
    }

    /** Writes the figures, replacing those of the scenario's previous run. */
    public void write() {
        Path folder = Path.of(System.getProperty(DIRECTORY_PROPERTY, "target/reliability"));
        var properties = new Properties();
        properties.putAll(values);
        more.forEach((name, value) -> properties.put("figure." + name, value));
        try {
            Files.createDirectories(folder);
            try (Writer out = Files.newBufferedWriter(folder.resolve(id + ".properties"))) {
                properties.store(out, "figures of one run of " + id);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the figures of " + id + " to " + folder, e);
        }
    }
}
