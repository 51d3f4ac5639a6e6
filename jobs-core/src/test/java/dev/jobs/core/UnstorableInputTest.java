package dev.jobs.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.jobs.core.JobValidationException.FieldError;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What no store can hold (NUL, lone surrogates, numbers beyond a double) and what would forge a log
 * line (a control character in a worker id) is refused at every door into the engine, naming the
 * field, with nothing stored; text the engine writes on its own account is repaired instead.
 */
class UnstorableInputTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Duration LEASE = Duration.ofMinutes(1);

    private final AtomicReference<Object> handlerReturns = new AtomicReference<>();
    private final AtomicReference<RuntimeException> handlerThrows = new AtomicReference<>();
    private final AtomicReference<String> progressMessage = new AtomicReference<>();
    private final AtomicReference<Throwable> progressRefused = new AtomicReference<>();

    private final JobEngine engine = JobEngine.builder()
            .register("local", (JobContext<JsonNode> context) -> {
                if (progressMessage.get() != null) {
                    try {
                        context.progress(50, progressMessage.get());
                    } catch (RuntimeException e) {
                        progressRefused.set(e);
                    }
                }
                if (handlerThrows.get() != null) {
                    throw handlerThrows.get();
                }
                return handlerReturns.get();
            })
            .build();

    @AfterEach
    void close() {
        engine.close();
    }

    private static FieldError refused(Runnable call) {
        JobValidationException thrown = catchThrowableOfType(JobValidationException.class, call::run);
        assertThat(thrown).as("a JobValidationException").isNotNull();
        assertThat(thrown.errors()).hasSize(1);
        return thrown.errors().get(0);
    }

    private long storedJobs() {
        return engine.counts().stream()
                .flatMap(c -> c.byState().values().stream())
                .mapToLong(Long::longValue)
                .sum();
    }

    @Test
    void aSpecHoldingWhatNoStoreKeepsIsRefusedNamingTheFieldAndWhere() throws Exception {
        JsonNode nulAtDepth = MAPPER.readTree("{\"a\":[{\"b\":\"x\\u0000y\"}]}");
        FieldError error = refused(() -> engine.enqueue(JobSpec.of("t", nulAtDepth)));
        assertThat(error.field()).isEqualTo("payload");
        assertThat(error.message()).startsWith("at /a/0/b, the value holds the NUL character");

        assertThat(refused(() -> engine.enqueue(JobSpec.of("t", NODES.textNode("\uD800"))))
                        .message())
                .contains("lone surrogate");
        JsonNode huge = MAPPER.readTree("[1e999999999]");
        assertThat(refused(() -> engine.enqueue(JobSpec.of("t", huge))).message())
                .contains("at /0, the value Infinity is not a finite number");
        assertThat(refused(() -> engine.enqueue(JobSpec.of("t").withMetadata(Map.of("k\n", "v"))))
                        .field())
                .isEqualTo("metadata");
        assertThat(refused(() -> engine.enqueue(JobSpec.of("t").withMetadata(Map.of("k", "v\u0000"))))
                        .message())
                .startsWith("the value of key 'k' holds the NUL character");
        assertThat(refused(() -> engine.enqueue(JobSpec.of("t").withUniqueKey("u\r\nFORGED")))
                        .field())
                .isEqualTo("uniqueKey");
        assertThat(refused(() -> engine.enqueue(JobSpec.of("t").withConcurrencyKey("c\u0000")))
                        .field())
                .isEqualTo("concurrencyKey");
        assertThat(refused(() -> engine.enqueue(JobSpec.of("t").withIdempotencyKey("i\uDC00")))
                        .field())
                .isEqualTo("idempotencyKey");
        assertThat(refused(() -> engine.enqueueAll(List.of(
                                JobSpec.of("t"),
                                JobSpec.of("t", NODES.objectNode().put("k\u0000", 1)))))
                        .field())
                .isEqualTo("[1].payload");
        assertThat(refused(() -> engine.graph(JobGraph.builder()
                                .add("only", JobSpec.of("t", NODES.textNode("\u0000")))
                                .build()))
                        .field())
                .isEqualTo("nodes[only].payload");
        assertThat(storedJobs()).isZero();
    }

    @Test
    void aRecurringTemplateHoldingNulIsRefusedNotStoredToFailEverySecond() {
        var recurring = RecurringJob.of(
                "nightly", Schedule.every(Duration.ofSeconds(1)), JobSpec.of("t", NODES.textNode("a\u0000")));
        assertThat(refused(() -> engine.putRecurring(recurring)).field()).isEqualTo("template.payload");
        assertThat(engine.recurring()).isEmpty();
    }

    @Test
    void aListingFilterThatCouldNameNoJobIsRefused() {
        assertThat(refused(() -> engine.list(JobQuery.all().withQueue("q\u0000")))
                        .field())
                .isEqualTo("queue");
        FieldError type = refused(() -> engine.list(JobQuery.all().withTypes("ok", "t\n")));
        assertThat(type.field()).isEqualTo("type");
        assertThat(type.message()).contains("t\\u000A").doesNotContain("\n");
    }

    @Test
    void aRemoteWorkerIsRefusedAtEachStepAndItsJobStaysAsItWas() throws Exception {
        RemoteWorkers remote = engine.remoteWorkers();
        engine.enqueue(JobSpec.of("remote").withQueue("remote"));

        assertThat(refused(() -> acquire(remote, "worker-1\n2026-12-07 INFO forged"))
                        .field())
                .isEqualTo("workerId");
        assertThat(refused(() -> acquire(remote, "worker\u0000")).field()).isEqualTo("workerId");
        assertThat(refused(() -> {
                            try {
                                remote.acquire("w", "host\r", Set.of("remote"), 1, LEASE, Duration.ZERO);
                            } catch (InterruptedException e) {
                                throw new AssertionError(e);
                            }
                        })
                        .field())
                .isEqualTo("host");
        assertThat(engine.workers()).isEmpty();

        Job running = acquire(remote, "worker-1").get(0);
        var token = running.leaseToken().orElseThrow();
        assertThat(refused(() -> remote.heartbeat(
                                running.id(), token, LEASE, OptionalInt.of(10), Optional.of("half\u0000way")))
                        .field())
                .isEqualTo("message");
        assertThat(refused(() -> remote.complete(
                                running.id(),
                                token,
                                Optional.of(NODES.objectNode().put("n", Double.NaN))))
                        .field())
                .isEqualTo("result");
        Map<String, JobError> unstorableErrors = Map.of(
                "error.type", new JobError("Boom\nFORGED", "m", ""),
                "error.message", new JobError("Boom", "m\u0000", ""),
                "error.stackTrace", new JobError("Boom", "m", "at \uD800"));
        unstorableErrors.forEach((field, error) -> assertThat(
                        refused(() -> remote.fail(running.id(), token, error, true, Optional.empty()))
                                .field())
                .isEqualTo(field));

        Job unchanged = engine.get(running.id()).orElseThrow();
        assertThat(unchanged.state()).isEqualTo(JobState.RUNNING);
        assertThat(unchanged.progress()).isZero();
        // Refused calls change nothing, so the worker can still finish it properly.
        assertThat(remote.complete(running.id(), token, Optional.of(NODES.textNode("done")))
                        .state())
                .isEqualTo(JobState.SUCCEEDED);
    }

    private static List<Job> acquire(RemoteWorkers remote, String workerId) {
        try {
            return remote.acquire(workerId, "host-1", Set.of("remote"), 1, LEASE, Duration.ZERO);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aLocalHandlersUnstorableResultFailsItsAttemptSayingWhy() {
        handlerReturns.set(Map.of("score", DoubleNode.valueOf(Double.POSITIVE_INFINITY)));
        Job job = engine.enqueue(JobSpec.of("local").withMaxAttempts(1));
        engine.drain();

        Job failed = engine.get(job.id()).orElseThrow();
        assertThat(failed.state()).isEqualTo(JobState.FAILED);
        assertThat(failed.lastError().orElseThrow().message())
                .isEqualTo("the handler's result cannot be stored: at /score, the value Infinity is not a finite"
                        + " number (was it beyond ±1.8e308?)");
    }

    @Test
    void aLocalHandlersUnstorableProgressMessageIsRefusedToTheHandler() {
        progressMessage.set("step\u0000");
        Job job = engine.enqueue(JobSpec.of("local"));
        engine.drain();

        assertThat(progressRefused.get())
                .isInstanceOf(JobValidationException.class)
                .hasMessageContaining("message");
        Job done = engine.get(job.id()).orElseThrow();
        assertThat(done.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(done.progressMessage()).isEmpty();
    }

    @Test
    void anExceptionHoldingNulIsRecordedWithTheCharacterReplaced() {
        handlerThrows.set(new IllegalStateException("bad byte \u0000 and half a pair \uD83D"));
        Job job = engine.enqueue(JobSpec.of("local").withMaxAttempts(1));
        engine.drain();

        JobError error = engine.get(job.id()).orElseThrow().lastError().orElseThrow();
        assertThat(error.message()).isEqualTo("bad byte \uFFFD and half a pair \uFFFD");
        assertThat(error.stackTrace()).doesNotContain("\u0000").contains("bad byte \uFFFD");
    }

    @Test
    void anEngineWorkerIdThatWouldForgeLogLinesIsRefusedAtBuild() {
        assertThatThrownBy(() -> JobEngine.builder().workerId("engine\n1").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("workerId holds the control character U+000A");
    }
}
