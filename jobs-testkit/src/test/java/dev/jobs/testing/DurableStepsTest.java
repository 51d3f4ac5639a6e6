package dev.jobs.testing;

import static dev.jobs.testing.JobAssert.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jobs.core.Job;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobEngineBuilder;
import dev.jobs.core.JobGraph;
import dev.jobs.core.JobLimits;
import dev.jobs.core.JobQuery;
import dev.jobs.core.JobSpec;
import dev.jobs.core.JobState;
import dev.jobs.core.JobStep;
import dev.jobs.core.JobValidationException;
import dev.jobs.core.JobsException;
import dev.jobs.core.RetryPolicy;
import dev.jobs.core.memory.InMemoryJobStore;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Durable steps through the engine: a step's side effect happens once however many attempts the
 * job takes, a later attempt gets the recorded result back, and steps asked in another order fail
 * the job for good. A ledger in the handler counts each side effect.
 */
class DurableStepsTest {
    /** A step's result, read back through the engine's mapper on a later attempt. */
    public record Receipt(String id, long cents) {}

    private final VirtualClock clock = new VirtualClock();
    private final InMemoryJobStore store = new InMemoryJobStore(clock);
    private final List<String> ledger = new CopyOnWriteArrayList<>();
    private JobEngine engine;

    private JobEngineBuilder builder() {
        return JobEngine.builder().clock(clock).store(store).retryPolicy(RetryPolicy.fixed(Duration.ofSeconds(10)));
    }

    @AfterEach
    void close() {
        if (engine != null) {
            engine.close();
        }
    }

    @Test
    void aRecordedStepRunsOnceAndLaterAttemptsGetItsResult() {
        var receipts = new CopyOnWriteArrayList<Receipt>();
        engine = builder()
                .register("order.ship", ctx -> {
                    Receipt receipt = ctx.step("charge-card", Receipt.class, () -> {
                        ledger.add("charged on attempt " + ctx.attempt());
                        return new Receipt("r-" + ctx.attempt(), 1999);
                    });
                    receipts.add(receipt);
                    JsonNode label = ctx.step("print-label", () -> {
                        ledger.add("label on attempt " + ctx.attempt());
                        return Map.of("tracking", "T-" + ctx.attempt());
                    });
                    if (ctx.attempt() < 3) {
                        throw new IOException("the carrier is down");
                    }
                    return label.path("tracking").asText() + " paid by " + receipt.id();
                })
                .build();
        Job job = engine.enqueue(JobSpec.of("order.ship"));

        JobsTesting.runUntilIdle(engine, clock);

        Job done = engine.get(job.id()).orElseThrow();
        assertThat(done).isSucceeded().hasAttempts(3);
        assertThat(ledger).containsExactly("charged on attempt 1", "label on attempt 1");
        assertThat(receipts)
                .as("the first attempt's receipt, recorded, then read back by the others")
                .containsExactly(new Receipt("r-1", 1999), new Receipt("r-1", 1999), new Receipt("r-1", 1999));
        assertThat(done.result().orElseThrow().asText()).isEqualTo("T-1 paid by r-1");
        assertThat(store.steps(job.id())).extracting(JobStep::name).containsExactly("charge-card", "print-label");
    }

    @Test
    void aStepThatThrowsIsNotRecordedAndRunsAgain() {
        engine = builder()
                .register(
                        "flaky.step",
                        ctx -> ctx.step("call", () -> {
                            ledger.add("called on attempt " + ctx.attempt());
                            if (ctx.attempt() == 1) {
                                throw new IOException("timeout");
                            }
                            return "answered";
                        }))
                .build();
        Job job = engine.enqueue(JobSpec.of("flaky.step"));

        JobsTesting.runUntilIdle(engine, clock);

        assertThat(engine.get(job.id()).orElseThrow()).isSucceeded().hasAttempts(2);
        assertThat(ledger).containsExactly("called on attempt 1", "called on attempt 2");
        assertThat(store.steps(job.id()))
                .singleElement()
                .satisfies(step -> assertThat(step.result().asText()).isEqualTo("answered"));
    }

    @Test
    void stepsAskedInAnotherOrderFailTheJobForGoodNamingBoth() {
        var reordered = new AtomicBoolean();
        engine = builder()
                .register("deploy", ctx -> {
                    String first = reordered.get() ? "migrate" : "build";
                    ctx.step(first, () -> {
                        ledger.add(first);
                        return first;
                    });
                    if (!reordered.getAndSet(true)) {
                        throw new IOException("the first attempt fails after its first step");
                    }
                    return "deployed";
                })
                .build();
        Job job = engine.enqueue(JobSpec.of("deploy"));

        JobsTesting.runUntilIdle(engine, clock);

        Job failed = engine.get(job.id()).orElseThrow();
        assertThat(failed.state()).isEqualTo(JobState.FAILED);
        assertThat(failed.attempt())
                .as("not retried: it would fail the same way")
                .isEqualTo(2);
        assertThat(failed.lastError().orElseThrow().message())
                .contains("'migrate'")
                .contains("'build'")
                .contains("changed under a running job");
        assertThat(ledger).containsExactly("build");
    }

    @Test
    void aResultNoStoreCouldHoldFailsTheAttemptAndRecordsNothing() {
        engine = builder()
                .register("bad.step", ctx -> ctx.step("nul", () -> "a \u0000 b"))
                .build();
        Job job = engine.enqueue(JobSpec.of("bad.step").withMaxAttempts(1));

        JobsTesting.runUntilIdle(engine, clock);

        Job failed = engine.get(job.id()).orElseThrow();
        assertThat(failed.state()).isEqualTo(JobState.FAILED);
        assertThat(failed.lastError().orElseThrow().message())
                .contains("step 'nul'")
                .contains("NUL");
        assertThat(store.steps(job.id())).isEmpty();
    }

    /** Where an import got to, saved as its checkpoint. */
    public record Progress(int nextRow) {}

    @Test
    void aLongJobResumesFromItsLastCheckpoint() {
        engine = builder()
                .register("import.rows", ctx -> {
                    int from = ctx.lastCheckpoint(Progress.class)
                            .map(Progress::nextRow)
                            .orElse(0);
                    for (int row = from; row < 10; row++) {
                        ledger.add("row " + row);
                        if (row == 6 && ctx.attempt() == 1) {
                            throw new IOException("the source went away at row 6");
                        }
                        if (row % 3 == 2) {
                            ctx.checkpoint(new Progress(row + 1));
                        }
                    }
                    return "imported";
                })
                .build();
        Job job = engine.enqueue(JobSpec.of("import.rows"));

        JobsTesting.runUntilIdle(engine, clock);

        assertThat(engine.get(job.id()).orElseThrow()).isSucceeded().hasAttempts(2);
        assertThat(ledger)
                .as("the second attempt starts at row 6, after the checkpoint saved at row 5")
                .containsExactly(
                        "row 0", "row 1", "row 2", "row 3", "row 4", "row 5", "row 6", "row 6", "row 7", "row 8",
                        "row 9");
        assertThat(store.checkpoint(job.id())
                        .orElseThrow()
                        .state()
                        .path("nextRow")
                        .asInt())
                .isEqualTo(9);
    }

    @Test
    void aFanInJobReadsItsParentsResultsByTheirNamesInTheGraph() {
        var seen = new CopyOnWriteArrayList<String>();
        engine = builder()
                .register("feed.fetch", ctx -> Map.of("items", 3))
                .register("image.thumbs", ctx -> "thumbs-ok")
                .register("search.index", ctx -> 42)
                .register("feed.publish", ctx -> {
                    String thumbs = ctx.parentResult("thumbs", String.class).orElseThrow();
                    int indexed = ctx.parentResult("index", Integer.class).orElseThrow();
                    ctx.parentResults()
                            .forEach(parent -> seen.add(parent.name().orElse("?") + "="
                                    + parent.result().map(JsonNode::toString).orElse("none")));
                    try {
                        ctx.parentResult("fetch", String.class);
                    } catch (JobsException e) {
                        seen.add(e.getMessage());
                    }
                    return thumbs + "/" + indexed;
                })
                .build();
        Map<String, Job> graph = engine.graph(JobGraph.builder()
                .add("fetch", JobSpec.of("feed.fetch"))
                .add("thumbs", JobSpec.of("image.thumbs"), "fetch")
                .add("index", JobSpec.of("search.index"), "fetch")
                .add("publish", JobSpec.of("feed.publish"), "thumbs", "index")
                .build());

        JobsTesting.runUntilIdle(engine, clock);

        Job publish = engine.get(graph.get("publish").id()).orElseThrow();
        assertThat(publish).isSucceeded();
        assertThat(publish.result().orElseThrow().asText()).isEqualTo("thumbs-ok/42");
        assertThat(seen.subList(0, 2)).containsExactly("thumbs=\"thumbs-ok\"", "index=42");
        assertThat(seen.get(2))
                .as("the diamond's top is no parent of its bottom")
                .contains("no parent named 'fetch'")
                .contains("'thumbs'")
                .contains("'index'");
    }

    @Test
    void aRefThatCannotBeStoredAsAParentsNameIsRefusedWithTheGraph() {
        engine = builder().build();
        var graph = JobGraph.builder()
                .add("line\nbreak", JobSpec.of("a"))
                .add("b", JobSpec.of("b"), "line\nbreak")
                .build();

        assertThatThrownBy(() -> engine.graph(graph))
                .isInstanceOfSatisfying(
                        JobValidationException.class,
                        e -> assertThat(e.errors())
                                .extracting(JobValidationException.FieldError::field)
                                .containsExactly("nodes[b].dependsOn"));
        assertThat(engine.list(JobQuery.all()).jobs()).as("nothing created").isEmpty();
    }

    @Test
    void aStepThatCouldNeverBeRecordedIsRefusedBeforeItsWorkRuns() {
        engine = builder()
                .register(
                        "bad.name",
                        ctx -> ctx.step("line\nbreak", () -> {
                            ledger.add("side effect of a step that cannot be recorded");
                            return 1;
                        }))
                .register("too.many", ctx -> {
                    for (int i = 0; i <= JobLimits.MAX_STEPS; i++) {
                        int n = i;
                        ctx.step("step-" + n, () -> {
                            ledger.add("step " + n);
                            return n;
                        });
                    }
                    return "never";
                })
                .build();
        Job badName = engine.enqueue(JobSpec.of("bad.name").withMaxAttempts(1));
        Job tooMany = engine.enqueue(JobSpec.of("too.many").withMaxAttempts(1));

        JobsTesting.runUntilIdle(engine, clock);

        assertThat(engine.get(badName.id())
                        .orElseThrow()
                        .lastError()
                        .orElseThrow()
                        .message())
                .contains("control character");
        assertThat(engine.get(tooMany.id())
                        .orElseThrow()
                        .lastError()
                        .orElseThrow()
                        .message())
                .contains("at most " + JobLimits.MAX_STEPS + " steps");
        assertThat(ledger)
                .as("no side effect of a step that could not be recorded")
                .doesNotContain("side effect of a step that cannot be recorded", "step " + JobLimits.MAX_STEPS)
                .hasSize(JobLimits.MAX_STEPS);
    }
}
