package dev.jobs.testing;

import dev.jobs.core.memory.InMemoryJobStore;
import dev.jobs.core.spi.JobStore;
import java.time.Clock;

/** Every limit holds through the engine on the reference store. */
class InMemoryEngineLimitsConformanceTest extends EngineLimitsConformanceTest {
    @Override
    protected JobStore createStore(Clock clock) {
        return new InMemoryJobStore(clock);
    }
}
