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
 * Finds the runs that waited past their deadline once their turn came. A backlog alone never makes
 * a run late: it waits its turn, which comes once every run queued ahead of it in the claim order
 * has started (or at once, if none was waiting). A run is late when it was <em>passed over</em>:
 * its turn had come, work queued behind it started, and it still waited for longer than the
 * deadline; or when it waited through a <em>stall</em>, a stretch longer than the deadline in which
 * no run started anywhere. Counting from its turn, not from the first start of newer work, keeps
 * one run that went ahead of a long backlog (its claim lapsed, a fault moved it) from making every
 * run of that backlog late by the time the backlog takes to drain.
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
     * How long a run still waited after its turn came and work queued behind it started.
     *
     * @param micros how long, in microseconds; 0 if it was not passed over
     * @param turn when its turn came, in microseconds: it was ready and every run queued ahead of
     *     it that started before it had started
     * @param by the first run queued behind it that started after its turn came; null if none
     */
    private record PassedOver(long micros, long turn, Run by) {
        String describe(Run run) {
            return run.describe() + ": " + seconds(micros) + " after its turn came at " + instant(turn)
                    + " and work queued behind it started, first " + by.describe();
        }
    }

    /**
     * What the runs show.
     *
     * @param longestWait the longest a run waited to start once it was ready, backlog and all
     * @param longestPassedOver the longest a ready run waited after its turn came and work queued
     *     behind it started
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
     * How long each run was passed over: first, in claim order, when its turn came (the latest start
     * of a run queued ahead of it, up to its own start, or its readiness if later); then, in reverse
     * claim order, the first start of a run queued behind it from then on. Runs queued in one
     * millisecond are not ordered against each other (Redis ranks by it).
     */
    private Map<Run, PassedOver> passedOver() {
        var turns = new IdentityHashMap<Run, Long>();
        var startsAhead = new TreeSet<Long>();
        List<List<Run>> byPlace = byPlace();
        for (List<Run> peers : byPlace) {
            for (Run run : peers) {
                Long lastAhead = startsAhead.floor(micros(run.startedAt()));
                long ready = micros(run.readyAt());
                turns.put(run, lastAhead == null ? ready : Math.max(ready, lastAhead));
            }
            peers.forEach(run -> startsAhead.add(micros(run.startedAt())));
        }
        var startsBehind = new TreeMap<Long, Run>();
        var passedOver = new IdentityHashMap<Run, PassedOver>();
        for (List<Run> peers : byPlace.reversed()) {
            for (Run run : peers) {
                long turn = turns.get(run);
                var firstBehind = startsBehind.ceilingEntry(turn);
                long started = micros(run.startedAt());
                passedOver.put(
                        run,
                        firstBehind == null || firstBehind.getKey() > started
                                ? new PassedOver(0, turn, null)
                                : new PassedOver(started - firstBehind.getKey(), turn, firstBehind.getValue()));
            }
            peers.forEach(run -> startsBehind.putIfAbsent(micros(run.startedAt()), run));
        }
        return passedOver;
    }

    /** The runs in claim order, those queued in one millisecond together. */
    private List<List<Run>> byPlace() {
        List<Run> sorted = new ArrayList<>(runs);
        sorted.sort(Comparator.comparingLong(StartDelays::place));
        var groups = new ArrayList<List<Run>>();
        for (int from = 0; from < sorted.size(); ) {
            int to = from;
            while (to < sorted.size() && place(sorted.get(to)) == place(sorted.get(from))) {
                to++;
            }
            groups.add(sorted.subList(from, to));
            from = to;
        }
        return groups;
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
