package dev.jobs.testing;

import dev.jobs.core.memory.InMemoryJobStore;
import dev.jobs.core.spi.JobStore;
import java.time.Clock;

/** The reference store passes the suite every store must pass. */
class InMemoryJobStoreConformanceTest extends JobStoreConformanceTest {
    @Override
    protected JobStore createStore(Clock clock) {
        return new InMemoryJobStore(clock);
    }
}
