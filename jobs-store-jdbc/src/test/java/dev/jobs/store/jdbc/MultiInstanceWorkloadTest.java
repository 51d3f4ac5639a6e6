package dev.jobs.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jobs.core.Job;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobQuery;
import dev.jobs.core.JobSpec;
import dev.jobs.core.JobState;
import dev.jobs.core.RecurringJob;
import dev.jobs.core.RetryPolicy;
import dev.jobs.core.Schedule;
import dev.jobs.testing.Workload;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Three engines, each with its own store and connection pool, share one database. They drain
 * 20,000 jobs with retries and DAGs between them, and they run one recurring schedule together. The store's rows and the handlers' ledger must
 * show every job in the right state, each success recorded once, and no job run by two workers at
 * once.
 */
abstract class MultiInstanceWorkloadTest {
    private static final int ENGINES = 3;

    private final TestDatabase database = database();
    private final List<JobEngine> engines = new ArrayList<>();
    private final List<JdbcJobStore> stores = new ArrayList<>();

    abstract TestDatabase database();

    @AfterEach
    void stopEngines() {
        engines.forEach(JobEngine::close);
        stores.forEach(JdbcJobStore::close);
        database.dropTables();
    }

    @Test
    void threeEnginesShareTheWorkAndEveryJobEndsRightExactlyOnce() {
        var workload = new Workload(20261123L, 20_000, 1_000);
        for (int i = 0; i < ENGINES; i++) {
            JdbcJobStore store = i == 0 ? database.emptyStore(Clock.systemUTC()) : database.store(Clock.systemUTC());
            stores.add(store);
            JobEngine.Builder builder = JobEngine.builder()
                    .store(store)
                    .workerId("engine-" + i)
                    .queue("default", 8)
                    .retryPolicy(RetryPolicy.fixed(Duration.ofMillis(10)))
                    .pollInterval(Duration.ofMillis(50));
            engines.add(
                    workload.registerHandlers(builder, "engine-" + i).build().start());
        }

        workload.enqueue(engines.get(0));
        workload.awaitFinished(engines.get(0), Duration.ofMinutes(10));

        JdbcJobStore reader = stores.get(0);
        assertThat(workload.verify(id -> reader.get(id).orElseThrow(), 10))
                .as("jobs that ended wrong (seed " + workload.seed() + ")")
                .isEmpty();
        assertThat(workload.ledger().stream().map(Workload.Execution::worker).distinct())
                .as("every engine took part")
                .hasSize(ENGINES);
    }

    @Test
    void threeEnginesCreateEachOccurrenceOfARecurringJobOnce() throws InterruptedException {
        RecurringJob everySecond = RecurringJob.of("tick", Schedule.every(Duration.ofSeconds(1)), JobSpec.of("tick"))
                .withGrace(Duration.ofSeconds(5));
        int wanted = 8;
        var succeeded = new CountDownLatch(wanted);
        var runs = new ConcurrentHashMap<UUID, AtomicInteger>();
        for (int i = 0; i < ENGINES; i++) {
            JdbcJobStore store = i == 0 ? database.emptyStore(Clock.systemUTC()) : database.store(Clock.systemUTC());
            stores.add(store);
            JobEngine engine = JobEngine.builder()
                    .store(store)
                    .workerId("engine-" + i)
                    .recurring(everySecond)
                    .register("tick", ctx -> {
                        runs.computeIfAbsent(ctx.job().id(), id -> new AtomicInteger())
                                .incrementAndGet();
                        return null;
                    })
                    .pollInterval(Duration.ofMillis(50))
                    .build();
            engine.subscribe(event -> {
                if (event.job().state() == JobState.SUCCEEDED) {
                    succeeded.countDown();
                }
            });
            engines.add(engine.start());
        }

        assertThat(succeeded.await(1, TimeUnit.MINUTES))
                .as(wanted + " occurrences ran")
                .isTrue();
        engines.forEach(JobEngine::close);

        List<Job> ticks = stores.get(0)
                .list(JobQuery.all().withTypes("tick").withLimit(500))
                .jobs();
        List<Instant> occurrences = ticks.stream()
                .map(job -> Instant.parse(job.metadata().get(RecurringJob.OCCURRENCE_METADATA)))
                .sorted()
                .toList();
        assertThat(occurrences)
                .as("each occurrence once")
                .doesNotHaveDuplicates()
                .hasSizeGreaterThanOrEqualTo(wanted);
        for (int i = 1; i < occurrences.size(); i++) {
            assertThat(Duration.between(occurrences.get(i - 1), occurrences.get(i)))
                    .as("no occurrence skipped after " + occurrences.get(i - 1))
                    .isEqualTo(Duration.ofSeconds(1));
        }
        assertThat(ticks.stream().filter(job -> job.state() == JobState.SUCCEEDED))
                .allSatisfy(job ->
                        assertThat(runs.get(job.id())).as("runs of " + job.id()).hasValue(1));
    }
}
