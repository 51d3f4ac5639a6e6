package dev.jobs.store.jdbc;

import static dev.jobs.testing.JobsTesting.BULK_WORK;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jobs.core.Job;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobEngineBuilder;
import dev.jobs.core.JobQuery;
import dev.jobs.core.JobSpec;
import dev.jobs.core.JobState;
import dev.jobs.core.QueueLimits;
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
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Three engines, each with its own store and connection pool, share one database. They drain
 * 20,000 jobs with retries and DAGs between them, they run one recurring schedule together, and they keep one queue's limits together. The store's rows and the handlers' ledger must
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
            JobEngineBuilder builder = JobEngine.builder()
                    .store(store)
                    .workerId("engine-" + i)
                    .queue("default", 8)
                    .retryPolicy(RetryPolicy.fixed(Duration.ofMillis(10)))
                    .pollInterval(Duration.ofMillis(50));
            engines.add(workload.registerHandlers(builder).build().start());
        }

        workload.enqueue(engines.get(0));
        // Twenty thousand jobs (some 24,000 runs) take three engines a minute or two on a loaded
        // machine; ten is several times that.
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

        // Eight occurrences, one a second, run within about ten seconds.
        assertThat(succeeded.await(BULK_WORK.toSeconds(), TimeUnit.SECONDS))
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

    /** One run of a handler, from its engine's ledger: when it ran (nanoTime, one JVM) and its claim instant. */
    private record Run(String engine, String key, long startNanos, long endNanos, Instant claimedAt) {}

    @Test
    void threeEnginesTogetherKeepAQueuesLimitsAsTheLedgerShows() throws InterruptedException {
        int maxRunning = 4;
        int starts = 20;
        Duration window = Duration.ofSeconds(1);
        int keyedJobs = 240;
        int ratedJobs = 60;
        var ledger = new ConcurrentLinkedQueue<Run>();
        var done = new CountDownLatch(keyedJobs + ratedJobs);
        for (int i = 0; i < ENGINES; i++) {
            JdbcJobStore store = i == 0 ? database.emptyStore(Clock.systemUTC()) : database.store(Clock.systemUTC());
            stores.add(store);
            String name = "engine-" + i;
            JobEngine engine = JobEngine.builder()
                    .store(store)
                    .workerId(name)
                    // Two slots each, below the queue's limit of four: no engine can run the queue
                    // alone, so the limit is kept across engines. With eight each, the engine that
                    // enqueued (woken at once, and taking the next job as each of its own ends)
                    // could hold all four while the others backed off their polls, and did.
                    .queue("partner", 2)
                    .queue("rated", 8)
                    .queueLimits(
                            "partner",
                            QueueLimits.none().withMaxRunning(maxRunning).withMaxRunningPerKey(1))
                    .queueLimits("rated", QueueLimits.none().withMaxStarts(starts, window))
                    .register("call", ctx -> {
                        long start = System.nanoTime();
                        Thread.sleep(15); // the call to the partner's API
                        ledger.add(new Run(
                                name,
                                ctx.job().concurrencyKey().orElse(""),
                                start,
                                System.nanoTime(),
                                ctx.job().startedAt().orElseThrow()));
                        return null;
                    })
                    .pollInterval(Duration.ofMillis(50))
                    .build();
            engine.subscribe(event -> {
                if (event.job().state() == JobState.SUCCEEDED) {
                    done.countDown();
                }
            });
            engines.add(engine.start());
        }
        var specs = new ArrayList<JobSpec>();
        for (int i = 0; i < keyedJobs; i++) {
            specs.add(JobSpec.of("call").withQueue("partner").withConcurrencyKey("customer-" + i % 6));
        }
        for (int i = 0; i < ratedJobs; i++) {
            specs.add(JobSpec.of("call").withQueue("rated"));
        }
        engines.get(0).enqueueAll(specs);

        // The rated queue's 60 jobs at 20 a second take three seconds; the keyed ones, a few at a
        // time for 15 ms each, take seconds more.
        assertThat(done.await(BULK_WORK.toSeconds(), TimeUnit.SECONDS))
                .as("every job succeeded")
                .isTrue();

        List<Run> partner = ledger.stream().filter(run -> !run.key().isEmpty()).toList();
        assertThat(partner).hasSize(keyedJobs);
        assertThat(mostAtOnce(partner)).as("most partner jobs running at once").isBetween(2, maxRunning);
        partner.stream()
                .collect(Collectors.groupingBy(Run::key))
                .forEach((key, runs) -> assertThat(mostAtOnce(runs))
                        .as("most jobs of " + key + " at once")
                        .isEqualTo(1));
        assertThat(partner.stream().map(Run::engine).distinct().count())
                .as("engines that ran partner jobs")
                .isGreaterThan(1);

        // The bucket holds `starts` and gains `starts` per window: no span of claims holds more.
        List<Instant> claims = ledger.stream()
                .filter(run -> run.key().isEmpty())
                .map(Run::claimedAt)
                .sorted()
                .toList();
        assertThat(claims).hasSize(ratedJobs);
        for (int i = 0; i < claims.size(); i++) {
            for (int j = i; j < claims.size(); j++) {
                double span = Duration.between(claims.get(i), claims.get(j)).toNanos() / (double) window.toNanos();
                assertThat(j - i + 1)
                        .as("starts claimed from " + claims.get(i) + " to " + claims.get(j))
                        .isLessThanOrEqualTo((int) Math.floor(starts * (1 + span) + 1e-6));
            }
        }
    }

    /** The most runs whose intervals overlap at one instant. */
    private static int mostAtOnce(List<Run> runs) {
        var edges = new ArrayList<long[]>();
        for (Run run : runs) {
            edges.add(new long[] {run.startNanos(), 1});
            edges.add(new long[] {run.endNanos(), -1});
        }
        // At one instant an end comes before a start: back-to-back runs do not overlap.
        edges.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
        int running = 0;
        int most = 0;
        for (long[] edge : edges) {
            running += (int) edge[1];
            most = Math.max(most, running);
        }
        return most;
    }
}
