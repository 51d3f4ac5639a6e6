package dev.jobs.testing;

import dev.jobs.core.Attempt;
import dev.jobs.core.Job;
import dev.jobs.core.JobState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The verdict on one run of a {@link Workload}: each accepted job read back from the store and
 * held against the handlers' ledger. Clean when no job is lost or ended wrong, no success is
 * recorded twice, no two executions of a job overlapped while both held their lease and no ready
 * job waited past its deadline ({@link StartDelays}).
 *
 * @param jobs jobs the workload created
 * @param executions handler executions in the ledger
 * @param lost jobs accepted but missing from the store or still unfinished
 * @param endedWrong jobs that ended in a state or after a number of attempts their handlers and
 *     policies do not explain
 * @param duplicateSuccesses jobs the store records as succeeding more than once, or whose handler
 *     succeeded twice on workers no fault hit
 * @param overlaps executions of one job that overlapped while the earlier still held its lease
 * @param rerunsAfterFault successful executions on a faulted worker that the store never recorded,
 *     so the job ran again: the at-least-once price of a crash, not an error
 * @param overlapsAfterLostLease executions that began while a faulted worker, whose lease had
 *     lapsed, was still running the job: allowed, since the store refuses its outcome
 * @param longestReadyWait the longest any run waited to start once its job was ready to run: from
 *     its creation or its last dependency finishing, or from the end of the run before it plus the
 *     retry backoff; a backlog shows here
 * @param longestPassedOver the longest a ready run waited after its turn in the claim order came
 *     and work queued behind it started: a job the dispatch forgot, or held out of reach, shows
 *     here
 * @param longestStall the longest no run started anywhere while some job was ready
 * @param passedOverLongest the run behind {@code longestPassedOver}: its job, attempt, how it
 *     became ready, and the run queued behind it that started first; empty when none was passed
 *     over
 * @param readyDeadline how long a ready job may wait beyond its turn, term by term; empty when the
 *     workload set none and the delays were only measured
 * @param late runs that waited past {@code readyDeadline}: passed over, or through a stall, for
 *     longer than it allows
 * @param problems what went wrong, the first {@value #MAX_PROBLEMS} of it
 */
public record Audit(
        int jobs,
        int executions,
        int lost,
        int endedWrong,
        int duplicateSuccesses,
        int overlaps,
        int rerunsAfterFault,
        int overlapsAfterLostLease,
        Duration longestReadyWait,
        Duration longestPassedOver,
        Duration longestStall,
        Optional<String> passedOverLongest,
        Optional<Deadline> readyDeadline,
        int late,
        List<String> problems) {
    /** How many problems an audit lists; the counts cover them all. */
    public static final int MAX_PROBLEMS = 20;

    public Audit {
        problems = List.copyOf(problems);
    }

    /** Whether nothing went wrong. */
    public boolean isClean() {
        return lost == 0 && endedWrong == 0 && duplicateSuccesses == 0 && overlaps == 0 && late == 0;
    }

    /** Adds up the checks of one job after another. */
    static final class Tally {
        private final Set<String> faulted;
        private final List<String> problems = new ArrayList<>();
        private int lost;
        private int endedWrong;
        private int duplicateSuccesses;
        private int overlaps;
        private int rerunsAfterFault;
        private int overlapsAfterLostLease;
        private final StartDelays startDelays = new StartDelays();
        private final Optional<Deadline> readyDeadline;
        private final Duration retryBackoff;

        Tally(Set<String> faulted, Optional<Deadline> readyDeadline, Duration retryBackoff) {
            this.retryBackoff = retryBackoff;
            this.faulted = Set.copyOf(faulted);
            this.readyDeadline = readyDeadline;
        }

        void lost(String problem) {
            lost++;
            note(problem);
        }

        private void note(String problem) {
            if (problems.size() < MAX_PROBLEMS) {
                problems.add(problem);
            }
        }

        /** Checks one stored job against how it must end and the executions its ledger shows. */
        void check(
                Job job,
                JobState expected,
                int expectedAttempts,
                boolean attemptsMayExceed,
                List<Workload.Execution> runs) {
            if (!job.state().isTerminal()) {
                lost(job.id() + ": still " + job.state() + " after the run");
                return;
            }
            // A run given back at shutdown keeps its number, so the highest number is what ran.
            int highestRun =
                    runs.stream().mapToInt(Workload.Execution::attempt).max().orElse(0);
            boolean attemptsRight = attemptsMayExceed
                    ? job.attempt() >= expectedAttempts && job.attempt() >= highestRun
                    : job.attempt() == expectedAttempts;
            if (job.state() != expected || !attemptsRight) {
                endedWrong++;
                note(job.id() + ": " + job.state() + " after " + job.attempt() + " attempts; expected " + expected
                        + " after " + expectedAttempts);
            }
            checkSuccesses(job, runs);
            checkOverlaps(job, runs);
        }

        /**
         * Measures how long each run of {@code job} waited once it could run: the first from {@code
         * readyAt}, each later one from the end of the run before it plus the retry backoff. A
         * run's place in the claim order is the job's creation for the first, its readiness for a
         * retry, and the place it had for a run given back at shutdown.
         *
         * @param becameReady how the first run became ready: created, or its dependencies finished
         */
        void measureWaits(Job job, Instant readyAt, String becameReady) {
            Instant ready = readyAt;
            Instant queued = job.createdAt();
            String how = becameReady;
            for (Attempt attempt : job.attempts()) {
                startDelays.add(new StartDelays.Run(
                        job.id(), attempt.number(), queued, ready, attempt.startedAt(), attempt.worker(), how));
                ready = attempt.outcome() == Attempt.Outcome.RELEASED
                        ? attempt.endedAt()
                        : attempt.endedAt().plus(retryBackoff);
                how = "attempt " + attempt.number() + " ended " + attempt.outcome() + " on " + attempt.worker()
                        + (faulted.contains(attempt.worker()) ? ", a worker a fault hit" : "")
                        + attempt.error().map(e -> ": " + e.message()).orElse("");
                if (attempt.outcome() != Attempt.Outcome.RELEASED) {
                    queued = ready;
                }
            }
        }

        private void checkSuccesses(Job job, List<Workload.Execution> runs) {
            List<Attempt> stored = job.attempts().stream()
                    .filter(a -> a.outcome() == Attempt.Outcome.SUCCEEDED)
                    .toList();
            if (stored.size() > 1) {
                duplicateSuccesses++;
                note(job.id() + ": the store records " + stored.size() + " successes: " + stored);
                return;
            }
            Optional<Attempt> recorded = stored.stream().findFirst();
            if (recorded.isPresent()
                    && runs.stream().noneMatch(run -> run.succeeded() && isRunOf(run, recorded.get()))) {
                endedWrong++;
                note(job.id() + ": the store records a success (" + recorded.get() + ") no handler returned");
            }
            int unrecordedOnHealthyWorkers = 0;
            for (Workload.Execution run : runs) {
                if (!run.succeeded() || recorded.map(a -> isRunOf(run, a)).orElse(false)) {
                    continue;
                }
                if (faulted.contains(run.worker())) {
                    rerunsAfterFault++;
                } else {
                    unrecordedOnHealthyWorkers++;
                }
            }
            if (unrecordedOnHealthyWorkers > 0) {
                duplicateSuccesses++;
                note(job.id() + ": " + unrecordedOnHealthyWorkers
                        + " successful executions on workers no fault hit are not the one the store records");
            }
        }

        private static boolean isRunOf(Workload.Execution run, Attempt attempt) {
            return run.attempt() == attempt.number() && run.worker().equals(attempt.worker());
        }

        private void checkOverlaps(Job job, List<Workload.Execution> runs) {
            runs.sort(Comparator.comparingLong(Workload.Execution::startNanos));
            Workload.Execution longest = null;
            var attemptsOnHealthyWorkers = new HashSet<Integer>();
            for (Workload.Execution run : runs) {
                if (longest != null && run.startNanos() < longest.endNanos()) {
                    if (faulted.contains(longest.worker())) {
                        overlapsAfterLostLease++;
                    } else {
                        overlaps++;
                        note(job.id() + ": attempt " + run.attempt() + " on " + run.worker() + " overlapped attempt "
                                + longest.attempt() + " on " + longest.worker());
                    }
                }
                if (!faulted.contains(run.worker()) && !attemptsOnHealthyWorkers.add(run.attempt())) {
                    overlaps++;
                    note(job.id() + ": attempt " + run.attempt() + " ran twice: " + runs);
                }
                if (longest == null || run.endNanos() > longest.endNanos()) {
                    longest = run;
                }
            }
        }

        Audit result(int jobs, int executions) {
            StartDelays.Verdict delays = startDelays.judge(readyDeadline, MAX_PROBLEMS);
            delays.problems().forEach(this::note);
            return new Audit(
                    jobs,
                    executions,
                    lost,
                    endedWrong,
                    duplicateSuccesses,
                    overlaps,
                    rerunsAfterFault,
                    overlapsAfterLostLease,
                    delays.longestWait(),
                    delays.longestPassedOver(),
                    delays.longestStall(),
                    delays.passedOverLongest(),
                    readyDeadline,
                    delays.late(),
                    problems);
        }
    }
}
