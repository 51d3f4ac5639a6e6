package dev.jobs.store.jdbc;

import static dev.jobs.testing.JobAssert.assertThat;
import static dev.jobs.testing.JobsTesting.EVENTUALLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jobs.core.Job;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobSpec;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An idle worker in one engine hears of a job another engine commits through LISTEN/NOTIFY,
 * instead of finding it at its next poll: here the poll is ten minutes away, so only the
 * notification can start the job before the test's bound.
 */
class PostgresWakeUpTest {
    final TestDatabase database = database();
    JdbcJobStore producerStore;
    JdbcJobStore workerStore;
    JobEngine producer;
    JobEngine worker;

    TestDatabase database() {
        return TestDatabase.postgres();
    }

    @AfterEach
    void stop() {
        for (AutoCloseable closeable : new AutoCloseable[] {producer, worker, producerStore, workerStore}) {
            try {
                if (closeable != null) {
                    closeable.close();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        database.dropTables();
    }

    @Test
    void idleWorkerStartsAJobCommittedByAnotherEngineWithoutWaitingForItsPoll() throws Exception {
        producerStore = database.emptyStore(Clock.systemUTC());
        workerStore = database.store(Clock.systemUTC());
        var idle = new CountDownLatch(1);
        worker = JobEngine.builder()
                .store(workerStore)
                .pollInterval(Duration.ofMinutes(10))
                .maxPollInterval(Duration.ofMinutes(10))
                .listener(event -> idle.countDown())
                .register("greet", ctx -> "hello")
                .build()
                .start();
        producer = JobEngine.builder().store(producerStore).build().start();
        // The worker has polled once, found nothing, and now waits out its ten-minute poll.
        assertThat(workerStore.counts()).isEmpty();

        Job job = producer.enqueue(JobSpec.of("greet"));

        // Well short of the worker's ten-minute poll: only the notification can have woken it.
        Job done = producer.await(job.id(), EVENTUALLY);
        assertThat(done).isSucceeded().hasResultJson("\"hello\"");
        assertThat(idle.await(EVENTUALLY.toSeconds(), TimeUnit.SECONDS))
                .as("the worker's engine saw the job start")
                .isTrue();
    }
}
