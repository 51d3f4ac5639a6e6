package dev.jobs.testing;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;

/**
 * Finds the runs that waited past their deadline once their job was ready. A backlog alone never
 * makes a run late: it waits its turn. A run is late when it was <em>passed over</em>, work queued
 * behind it starting for longer than the deadline while it still waited, or when it waited through
 * a <em>stall</em>, a stretch longer than the deadline in which no run started anywhere.
 *
 * <p>"Queued behind" is the engine's claim order, earliest {@code runAt} first (every store and the
 * Redis queue claim so within one priority), so this holds for work of one queue and one priority,
 * as a {@link Workload}'s is.
 */
final class StartDelays {
    /**
     * One run as the audit sees it.
     *
     * @param jobId its job
     * @param attempt its attempt number
     * @param queuedAt its place in the claim order: the job's {@code runAt} when it ran
     * @param readyAt when it could first have been claimed
     * @param startedAt when it was claimed
     * @param worker the worker that claimed it
     * @param becameReady how it became ready (created, its dependencies finished, the attempt
     *     before it ended on a worker), so that a late run points at the term that held it
     */
    record Run(
            UUID jobId,
            int attempt,
            Instant queuedAt,
            Instant readyAt,
            Instant startedAt,
            String worker,
            String becameReady) {
        String describe() {
            return jobId + ": attempt " + attempt + ", queued at " + queuedAt + ", ready at " + readyAt + " ("
                    + becameReady + "), started at " + startedAt + " on " + worker;
        }
    }

    /**
     * How long a run still waited after work queued behind it started.
     *
     * @param micros how long, in microseconds; 0 if nothing queued behind it started first
     * @param by the first run queued behind it that started while it was ready; null if none
     */
    private record PassedOver(long micros, Run by) {
        String describe(Run run) {
            return run.describe() + ": " + seconds(micros) + " after work queued behind it started, first "
                    + by.describe();
        }
    }

    /**
     * What the runs show.
     *
     * @param longestWait the longest a run waited to start once it was ready, backlog and all
     * @param longestPassedOver the longest a ready run waited after work queued behind it started
     * @param longestStall the longest no run started while some run was ready
     * @param late how many runs were passed over, or waited through a stall, for longer than the
     *     deadline
     * @param passedOverLongest the run passed over longest, described; empty if none was
     * @param problems the first of the late runs, described
     */
    record Verdict(
            Duration longestWait,
            Duration longestPassedOver,
            Duration longestStall,
            int late,
            Optional<String> passedOverLongest,
            List<String> problems) {}

    private final List<Run> runs = new ArrayList<>();

    void add(Run run) {
        runs.add(run);
    }

    /**
     * Judges the runs added against {@code deadline}; with none, only measures. A late run is
     * described with how it became ready and the deadline's terms, so that the reader can tell
     * which term it outlasted.
     *
     * @param maxProblems how many late runs to describe
     */
    Verdict judge(Optional<Deadline> deadline, int maxProblems) {
        long allowed = deadline.map(d -> micros(d.total())).orElse(Long.MAX_VALUE);
        String terms = deadline.map(d -> "deadline " + d).orElse("no deadline");
        var problems = new ArrayList<String>();
        int late = 0;
        long longestPassedOver = 0;
        String passedOverLongest = null;
        for (var passed : passedOver().entrySet()) {
            long micros = passed.getValue().micros();
            if (micros > longestPassedOver) {
                longestPassedOver = micros;
                passedOverLongest = passed.getValue().describe(passed.getKey());
            }
            if (micros > allowed) {
                late++;
                if (problems.size() < maxProblems) {
                    problems.add(passed.getValue().describe(passed.getKey()) + "; " + terms);
                }
            }
        }
        long longestStall = 0;
        for (long[] stall : stalls()) {
            long length = stall[1] - stall[0];
            longestStall = Math.max(longestStall, length);
            if (length <= allowed) {
                continue;
            }
            List<Run> waiting = runs.stream()
                    .filter(r -> micros(r.readyAt()) <= stall[0] && micros(r.startedAt()) >= stall[1])
                    .toList();
            late += waiting.size();
            if (problems.size() < maxProblems) {
                problems.add("no run started for " + seconds(length) + " from " + instant(stall[0]) + " while "
                        + waiting.size() + " were ready, e.g. " + waiting.get(0).describe() + "; " + terms);
            }
        }
        Duration longestWait = runs.stream()
                .map(run -> Duration.between(run.readyAt(), run.startedAt()))
                .max(Comparator.naturalOrder())
                .orElse(Duration.ZERO);
        return new Verdict(
                longestWait,
                Duration.of(longestPassedOver, ChronoUnit.MICROS),
                Duration.of(longestStall, ChronoUnit.MICROS),
                late,
                Optional.ofNullable(passedOverLongest),
                problems);
    }

    /**
     * How long each run still waited, in microseconds, after the first run queued behind it
     * started. Runs are met in claim order, latest first, so that the starts of everything queued
     * behind the one at hand are already gathered.
     */
    private Map<Run, PassedOver> passedOver() {
        List<Run> latestFirst = new ArrayList<>(runs);
        latestFirst.sort(Comparator.comparingLong(StartDelays::place).reversed());
        var startsBehind = new TreeMap<Long, Run>();
        var passedOver = new IdentityHashMap<Run, PassedOver>();
        int from = 0;
        while (from < latestFirst.size()) {
            // Runs queued in one millisecond are not ordered against each other (Redis ranks by it).
            long place = place(latestFirst.get(from));
            int to = from;
            while (to < latestFirst.size() && place(latestFirst.get(to)) == place) {
                to++;
            }
            List<Run> peers = latestFirst.subList(from, to);
            for (Run run : peers) {
                var firstBehind = startsBehind.ceilingEntry(micros(run.readyAt()));
                long started = micros(run.startedAt());
                passedOver.put(
                        run,
                        firstBehind == null
                                ? new PassedOver(0, null)
                                : new PassedOver(Math.max(0, started - firstBehind.getKey()), firstBehind.getValue()));
            }
            peers.forEach(run -> startsBehind.putIfAbsent(micros(run.startedAt()), run));
            from = to;
        }
        return passedOver;
    }

    /**
     * The stretches, as {@code [from, to]} in microseconds, in which some run was ready and none
     * started. Between two consecutive moments that are a start or a run becoming ready, the
     * stretch is a stall while a run ready at its beginning had not started by its end; a start
     * ends the stall.
     */
    private List<long[]> stalls() {
        var moments = new TreeSet<Long>();
        var starts = new HashSet<Long>();
        for (Run run : runs) {
            moments.add(micros(run.readyAt()));
            moments.add(micros(run.startedAt()));
            starts.add(micros(run.startedAt()));
        }
        List<Run> byReady = new ArrayList<>(runs);
        byReady.sort(Comparator.comparing(Run::readyAt));
        var stalls = new ArrayList<long[]>();
        int nextReady = 0;
        long latestStartOfReady = Long.MIN_VALUE;
        long stallFrom = -1;
        long previous = -1;
        for (long moment : moments) {
            if (stallFrom < 0 && previous >= 0 && latestStartOfReady >= moment) {
                stallFrom = previous;
            }
            if (stallFrom >= 0 && starts.contains(moment)) {
                stalls.add(new long[] {stallFrom, moment});
                stallFrom = -1;
            }
            while (nextReady < byReady.size() && micros(byReady.get(nextReady).readyAt()) <= moment) {
                latestStartOfReady = Math.max(
                        latestStartOfReady, micros(byReady.get(nextReady).startedAt()));
                nextReady++;
            }
            previous = moment;
        }
        return stalls;
    }

    /** A run's place in the claim order, to the millisecond. */
    private static long place(Run run) {
        return run.queuedAt().toEpochMilli();
    }

    private static long micros(Instant instant) {
        return ChronoUnit.MICROS.between(Instant.EPOCH, instant);
    }

    private static long micros(Duration duration) {
        return duration.toNanos() / 1_000;
    }

    private static Instant instant(long micros) {
        return Instant.EPOCH.plus(micros, ChronoUnit.MICROS);
    }

    private static String seconds(long micros) {
        return String.format("%.3f s", micros / 1_000_000.0);
    }
}
