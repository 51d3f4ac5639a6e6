package dev.jobs.core.hooks;

import dev.jobs.core.JobEngine;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Steps of an engine that tests drive by hand on a virtual clock: run the jobs due now, run the
 * maintenance tasks once, say when the next job can run. Not part of the engine's API: this
 * package is exported to the testkit only ({@code dev.jobs.testing.JobsTesting} is how tests reach
 * them), and the engine grants the access as its class initializes.
 */
public final class EngineHooks {
    /** The steps, as the engine performs them. */
    public interface Steps {
        /** Runs every job due now on the engine's queues, released dependents too; how many attempts ran. */
        int drain(JobEngine engine);

        /** Runs every maintenance task once, now; how many items they handled. */
        int runMaintenance(JobEngine engine);

        /** When the next job on the engine's queues can run: now if one can, empty if none waits. */
        Optional<Instant> nextRunAt(JobEngine engine);
    }

    private static volatile Steps steps;

    private EngineHooks() {}

    /** Called once, by the engine's class as it initializes. */
    public static void grant(Steps granted) {
        if (steps != null) {
            throw new IllegalStateException("the engine's steps were granted already");
        }
        steps = Objects.requireNonNull(granted, "steps");
    }

    /** The steps; the engine's class is initialized by then, since an engine was passed in. */
    public static Steps of(JobEngine engine) {
        Objects.requireNonNull(engine, "engine");
        return steps;
    }
}
