package dev.jobs.testing;

import static dev.jobs.testing.JobAssert.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jobs.core.Job;
import dev.jobs.core.JobQuery;
import dev.jobs.core.JobValidationException;
import dev.jobs.core.spi.NewJob;
import dev.jobs.core.spi.RecurringRecord;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The {@link JobStore} contract, area by area: recurring definitions: saved, changed, advanced
 * once per version by racing instances, deleted. Extend it and make a store as {@link
 * StoreConformance#createStore} says, or extend {@link JobStoreConformanceTest} for every area.
 */
public abstract class RecurringConformance extends StoreConformance {
    private static JsonNode definition(int version) {
        return MAPPER.createObjectNode().put("template", "report.build").put("revision", version);
    }

    @Test
    void savedRecurringJobIsReadBackAsSaved() {
        Instant mark = clock.instant().truncatedTo(ChronoUnit.SECONDS);

        RecurringRecord saved = store.saveRecurring("nightly", "0 2 * * * (UTC)", definition(1), mark);

        assertThat(saved.version()).isEqualTo(1);
        assertThat(saved.upTo()).isEqualTo(mark);
        assertThat(store.recurringJob("nightly")).contains(saved);
        assertThat(store.recurringJobs()).containsExactly(saved);
        assertThat(saved.definition()).isEqualTo(definition(1));
        assertThat(store.recurringJob("weekly")).isEmpty();
    }

    @Test
    void savingTheSameRecurringJobAgainChangesNothing() {
        Instant mark = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        RecurringRecord first = store.saveRecurring("nightly", "0 2 * * * (UTC)", definition(1), mark);
        clock.advance(Duration.ofMinutes(1));

        RecurringRecord again = store.saveRecurring("nightly", "0 2 * * * (UTC)", definition(1), clock.instant());

        assertThat(again).isEqualTo(first);
        assertThat(store.recurringJob("nightly")).contains(first);
    }

    @Test
    void changedTemplateKeepsTheMarkButChangedScheduleMovesIt() {
        Instant mark = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        store.saveRecurring("nightly", "0 2 * * * (UTC)", definition(1), mark);
        clock.advance(Duration.ofHours(1));
        Instant later = clock.instant().truncatedTo(ChronoUnit.SECONDS);

        RecurringRecord newTemplate = store.saveRecurring("nightly", "0 2 * * * (UTC)", definition(2), later);
        RecurringRecord newSchedule = store.saveRecurring("nightly", "0 3 * * * (UTC)", definition(2), later);

        assertThat(newTemplate.upTo())
                .as("same schedule: occurrences so far stay made")
                .isEqualTo(mark);
        assertThat(newTemplate.version()).isEqualTo(2);
        assertThat(newTemplate.definition()).isEqualTo(definition(2));
        assertThat(newSchedule.upTo()).as("new schedule: starts from now").isEqualTo(later);
        assertThat(newSchedule.version()).isEqualTo(3);
        assertThat(store.recurringJob("nightly")).contains(newSchedule);
    }

    @Test
    void advancingTheMarkCreatesTheOccurrencesOnceAndAStaleVersionChangesNothing() {
        Instant mark = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        RecurringRecord saved = store.saveRecurring("every-minute", "every PT1M", definition(1), mark);
        Instant first = mark.plusSeconds(60);
        Instant second = mark.plusSeconds(120);
        List<NewJob> occurrences = List.of(
                jobs.of("report.build").runAt(first).build(),
                jobs.of("report.build").runAt(second).build());

        Optional<List<Job>> created = store.advanceRecurring("every-minute", saved.version(), second, occurrences);
        Optional<List<Job>> stale = store.advanceRecurring(
                "every-minute",
                saved.version(),
                second,
                List.of(jobs.of("report.build").runAt(second).build()));

        assertThat(created)
                .hasValueSatisfying(
                        list -> assertThat(list).extracting(Job::runAt).containsExactly(first, second));
        assertThat(stale).isEmpty();
        assertThat(store.list(JobQuery.all().withTypes("report.build")).jobs()).hasSize(2);
        RecurringRecord moved = store.recurringJob("every-minute").orElseThrow();
        assertThat(moved.upTo()).isEqualTo(second);
        assertThat(moved.version()).isGreaterThan(saved.version());
        assertThat(moved.definition()).isEqualTo(saved.definition());
    }

    @Test
    void advancingWithNoJobsMovesOnlyTheMark() {
        Instant mark = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        RecurringRecord saved = store.saveRecurring("skipping", "every PT1M", definition(1), mark);

        assertThat(store.advanceRecurring("skipping", saved.version(), mark.plusSeconds(600), List.of()))
                .contains(List.of());

        assertThat(store.recurringJob("skipping").orElseThrow().upTo()).isEqualTo(mark.plusSeconds(600));
    }

    @Test
    void refusedOccurrencesLeaveTheMarkWhereItWas() {
        Instant mark = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        RecurringRecord saved = store.saveRecurring("broken", "every PT1M", definition(1), mark);
        NewJob waitsForNothing =
                jobs.of("report.build").dependsOn(UUID.randomUUID()).build();

        assertThatThrownBy(() -> store.advanceRecurring(
                        "broken", saved.version(), mark.plusSeconds(60), List.of(waitsForNothing)))
                .isInstanceOf(JobValidationException.class);

        assertThat(store.recurringJob("broken")).contains(saved);
        assertThat(store.get(waitsForNothing.id())).isEmpty();
    }

    @Test
    void deletedRecurringJobIsGoneAndCannotAdvance() {
        Instant mark = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        RecurringRecord saved = store.saveRecurring("nightly", "0 2 * * * (UTC)", definition(1), mark);

        assertThat(store.deleteRecurring("nightly")).isTrue();
        assertThat(store.deleteRecurring("nightly")).isFalse();
        assertThat(store.recurringJobs()).isEmpty();
        NewJob occurrence = jobs.of("report.build").build();
        assertThat(store.advanceRecurring("nightly", saved.version(), mark.plusSeconds(1), List.of(occurrence)))
                .isEmpty();
        assertThat(store.get(occurrence.id())).isEmpty();
    }

    @Test
    void instancesRacingToCreateTheSameOccurrenceCreateItOnce() throws Exception {
        Instant mark = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        int instances = 8;
        int rounds = 20;
        store.saveRecurring("every-second", "every PT1S", definition(1), mark);
        ExecutorService pool = Executors.newFixedThreadPool(instances);
        try {
            for (int round = 1; round <= rounds; round++) {
                Instant occurrence = mark.plusSeconds(round);
                RecurringRecord read = store.recurringJob("every-second").orElseThrow();
                var start = new CountDownLatch(1);
                var futures = new ArrayList<Future<Boolean>>();
                for (int i = 0; i < instances; i++) {
                    NewJob job = jobs.of("tick").runAt(occurrence).build();
                    futures.add(pool.submit(() -> {
                        start.await();
                        // Each instance read the record and made its own job for the occurrence.
                        return store.advanceRecurring("every-second", read.version(), occurrence, List.of(job))
                                .isPresent();
                    }));
                }
                start.countDown();
                int winners = 0;
                for (Future<Boolean> future : futures) {
                    winners += future.get(JobsTesting.BULK_WORK.toSeconds(), TimeUnit.SECONDS) ? 1 : 0;
                }
                assertThat(winners)
                        .as("instances that created occurrence " + round)
                        .isEqualTo(1);
            }
        } finally {
            pool.shutdownNow();
        }

        List<Job> ticks =
                store.list(JobQuery.all().withTypes("tick").withLimit(100)).jobs();
        assertThat(ticks).extracting(Job::runAt).doesNotHaveDuplicates().hasSize(rounds);
        assertThat(store.recurringJob("every-second").orElseThrow().upTo()).isEqualTo(mark.plusSeconds(rounds));
    }
}
