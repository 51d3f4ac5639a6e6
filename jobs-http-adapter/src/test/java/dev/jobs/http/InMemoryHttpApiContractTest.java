package dev.jobs.http;

import dev.jobs.core.memory.InMemoryJobStore;
import dev.jobs.core.spi.JobStore;
import java.time.Clock;

/** The HTTP contract on the in-memory store. */
class InMemoryHttpApiContractTest extends HttpApiContractTest {
    @Override
    JobStore newStore() {
        return new InMemoryJobStore(Clock.systemUTC());
    }

    @Override
    void discard(JobStore store) {
        store.close();
    }
}
