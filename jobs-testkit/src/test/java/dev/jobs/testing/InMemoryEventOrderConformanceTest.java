package dev.jobs.testing;

import dev.jobs.core.memory.InMemoryJobStore;
import dev.jobs.core.spi.JobStore;
import java.time.Clock;

class InMemoryEventOrderConformanceTest extends EventOrderConformanceTest {
    @Override
    protected JobStore createStore(Clock clock) {
        return new InMemoryJobStore(clock);
    }
}
