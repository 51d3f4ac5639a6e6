package dev.jobs.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jobs.core.JobEngine;
import dev.jobs.core.JobEngineBuilder;
import dev.jobs.core.RetryPolicy;
import dev.jobs.core.memory.InMemoryJobStore;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * 20,000 jobs through 16 concurrent workers on the in-memory store: plain jobs, flaky ones that
 * succeed after retries, doomed ones that fail for good, and DAGs whose failures cascade. No ready
 * job is passed over or left waiting while nothing starts.
 */
class InMemoryWorkloadTest {

    @Test
    void everyJobEndsAsItsHandlerAndPolicyDictateAndEachSuccessIsRecordedOnce() {
        // No fault here: a ready job waits its turn, and its turn comes within the poll interval
        // (jobs made in this process wake the workers at once; the poll is the floor).
        Duration backoff = Duration.ofMillis(1);
        Duration poll = Duration.ofMillis(50);
        var workload = new Workload(20261122L, 20_000, 1_000)
                .withRetryBackoff(backoff)
                .withReadyDeadline(Deadline.of("poll interval", poll));
        var store = new InMemoryJobStore();
        JobEngineBuilder builder = JobEngine.builder()
                .store(store)
                .queue("default", 16)
                .retryPolicy(RetryPolicy.fixed(backoff))
                .pollInterval(poll);
        try (JobEngine engine = workload.registerHandlers(builder).build().start()) {
            workload.enqueue(engine);
            workload.awaitFinished(engine, JobsTesting.BULK_WORK); // some ten seconds in memory

            assertThat(workload.verify(id -> store.get(id).orElseThrow(), 10))
                    .as("jobs that ended wrong (seed " + workload.seed() + ")")
                    .isEmpty();
            assertThat(workload.ledger()).hasSizeGreaterThan(20_000);
        }
    }
}
