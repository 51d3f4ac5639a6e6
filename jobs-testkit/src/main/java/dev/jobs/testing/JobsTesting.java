package dev.jobs.testing;

import dev.jobs.core.Job;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobLimits;
import dev.jobs.core.JobQuery;
import dev.jobs.core.JobState;
import dev.jobs.core.hooks.EngineHooks;
import dev.jobs.core.spi.JobStore;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs an engine deterministically on a {@link VirtualClock}: every due job runs on the calling
 * thread, then the clock jumps to the next scheduled job, until nothing is left to run. A test of
 * a retry policy, a timeout or a delayed DAG finishes instantly and the same way every time.
 */
public final class JobsTesting {
    /** More steps than this means a job keeps rescheduling itself; the run stops and says so. */
    public static final int MAX_STEPS = 100_000;

    /**
     * The most a test waits for a step that takes milliseconds (a wake-up, a publish reaching
     * another instance, a lease moved, a server answering again), polling for its outcome. A loaded
     * two-core machine adds its scheduling and a garbage collection, a few seconds at worst; thirty
     * seconds is ten times that, so only broken code reaches it. Not a speed claim: speed is
     * measured by {@code jobs-bench}.
     */
    public static final Duration EVENTUALLY = Duration.ofSeconds(30);

    /**
     * The most a test waits for a batch of work through real servers (thousands of jobs, a schema
     * migrated by racing instances, a workload's first few hundred executions), which takes seconds
     * to some tens of seconds here; two minutes is four times the slowest such batch in the suite
     * (a twenty-second drain), so only broken code reaches it.
     */
    public static final Duration BULK_WORK = Duration.ofMinutes(2);

    private JobsTesting() {}

    /**
     * Drains the engine, advancing the clock to each next scheduled job, until no job on its queues
     * is due or waiting for its time. The engine should not be started: its workers would race the
     * calling thread.
     *
     * @return how many attempts ran
     * @throws AssertionError if the engine is still busy after {@link #MAX_STEPS} steps
     */
    public static int runUntilIdle(JobEngine engine, VirtualClock clock) {
        int ran = 0;
        EngineHooks.Steps steps = EngineHooks.of(engine);
        for (int step = 0; step < MAX_STEPS; step++) {
            steps.runMaintenance(engine);
            int drained = steps.drain(engine);
            ran += drained;
            if (drained > 0) {
                continue;
            }
            Optional<Instant> next = steps.nextRunAt(engine);
            if (next.isEmpty()) {
                return ran;
            }
            clock.advanceTo(next.get());
        }
        throw new AssertionError("the engine was not idle after " + MAX_STEPS + " steps (" + ran
                + " attempts ran); a job keeps rescheduling itself?");
    }

    /**
     * Runs every job due now on the engine's queues, one after another on the calling thread, until
     * none is left (released dependents run too). The engine should not be started.
     *
     * @return how many attempts ran
     */
    public static int drain(JobEngine engine) {
        return EngineHooks.of(engine).drain(engine);
    }

    /**
     * Runs the engine's maintenance tasks once, now, on the calling thread: reclaim lapsed leases,
     * declare silent workers dead, promote due jobs, create due occurrences of recurring jobs,
     * announce jobs created in hosts' committed transactions, prune history.
     *
     * @return how many items they handled
     */
    public static int runMaintenance(JobEngine engine) {
        return EngineHooks.of(engine).runMaintenance(engine);
    }

    /** The running jobs whose lease {@code worker} holds, as the store shows them now (at most 500). */
    public static List<Job> leasesHeldBy(JobStore store, String worker) {
        return store
                .list(JobQuery.all().withStates(JobState.RUNNING).withLimit(JobLimits.MAX_PAGE_SIZE))
                .jobs()
                .stream()
                .filter(job -> job.leaseOwner().filter(worker::equals).isPresent())
                .toList();
    }

    /**
     * Waits until the store shows no job leased by {@code worker}, as after a worker died and its
     * leases lapsed; returns how long that took.
     *
     * @throws AssertionError naming the leases still held after {@code max}
     */
    public static Duration awaitNoLeaseHeldBy(JobStore store, String worker, Duration max) {
        long start = System.nanoTime();
        while (true) {
            List<Job> held = leasesHeldBy(store, worker);
            Duration waited = Duration.ofNanos(System.nanoTime() - start);
            if (held.isEmpty()) {
                return waited;
            }
            if (waited.compareTo(max) > 0) {
                throw new AssertionError("leases still held by " + worker + " after " + max + ": " + held);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    /**
     * Polls {@code attempt} every 20 ms until it yields a value, for a condition another thread or
     * process brings about: a wait on the condition itself, never a guessed sleep.
     *
     * @param what the condition, for the failure message
     * @param max the bound the caller names (what holds the condition back, with margin)
     * @return the first value {@code attempt} yields
     * @throws AssertionError if none came within {@code max}
     */
    public static <T> T await(String what, Duration max, Callable<Optional<T>> attempt) throws Exception {
        long deadline = System.nanoTime() + max.toNanos();
        while (true) {
            Optional<T> value = attempt.call();
            if (value.isPresent()) {
                return value.get();
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not within " + max + ": " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }
}
