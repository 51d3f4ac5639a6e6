package dev.jobs.testing;

import dev.jobs.core.internal.StoreJobQueue;
import dev.jobs.core.memory.InMemoryJobStore;
import dev.jobs.core.spi.JobQueue;
import dev.jobs.core.spi.JobStore;
import java.time.Clock;

/** The default dispatch, straight from the store, passes the queue suite. */
class StoreJobQueueConformanceTest extends JobQueueConformanceTest {
    @Override
    protected JobStore createStore(Clock clock) {
        return new InMemoryJobStore(clock);
    }

    @Override
    protected JobQueue createQueue(JobStore store, Clock clock) {
        return new StoreJobQueue(store, clock);
    }
}
