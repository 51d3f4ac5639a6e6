package dev.jobs.core.internal;

import dev.jobs.core.Job;
import dev.jobs.core.JobEvent;
import dev.jobs.core.JobListener;
import dev.jobs.core.JobState;
import dev.jobs.core.QueueCounts;
import dev.jobs.core.spi.StoreHealth;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToLongFunction;

/**
 * The engine's Micrometer meters, fed by job events:
 *
 * <ul>
 *   <li>{@code jobs.enqueued}, {@code jobs.started}, {@code jobs.succeeded}, {@code jobs.failed},
 *       {@code jobs.retried}, {@code jobs.cancelled}: counters tagged {@code queue} and {@code
 *       type};
 *   <li>{@code jobs.wait}: from when a job could run to when an attempt started;
 *   <li>{@code jobs.run}: how long an attempt ran until it succeeded, failed or was retried,
 *       tagged with that {@code outcome};
 *   <li>{@code jobs.queue.depth}: jobs per {@code queue} and {@code state}, sampled periodically;
 *   <li>{@code jobs.store.table.size} (bytes), {@code jobs.store.table.rows.live} and {@code
 *       jobs.store.table.rows.dead}: per store {@code table}, and {@code
 *       jobs.store.oldest.snapshot.age} (seconds), for stores that report their {@link StoreHealth}.
 * </ul>
 *
 * Thread-safe: Micrometer meters are.
 */
public final class JobMetrics implements JobListener {
    private final MeterRegistry registry;
    private final MultiGauge depth;
    private final MultiGauge tableBytes;
    private final MultiGauge liveRows;
    private final MultiGauge deadRows;
    private final AtomicLong oldestSnapshotSeconds = new AtomicLong();

    public JobMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.depth = MultiGauge.builder("jobs.queue.depth")
                .description("jobs per queue and state, as last sampled")
                .register(registry);
        this.tableBytes = MultiGauge.builder("jobs.store.table.size")
                .description("size of each of the store's tables with its indexes, as last sampled")
                .baseUnit("bytes")
                .register(registry);
        this.liveRows = MultiGauge.builder("jobs.store.table.rows.live")
                .description("rows of each of the store's tables, as the database last counted them")
                .register(registry);
        this.deadRows = MultiGauge.builder("jobs.store.table.rows.dead")
                .description("dead row versions vacuum has yet to reclaim, per table of the store")
                .register(registry);
        Gauge.builder("jobs.store.oldest.snapshot.age", oldestSnapshotSeconds, AtomicLong::get)
                .description("age of the database's oldest open transaction or snapshot; vacuum can reclaim"
                        + " no row that died after it began")
                .baseUnit("seconds")
                .register(registry);
    }

    @Override
    public void onEvent(JobEvent event) {
        Job job = event.job();
        Tags tags = Tags.of("queue", job.queue(), "type", job.type());
        switch (event.kind()) {
            // Not "jobs.created": Prometheus reserves the _created suffix and would export it as jobs_total.
            case CREATED -> count("jobs.enqueued", tags);
            case STARTED -> {
                count("jobs.started", tags);
                // A job could run from the later of its creation and its runAt.
                var eligibleAt = job.runAt().isAfter(job.createdAt()) ? job.runAt() : job.createdAt();
                record("jobs.wait", tags, Duration.between(eligibleAt, event.at()));
            }
            case SUCCEEDED -> finished("jobs.succeeded", tags, job, event, "succeeded");
            case FAILED -> finished("jobs.failed", tags, job, event, "failed");
            case RETRYING -> finished("jobs.retried", tags, job, event, "retrying");
            // A cancellation may hit a waiting job, so it carries no run time.
            case CANCELLED -> count("jobs.cancelled", tags);
            default -> {
                // other events carry no meter
            }
        }
    }

    private void finished(String counter, Tags tags, Job job, JobEvent event, String outcome) {
        count(counter, tags);
        if (job.startedAt().isPresent()) {
            record(
                    "jobs.run",
                    tags.and("outcome", outcome),
                    Duration.between(job.startedAt().get(), event.at()));
        }
    }

    private void count(String name, Tags tags) {
        Counter.builder(name).tags(tags).register(registry).increment();
    }

    private void record(String name, Tags tags, Duration duration) {
        Timer.builder(name).tags(tags).register(registry).record(duration.isNegative() ? Duration.ZERO : duration);
    }

    /** Replaces the depth gauges with a new sample of the store's counts. */
    public void sampleDepth(List<QueueCounts> counts) {
        var rows = new ArrayList<MultiGauge.Row<?>>();
        for (QueueCounts queue : counts) {
            for (JobState state : JobState.values()) {
                if (!state.isTerminal()) {
                    rows.add(MultiGauge.Row.of(
                            Tags.of(
                                    "queue",
                                    queue.queue(),
                                    "state",
                                    state.name().toLowerCase(Locale.ROOT)),
                            queue.count(state)));
                }
            }
        }
        depth.register(rows, true);
    }

    /** Replaces the store's table gauges with a new sample of its health. */
    public void sampleHealth(StoreHealth health) {
        tableBytes.register(tableRows(health, StoreHealth.Table::bytes), true);
        liveRows.register(tableRows(health, StoreHealth.Table::liveRows), true);
        deadRows.register(tableRows(health, StoreHealth.Table::deadRows), true);
        oldestSnapshotSeconds.set(health.oldestSnapshotAge().toSeconds());
    }

    private static List<MultiGauge.Row<?>> tableRows(StoreHealth health, ToLongFunction<StoreHealth.Table> value) {
        return health.tables().stream()
                .<MultiGauge.Row<?>>map(t -> MultiGauge.Row.of(Tags.of("table", t.name()), value.applyAsLong(t)))
                .toList();
    }
}
