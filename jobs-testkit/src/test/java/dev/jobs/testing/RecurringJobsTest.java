package dev.jobs.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jobs.core.Job;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobQuery;
import dev.jobs.core.JobSpec;
import dev.jobs.core.JobState;
import dev.jobs.core.JobValidationException;
import dev.jobs.core.MissedOccurrences;
import dev.jobs.core.RecurringJob;
import dev.jobs.core.RecurringStatus;
import dev.jobs.core.Schedule;
import dev.jobs.core.memory.InMemoryJobStore;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Recurring jobs through the engine, on a virtual clock: occurrences, policies, registration. */
class RecurringJobsTest {
    private static final Instant START = Instant.parse("2026-12-02T10:00:30Z");

    private final VirtualClock clock = new VirtualClock(START);
    private final InMemoryJobStore store = new InMemoryJobStore(clock);
    private final List<JobEngine> engines = new ArrayList<>();

    @AfterEach
    void close() {
        engines.forEach(JobEngine::close);
    }

    private JobEngine engine() {
        JobEngine engine = JobEngine.builder()
                .store(store)
                .clock(clock)
                .register("report.build", ctx -> null)
                .build();
        engines.add(engine);
        return engine;
    }

    private static RecurringJob everyTenMinutes(String name) {
        return RecurringJob.of(name, Schedule.every(Duration.ofMinutes(10)), JobSpec.of("report.build"));
    }

    private List<Job> created(String name) {
        return store.list(JobQuery.all().withTypes("report.build").withLimit(500)).jobs().stream()
                .filter(job -> name.equals(job.metadata().get(RecurringJob.NAME_METADATA)))
                .sorted((a, b) -> a.runAt().compareTo(b.runAt()))
                .toList();
    }

    private static List<Instant> at(String... instants) {
        return Arrays.stream(instants).map(Instant::parse).toList();
    }

    @Test
    void eachOccurrenceBecomesOneJobDueAtItsInstant() {
        JobEngine engine = engine();
        engine.putRecurring(
                RecurringJob.of("minutely", Schedule.every(Duration.ofMinutes(1)), JobSpec.of("report.build"))
                        .withGrace(Duration.ofSeconds(90)));

        JobsTesting.runMaintenance(engine);
        assertThat(created("minutely"))
                .as("nothing before the first occurrence")
                .isEmpty();

        clock.advanceTo(Instant.parse("2026-12-02T10:01:00Z"));
        JobsTesting.runMaintenance(engine);
        JobsTesting.runMaintenance(engine);
        assertThat(created("minutely")).singleElement().satisfies(job -> {
            assertThat(job.runAt()).isEqualTo(Instant.parse("2026-12-02T10:01:00Z"));
            assertThat(job.state()).isEqualTo(JobState.READY);
            assertThat(job.metadata())
                    .containsEntry(RecurringJob.NAME_METADATA, "minutely")
                    .containsEntry(RecurringJob.OCCURRENCE_METADATA, "2026-12-02T10:01:00Z");
        });

        clock.advanceTo(Instant.parse("2026-12-02T10:03:10Z"));
        JobsTesting.runMaintenance(engine);
        assertThat(created("minutely"))
                .extracting(Job::runAt)
                .containsExactlyElementsOf(at("2026-12-02T10:01:00Z", "2026-12-02T10:02:00Z", "2026-12-02T10:03:00Z"));
        assertThat(JobsTesting.drain(engine)).as("attempts run").isEqualTo(3);
    }

    @Test
    void enginesSharingAStoreCreateEachOccurrenceOnce() {
        List<JobEngine> cluster = List.of(engine(), engine(), engine());
        cluster.forEach(engine -> engine.putRecurring(everyTenMinutes("shared")));

        for (int step = 0; step < 60; step++) { // twenty minutes
            clock.advance(Duration.ofSeconds(20));
            cluster.forEach(JobsTesting::runMaintenance);
        }

        assertThat(created("shared"))
                .extracting(Job::runAt)
                .containsExactlyElementsOf(at("2026-12-02T10:10:00Z", "2026-12-02T10:20:00Z"));
        assertThat(store.recurringJobs())
                .singleElement()
                .satisfies(r -> assertThat(r.version())
                        .as("one save, then one advance per occurrence")
                        .isEqualTo(3));
    }

    @Test
    void occurrencesMissedWhileNoEngineRanFollowEachSchedulesPolicy() {
        JobEngine engine = engine();
        engine.putRecurring(everyTenMinutes("once").withMissed(MissedOccurrences.RUN_ONCE));
        engine.putRecurring(
                everyTenMinutes("all").withMissed(MissedOccurrences.RUN_ALL).withRunAllLimit(3));
        engine.putRecurring(everyTenMinutes("skip").withMissed(MissedOccurrences.SKIP));

        clock.advanceTo(Instant.parse("2026-12-02T12:00:30Z")); // two hours down
        JobsTesting.runMaintenance(engine);

        assertThat(created("once"))
                .extracting(Job::runAt)
                .as("the latest missed one, then the one on time")
                .containsExactlyElementsOf(at("2026-12-02T11:50:00Z", "2026-12-02T12:00:00Z"));
        assertThat(created("all"))
                .extracting(Job::runAt)
                .as("the latest three missed ones, then the one on time")
                .containsExactlyElementsOf(at(
                        "2026-12-02T11:30:00Z",
                        "2026-12-02T11:40:00Z",
                        "2026-12-02T11:50:00Z",
                        "2026-12-02T12:00:00Z"));
        assertThat(created("skip")).extracting(Job::runAt).containsExactlyElementsOf(at("2026-12-02T12:00:00Z"));
    }

    @Test
    void aNewScheduleStartsFromNowAndMakesUpNothing() {
        JobEngine engine = engine();
        engine.putRecurring(everyTenMinutes("report").withMissed(MissedOccurrences.RUN_ALL));
        clock.advanceTo(Instant.parse("2026-12-02T11:00:30Z")); // occurrences passed, none created yet

        engine.putRecurring(
                RecurringJob.of("report", Schedule.every(Duration.ofMinutes(15)), JobSpec.of("report.build"))
                        .withMissed(MissedOccurrences.RUN_ALL));
        JobsTesting.runMaintenance(engine);
        assertThat(created("report")).isEmpty();

        clock.advanceTo(Instant.parse("2026-12-02T11:15:00Z"));
        JobsTesting.runMaintenance(engine);
        assertThat(created("report")).extracting(Job::runAt).containsExactlyElementsOf(at("2026-12-02T11:15:00Z"));
    }

    @Test
    void aTemplateWithAUniqueKeyDoesNotOverlapAnUnfinishedOccurrence() {
        JobEngine engine = engine();
        engine.putRecurring(RecurringJob.of(
                "exclusive",
                Schedule.every(Duration.ofMinutes(10)),
                JobSpec.of("report.build").withUniqueKey("exclusive")));

        clock.advanceTo(Instant.parse("2026-12-02T10:10:00Z"));
        JobsTesting.runMaintenance(engine);
        clock.advanceTo(Instant.parse("2026-12-02T10:20:00Z"));
        JobsTesting.runMaintenance(engine); // the 10:10 job has not run yet

        assertThat(created("exclusive")).extracting(Job::runAt).containsExactlyElementsOf(at("2026-12-02T10:10:00Z"));
        assertThat(JobsTesting.drain(engine)).isEqualTo(1);
        clock.advanceTo(Instant.parse("2026-12-02T10:30:00Z"));
        JobsTesting.runMaintenance(engine);
        assertThat(created("exclusive"))
                .extracting(Job::runAt)
                .containsExactlyElementsOf(at("2026-12-02T10:10:00Z", "2026-12-02T10:30:00Z"));
    }

    @Test
    void statusShowsTheScheduleAndItsNextRuns() {
        JobEngine engine = engine();
        RecurringJob weekdays = RecurringJob.of(
                "weekday-report",
                Schedule.cron("0 9 * * MON-FRI", ZoneId.of("Europe/Berlin")),
                JobSpec.of("report.build", Map.of("region", "eu")).withQueue("reports"));

        RecurringStatus saved = engine.putRecurring(weekdays);

        // 2026-12-02 is a Wednesday; 09:00 in Berlin is 08:00 UTC.
        assertThat(saved.nextRuns())
                .containsExactlyElementsOf(at(
                        "2026-12-03T08:00:00Z",
                        "2026-12-04T08:00:00Z",
                        "2026-12-07T08:00:00Z",
                        "2026-12-08T08:00:00Z",
                        "2026-12-09T08:00:00Z"));
        RecurringStatus read = engine.recurring("weekday-report").orElseThrow();
        assertThat(read.job().schedule()).isEqualTo(weekdays.schedule());
        assertThat(read.job().template().queue()).isEqualTo("reports");
        assertThat(read.job().template().payload().get("region").asText()).isEqualTo("eu");
        assertThat(read.coveredUpTo()).isEqualTo(START);
        assertThat(engine.recurring()).extracting(s -> s.job().name()).containsExactly("weekday-report");
    }

    @Test
    void deletedScheduleCreatesNoMoreJobs() {
        JobEngine engine = engine();
        engine.putRecurring(everyTenMinutes("gone"));
        clock.advanceTo(Instant.parse("2026-12-02T10:10:00Z"));
        JobsTesting.runMaintenance(engine);

        assertThat(engine.deleteRecurring("gone")).isTrue();
        clock.advanceTo(Instant.parse("2026-12-02T10:30:00Z"));
        JobsTesting.runMaintenance(engine);

        assertThat(created("gone")).hasSize(1);
        assertThat(engine.recurring("gone")).isEmpty();
        assertThat(engine.deleteRecurring("gone")).isFalse();
    }

    @Test
    void registeredOnTheBuilderIsSavedWhenEachEngineStartsAndOnlyOnce() {
        for (int i = 0; i < 2; i++) {
            JobEngine engine = JobEngine.builder()
                    .store(store)
                    .clock(clock)
                    .recurring(everyTenMinutes("from-code"))
                    .build()
                    .start();
            engines.add(engine);
        }

        assertThat(store.recurringJobs()).singleElement().satisfies(r -> {
            assertThat(r.name()).isEqualTo("from-code");
            assertThat(r.version())
                    .as("the second engine's identical save changed nothing")
                    .isEqualTo(1);
        });
    }

    @Test
    void invalidRecurringJobIsRefusedNamingEveryField() {
        JobEngine engine = engine();
        RecurringJob wrong = RecurringJob.of(
                        "Not A Name",
                        Schedule.every(Duration.ofMinutes(5)),
                        JobSpec.of("report.build").withQueue("Bad Queue").withDelay(Duration.ofMinutes(1)))
                .withGrace(Duration.ZERO)
                .withRunAllLimit(0);

        assertThatThrownBy(() -> engine.putRecurring(wrong))
                .isInstanceOfSatisfying(
                        JobValidationException.class,
                        e -> assertThat(e.errors())
                                .extracting(JobValidationException.FieldError::field)
                                .containsExactlyInAnyOrder(
                                        "name", "grace", "runAllLimit", "template.runAt", "template.queue"));
        assertThat(store.recurringJobs()).isEmpty();
        assertThatThrownBy(() -> JobEngine.builder().recurring(wrong).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Not A Name")
                .hasMessageContaining("template.queue");
    }
}
