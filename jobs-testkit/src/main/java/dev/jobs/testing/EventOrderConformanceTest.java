package dev.jobs.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobEvent.Kind;
import dev.jobs.core.JobGraph;
import dev.jobs.core.JobQuery;
import dev.jobs.core.JobSpec;
import dev.jobs.core.JobState;
import dev.jobs.core.RetryPolicy;
import dev.jobs.core.spi.JobQueue;
import dev.jobs.core.spi.JobStore;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Each job's events reach a subscriber in the order of its lifecycle, with sixteen workers taking
 * the jobs as four producers create them: created before started, started before any progress or
 * outcome, a failed attempt reported before the retry starts, a dependency's end before the
 * dependent starts, a scheduled job's promotion before it starts. A listener before the subscriber
 * takes a moment over each creation, as a slow exporter would: the moment in which, unordered, a
 * worker's start overtook the creation. A store's test class extends this and says how to make a
 * fresh, empty store, and a queue's what dispatch to put in front of it.
 */
public abstract class EventOrderConformanceTest {
    private static final int JOBS = 5000;
    private static final int PRODUCERS = 4;
    private static final int WORKERS = 16;
    private static final Duration SLOW_LISTENER = Duration.ofMillis(1);

    private JobStore store;
    private JobEngine engine;

    /** A new store holding no jobs, reading time from {@code clock}. */
    protected abstract JobStore createStore(Clock clock);

    /** The dispatch in front of the store; the store's own unless a queue's test says otherwise. */
    protected Optional<Function<JobStore, JobQueue>> queue() {
        return Optional.empty();
    }

    /** Cleans up after the store is closed, such as dropping its tables. */
    protected void afterStoreClosed() {}

    @AfterEach
    void stop() {
        if (engine != null) {
            engine.close();
        }
        if (store != null) {
            store.close();
        }
        afterStoreClosed();
    }

    @Test
    void eachJobsEventsArriveInTheOrderOfItsLifecycle() throws Exception {
        store = createStore(Clock.systemUTC());
        var builder = JobEngine.builder()
                .store(store)
                .queue("default", WORKERS)
                .pollInterval(Duration.ofMillis(20))
                .retryPolicy(RetryPolicy.fixed(Duration.ZERO))
                .listener(event -> {
                    if (event.kind() == Kind.CREATED) {
                        LockSupport.parkNanos(SLOW_LISTENER.toNanos());
                    }
                })
                .register("ordered", JsonNode.class, ctx -> {
                    ctx.progress(50, "half");
                    if (ctx.attempt() == 1 && ctx.payload().path("failFirst").asBoolean()) {
                        throw new IllegalStateException("planned first failure");
                    }
                    return Map.of("attempt", ctx.attempt());
                });
        queue().ifPresent(builder::queue);
        engine = builder.build();

        var seen = new ConcurrentHashMap<UUID, List<Kind>>();
        var unordered = new ConcurrentLinkedQueue<String>();
        engine.subscribe(event -> {
            List<Kind> kinds = seen.computeIfAbsent(event.job().id(), id -> new CopyOnWriteArrayList<>());
            Lifecycle.refuses(kinds, event.kind())
                    .ifPresent(wrong -> unordered.add(event.job().id() + ": " + wrong));
            kinds.add(event.kind());
        });
        engine.start();

        ExecutorService producers = Executors.newFixedThreadPool(PRODUCERS);
        try {
            var made = new ArrayList<Future<?>>();
            for (int p = 0; p < PRODUCERS; p++) {
                int producer = p;
                made.add(producers.submit(() -> produce(producer)));
            }
            for (Future<?> producing : made) {
                producing.get();
            }
        } finally {
            producers.shutdownNow();
        }

        try {
            JobsTesting.await("every job succeeded", JobsTesting.BULK_WORK, () -> {
                long succeeded = engine.counts().stream()
                        .mapToLong(c -> c.byState().getOrDefault(JobState.SUCCEEDED, 0L))
                        .sum();
                return succeeded == JOBS ? Optional.of(true) : Optional.empty();
            });
        } catch (AssertionError notAll) {
            var unfinished = new ArrayList<String>();
            for (JobState state : List.of(
                    JobState.PENDING,
                    JobState.SCHEDULED,
                    JobState.READY,
                    JobState.RETRYING,
                    JobState.RUNNING,
                    JobState.FAILED,
                    JobState.CANCELLED)) {
                engine.list(JobQuery.all().withStates(state).withLimit(5))
                        .jobs()
                        .forEach(job -> unfinished.add(job.id() + " " + job.state() + " attempt " + job.attempt()
                                + " runAt " + job.runAt() + " heard " + seen.get(job.id())));
            }
            throw new AssertionError(
                    notAll.getMessage() + "; the jobs by state: " + engine.counts() + "; some unfinished: "
                            + unfinished,
                    notAll);
        }
        JobsTesting.await(
                "every job's SUCCEEDED heard",
                JobsTesting.EVENTUALLY,
                () -> seen.values().stream()
                                        .filter(kinds -> kinds.contains(Kind.SUCCEEDED))
                                        .count()
                                == JOBS
                        ? Optional.of(true)
                        : Optional.empty());

        assertThat(unordered)
                .as("events heard out of their job's lifecycle order")
                .isEmpty();
        assertThat(seen).hasSize(JOBS);
        assertThat(seen.values())
                .as("every job's story, whole")
                .allSatisfy(kinds -> assertThat(kinds)
                        .startsWith(Kind.CREATED)
                        .endsWith(Kind.SUCCEEDED)
                        .contains(Kind.STARTED, Kind.PROGRESS));
        assertThat(seen.values().stream().filter(kinds -> kinds.contains(Kind.RETRYING)))
                .as("retried jobs")
                .isNotEmpty();
        assertThat(seen.values().stream().filter(kinds -> kinds.contains(Kind.DEPENDENCIES_MET)))
                .as("dependents")
                .isNotEmpty();
    }

    /**
     * One producer's share: plain jobs, jobs that fail their first attempt and retry at once, pairs
     * of a parent and its dependent, and jobs due a moment from now.
     */
    private void produce(int producer) {
        for (int i = producer; i < JOBS; i += PRODUCERS) {
            switch (i % 8) {
                case 1 -> engine.enqueue(JobSpec.of("ordered", Map.of("failFirst", true)));
                case 2 -> {
                    if (i + PRODUCERS < JOBS) {
                        // Created together, so the dependent waits for its parent however fast the
                        // workers are: apart, the parent could finish before the dependent existed.
                        engine.graph(JobGraph.builder()
                                .add("parent", JobSpec.of("ordered", Map.of()))
                                .add("dependent", JobSpec.of("ordered", Map.of()), "parent")
                                .build());
                        i += PRODUCERS; // the dependent is the next job of this producer's share
                    } else {
                        engine.enqueue(JobSpec.of("ordered", Map.of()));
                    }
                }
                case 3 -> engine.enqueue(JobSpec.of("ordered", Map.of()).withDelay(Duration.ofMillis(30)));
                default -> engine.enqueue(JobSpec.of("ordered", Map.of()));
            }
        }
    }

    /** The order a job's events may come in. */
    private static final class Lifecycle {
        private static final Set<Kind> WAITING_STEPS = Set.of(Kind.DEPENDENCIES_MET, Kind.PROMOTED, Kind.RETRIED);
        private static final Set<Kind> BACK_TO_WAITING = Set.of(Kind.RETRYING, Kind.SNOOZED, Kind.LEASE_RELEASED);
        private static final Set<Kind> WHILE_RUNNING = Set.of(Kind.PROGRESS, Kind.CANCEL_REQUESTED);
        private static final Set<Kind> ENDINGS = Set.of(Kind.SUCCEEDED, Kind.FAILED, Kind.CANCELLED);

        private enum Phase {
            NOT_CREATED,
            WAITING,
            RUNNING,
            DONE
        }

        /** Why {@code next} cannot follow {@code before}, if it cannot. */
        static Optional<String> refuses(List<Kind> before, Kind next) {
            Phase phase = Phase.NOT_CREATED;
            for (Kind kind : before) {
                phase = after(phase, kind);
            }
            Phase then = after(phase, next);
            return then == null ? Optional.of(next + " after " + before) : Optional.empty();
        }

        private static Phase after(Phase phase, Kind kind) {
            if (phase == null) {
                return null;
            }
            return switch (phase) {
                case NOT_CREATED -> kind == Kind.CREATED ? Phase.WAITING : null;
                case WAITING -> {
                    if (WAITING_STEPS.contains(kind)) {
                        yield Phase.WAITING;
                    }
                    if (kind == Kind.STARTED) {
                        yield Phase.RUNNING;
                    }
                    yield kind == Kind.CANCELLED ? Phase.DONE : null;
                }
                case RUNNING -> {
                    if (WHILE_RUNNING.contains(kind)) {
                        yield Phase.RUNNING;
                    }
                    if (BACK_TO_WAITING.contains(kind)) {
                        yield Phase.WAITING;
                    }
                    yield ENDINGS.contains(kind) ? Phase.DONE : null;
                }
                case DONE -> kind == Kind.RETRIED ? Phase.WAITING : null;
            };
        }
    }
}
