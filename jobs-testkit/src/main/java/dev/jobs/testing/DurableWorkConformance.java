package dev.jobs.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.jobs.core.Job;
import dev.jobs.core.JobCheckpoint;
import dev.jobs.core.JobError;
import dev.jobs.core.JobLimits;
import dev.jobs.core.JobState;
import dev.jobs.core.JobStep;
import dev.jobs.core.JobValidationException;
import dev.jobs.core.LeaseLostException;
import dev.jobs.core.ParentResult;
import dev.jobs.core.PurgeRequest;
import dev.jobs.core.StepOrderException;
import dev.jobs.core.spi.NewJob;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The {@link dev.jobs.core.spi.JobStore} contract, area by area: durable work. Steps, recorded
 * once each, in order, under the lease of the attempt that ran them; checkpoints, the last state a
 * handler saved, under its lease; both kept across attempts and purged with their job. Extend it and make a store as {@link StoreConformance#createStore} says, or
 * extend {@link JobStoreConformanceTest} for every area.
 */
public abstract class DurableWorkConformance extends StoreConformance {
    private static JsonNode json(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (Exception e) {
            throw new IllegalArgumentException(text, e);
        }
    }

    @Test
    void stepsAreRecordedUnderTheLeaseAndReadBackInOrder() {
        create(jobs.of("order.ship"));
        Job running = acquireOne();
        assertThat(store.steps(running.id())).as("no steps yet").isEmpty();

        JobStep charged = store.recordStep(
                running.id(), token(running), 0, "charge-card", json("{\"receipt\":\"r-1\",\"cents\":1999}"));
        clock.advance(Duration.ofSeconds(1));
        store.recordStep(running.id(), token(running), 1, "reserve", json("[\"é\", true, null, 2.5]"));
        store.recordStep(running.id(), token(running), 2, "notify", JsonNodeFactory.instance.nullNode());

        assertThat(store.steps(running.id()))
                .extracting(JobStep::name)
                .containsExactly("charge-card", "reserve", "notify");
        JobStep first = store.steps(running.id()).get(0);
        assertThat(first).isEqualTo(charged);
        assertThat(first.result()).isEqualTo(json("{\"receipt\":\"r-1\",\"cents\":1999}"));
        assertThat(store.steps(running.id()).get(1).result()).isEqualTo(json("[\"é\", true, null, 2.5]"));
        assertThat(store.steps(running.id()).get(1).recordedAt()).isEqualTo(clock.instant());
        assertThat(store.steps(running.id()).get(2).result().isNull()).isTrue();
        assertThat(store.steps(UUID.randomUUID())).as("an unknown job's").isEmpty();
    }

    @Test
    void aStepIsRecordedOnlyUnderTheCurrentLease() {
        create(jobs.of("t"));
        Job running = acquireOne();

        assertThatThrownBy(() -> store.recordStep(running.id(), UUID.randomUUID(), 0, "a", json("1")))
                .isInstanceOf(LeaseLostException.class);
        store.complete(running.id(), token(running), Optional.empty());
        assertThatThrownBy(() -> store.recordStep(running.id(), token(running), 0, "a", json("1")))
                .as("after the job finished")
                .isInstanceOf(LeaseLostException.class);
        assertThat(store.steps(running.id())).isEmpty();
    }

    @Test
    void stepsOutOfOrderAreRefusedAndARepeatedRecordIsAnsweredAsRecorded() {
        create(jobs.of("t"));
        Job running = acquireOne();
        JobStep first = store.recordStep(running.id(), token(running), 0, "a", json("1"));
        clock.advance(Duration.ofSeconds(1));

        assertThat(store.recordStep(running.id(), token(running), 0, "a", json("2")))
                .as("the same step again, as after a write whose answer was lost")
                .isEqualTo(first);
        assertThatThrownBy(() -> store.recordStep(running.id(), token(running), 0, "b", json("1")))
                .isInstanceOf(StepOrderException.class)
                .hasMessageContaining("'b'")
                .hasMessageContaining("'a'");
        assertThatThrownBy(() -> store.recordStep(running.id(), token(running), 2, "c", json("1")))
                .as("a gap before it")
                .isInstanceOf(StepOrderException.class)
                .hasMessageContaining("only 1 steps are recorded");
        assertThat(store.steps(running.id())).containsExactly(first);
    }

    @Test
    void stepsOutliveAFailedAttemptAndArePurgedWithTheirJob() {
        create(jobs.of("t"));
        Job running = acquireOne();
        store.recordStep(running.id(), token(running), 0, "a", json("{\"done\":1}"));
        store.fail(running.id(), token(running), JobError.of("Boom", "x"), Optional.of(clock.instant()));

        Job again = acquireOne();
        assertThat(again.id()).isEqualTo(running.id());
        assertThat(store.steps(again.id())).extracting(JobStep::name).containsExactly("a");
        store.recordStep(again.id(), token(again), 1, "b", json("2"));
        store.complete(again.id(), token(again), Optional.empty());

        clock.advance(Duration.ofDays(1));
        assertThat(store.purge(PurgeRequest.finishedBefore(clock.instant()))).isEqualTo(1);
        assertThat(store.steps(again.id())).isEmpty();
    }

    @Test
    void whatNoStoreCouldHoldIsRefusedAndNothingIsRecorded() {
        create(jobs.of("t"));
        Job running = acquireOne();
        UUID token = token(running);

        assertThatThrownBy(() -> store.recordStep(
                        running.id(), token, 0, "x".repeat(JobLimits.MAX_STEP_NAME_LENGTH + 1), json("1")))
                .isInstanceOf(JobValidationException.class);
        assertThatThrownBy(() -> store.recordStep(running.id(), token, 0, "line\nbreak", json("1")))
                .isInstanceOf(JobValidationException.class);
        assertThatThrownBy(() -> store.recordStep(running.id(), token, 0, "", json("1")))
                .isInstanceOf(JobValidationException.class);
        assertThatThrownBy(() -> store.recordStep(
                        running.id(), token, 0, "a", JsonNodeFactory.instance.textNode("nul \u0000 here")))
                .isInstanceOf(JobValidationException.class)
                .hasMessageContaining("NUL");
        assertThatThrownBy(() ->
                        store.recordStep(running.id(), token, 0, "a", JsonNodeFactory.instance.textNode("lone \uD800")))
                .isInstanceOf(JobValidationException.class)
                .hasMessageContaining("surrogate");
        assertThatThrownBy(() -> store.recordStep(running.id(), token, JobLimits.MAX_STEPS, "a", json("1")))
                .isInstanceOf(JobValidationException.class)
                .hasMessageContaining("at most " + JobLimits.MAX_STEPS);
        assertThat(store.steps(running.id())).isEmpty();
    }

    @Test
    void theLastCheckpointIsKeptUnderTheLeaseAcrossAttemptsAndPurgedWithItsJob() {
        create(jobs.of("import.rows"));
        Job running = acquireOne();
        assertThat(store.checkpoint(running.id())).isEmpty();

        store.saveCheckpoint(running.id(), token(running), json("{\"nextRow\":1000}"));
        clock.advance(Duration.ofSeconds(1));
        JobCheckpoint last =
                store.saveCheckpoint(running.id(), token(running), json("{\"nextRow\":2000,\"file\":\"ü.csv\"}"));
        assertThat(last.savedAt()).isEqualTo(clock.instant());
        assertThat(store.checkpoint(running.id())).contains(last);
        assertThatThrownBy(() -> store.saveCheckpoint(running.id(), UUID.randomUUID(), json("{\"nextRow\":0}")))
                .isInstanceOf(LeaseLostException.class);
        assertThatThrownBy(() -> store.saveCheckpoint(
                        running.id(), token(running), JsonNodeFactory.instance.textNode("lone \uDC00")))
                .isInstanceOf(JobValidationException.class);
        assertThat(store.checkpoint(running.id()))
                .as("the refused saves changed nothing")
                .contains(last);

        store.fail(running.id(), token(running), JobError.of("Boom", "x"), Optional.of(clock.instant()));
        Job again = acquireOne();
        assertThat(store.checkpoint(again.id()).orElseThrow().state())
                .isEqualTo(json("{\"nextRow\":2000,\"file\":\"ü.csv\"}"));
        store.complete(again.id(), token(again), Optional.empty());
        assertThatThrownBy(() -> store.saveCheckpoint(again.id(), token(again), json("{}")))
                .as("after the job finished")
                .isInstanceOf(LeaseLostException.class);

        clock.advance(Duration.ofDays(1));
        assertThat(store.purge(PurgeRequest.finishedBefore(clock.instant()))).isEqualTo(1);
        assertThat(store.checkpoint(again.id())).isEmpty();
    }

    @Test
    void aJobReadsWhatEachParentCameToByTheNameItHasForIt() {
        Job left = create(jobs.of("fetch.left"));
        Job right = create(jobs.of("fetch.right"));
        Job byId = create(jobs.of("fetch.other"));
        NewJob draft = jobs.of("combine")
                .dependsOn(left.id(), right.id(), byId.id())
                .build()
                .withDependencyNames(Map.of(left.id(), "left", right.id(), "right · ü"));
        Job child = store.create(List.of(draft)).get(0);

        Job running = acquire(3).stream()
                .filter(job -> job.id().equals(left.id()))
                .findFirst()
                .orElseThrow();
        store.complete(running.id(), token(running), Optional.of(json("{\"rows\":[1,2]}")));

        assertThat(store.parentResults(child.id()))
                .as("in the order the job lists them")
                .containsExactly(
                        new ParentResult(
                                left.id(),
                                Optional.of("left"),
                                Optional.of(JobState.SUCCEEDED),
                                Optional.of(json("{\"rows\":[1,2]}"))),
                        new ParentResult(
                                right.id(), Optional.of("right · ü"), Optional.of(JobState.RUNNING), Optional.empty()),
                        new ParentResult(byId.id(), Optional.empty(), Optional.of(JobState.RUNNING), Optional.empty()));
        assertThat(store.parentResults(left.id())).as("a job with no parents").isEmpty();
        assertThat(store.parentResults(UUID.randomUUID())).as("an unknown job").isEmpty();
    }
}
