package dev.jobs.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jobs.core.Job;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobError;
import dev.jobs.core.JobLimits;
import dev.jobs.core.JobSpec;
import dev.jobs.core.JobState;
import dev.jobs.core.JobValidationException;
import dev.jobs.core.JobValidationException.FieldError;
import dev.jobs.core.Priority;
import dev.jobs.core.QueueLimits;
import dev.jobs.core.RecurringJob;
import dev.jobs.core.RemoteWorkers;
import dev.jobs.core.Schedule;
import dev.jobs.core.spi.JobStore;
import java.math.BigInteger;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Every limit of {@link JobLimits}, through the Java API and down to a real store: a job at every
 * limit at once is stored whole and read back as it was sent, and one step past any limit is
 * rejected with a {@link JobValidationException} naming the field, with nothing stored. A store's
 * test class extends this and says how to make a fresh, empty store.
 */
@Tag("reliability")
public abstract class EngineLimitsConformanceTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** {@code {"blob":""}}: the payload's bytes besides the blob. */
    private static final int PAYLOAD_FRAME_BYTES = 11;

    private JobStore store;
    private JobEngine engine;

    /** A new store holding no jobs, reading time from {@code clock}. */
    protected abstract JobStore createStore(Clock clock);

    @BeforeEach
    void startEngine() {
        store = createStore(Clock.systemUTC());
        engine = JobEngine.builder().store(store).build();
    }

    @AfterEach
    void stopEngine() {
        engine.close();
        store.close();
    }

    private static String chars(int length) {
        return "a" + "b".repeat(length - 1);
    }

    private static JsonNode payloadOf(int bytes) {
        return MAPPER.createObjectNode().put("blob", "x".repeat(bytes - PAYLOAD_FRAME_BYTES));
    }

    private static Map<String, String> metadata(int entries, int keyLength, int valueLength) {
        var metadata = new LinkedHashMap<String, String>();
        for (int i = 0; i < entries; i++) {
            String key = String.format("%03d", i);
            metadata.put(key + "k".repeat(keyLength - key.length()), "v".repeat(valueLength));
        }
        return metadata;
    }

    /** A job with every field at its largest allowed value. */
    private static JobSpec atEveryUpperLimit() {
        return JobSpec.of(chars(128), payloadOf(JobLimits.DEFAULT_MAX_PAYLOAD_BYTES))
                .withQueue(chars(64))
                .withPriority(Priority.MAX)
                .withMaxAttempts(JobLimits.MAX_ATTEMPTS)
                .withDelay(JobLimits.MAX_DURATION)
                .withTimeout(JobLimits.MAX_DURATION)
                .withUniqueKey("u".repeat(JobLimits.MAX_UNIQUE_KEY_LENGTH))
                .withIdempotencyKey("i".repeat(JobLimits.MAX_IDEMPOTENCY_KEY_LENGTH))
                .withConcurrencyKey("c".repeat(JobLimits.MAX_CONCURRENCY_KEY_LENGTH))
                .withMetadata(metadata(
                        JobLimits.MAX_METADATA_ENTRIES,
                        JobLimits.MAX_METADATA_KEY_LENGTH,
                        JobLimits.MAX_METADATA_VALUE_LENGTH));
    }

    private List<String> rejectedFields(Supplier<?> action) {
        JobValidationException thrown = catchThrowableOfType(JobValidationException.class, () -> action.get());
        assertThat(thrown).as("a JobValidationException").isNotNull();
        assertThat(thrown.getMessage()).contains("nothing was stored");
        return thrown.errors().stream().map(FieldError::field).toList();
    }

    private long storedJobs() {
        return engine.counts().stream()
                .flatMap(c -> c.byState().values().stream())
                .mapToLong(Long::longValue)
                .sum();
    }

    @Test
    void aJobAtEveryUpperLimitIsStoredWholeAndReadBackAsSent() {
        JobSpec spec = atEveryUpperLimit();

        Job created = engine.enqueue(spec);

        Job stored = engine.get(created.id()).orElseThrow();
        assertThat(stored.type()).isEqualTo(spec.type());
        assertThat(stored.queue()).isEqualTo(spec.queue());
        assertThat(stored.payload()).isEqualTo(spec.payload());
        assertThat(stored.priority()).isEqualTo(Priority.MAX);
        assertThat(stored.maxAttempts()).isEqualTo(JobLimits.MAX_ATTEMPTS);
        assertThat(stored.timeout()).contains(JobLimits.MAX_DURATION);
        assertThat(stored.runAt())
                .isAfter(stored.createdAt().plus(JobLimits.MAX_DURATION).minusSeconds(60));
        assertThat(stored.uniqueKey()).isEqualTo(spec.uniqueKey());
        assertThat(stored.concurrencyKey()).isEqualTo(spec.concurrencyKey());
        assertThat(stored.metadata()).isEqualTo(spec.metadata());
        assertThat(engine.submit(spec).created())
                .as("the idempotency key, all of it, was stored")
                .isFalse();
        assertThat(storedJobs()).isEqualTo(1);
    }

    @Test
    void aJobAtEveryLowerLimitIsStored() {
        Job created = engine.enqueue(JobSpec.of("a", MAPPER.createObjectNode())
                .withQueue("a")
                .withPriority(Priority.MIN)
                .withMaxAttempts(1)
                .withDelay(Duration.ZERO)
                .withTimeout(Duration.ofMillis(1))
                .withUniqueKey("u")
                .withIdempotencyKey("i")
                .withConcurrencyKey("c"));

        Job stored = engine.get(created.id()).orElseThrow();
        assertThat(stored.priority()).isEqualTo(Priority.MIN);
        assertThat(stored.maxAttempts()).isEqualTo(1);
        assertThat(stored.timeout()).contains(Duration.ofMillis(1));
        assertThat(stored.concurrencyKey()).contains("c");
    }

    @Test
    void oneStepPastAnyLimitRejectsTheJobNamingTheFieldAndStoresNothing() {
        JobSpec valid = atEveryUpperLimit();
        Map<String, JobSpec> pastLimit = new LinkedHashMap<>();
        pastLimit.put("type", JobSpec.of(chars(129), valid.payload()));
        pastLimit.put("payload", JobSpec.of("t", payloadOf(JobLimits.DEFAULT_MAX_PAYLOAD_BYTES + 1)));
        pastLimit.put("queue", valid.withQueue(chars(65)));
        pastLimit.put("priority", valid.withPriority(Priority.MAX + 1));
        pastLimit.put("priority ", valid.withPriority(Priority.MIN - 1));
        pastLimit.put("maxAttempts", valid.withMaxAttempts(JobLimits.MAX_ATTEMPTS + 1));
        pastLimit.put("maxAttempts ", valid.withMaxAttempts(0));
        pastLimit.put("delay", valid.withDelay(JobLimits.MAX_DURATION.plusMillis(1)));
        pastLimit.put("timeout", valid.withTimeout(JobLimits.MAX_DURATION.plusMillis(1)));
        pastLimit.put("uniqueKey", valid.withUniqueKey("u".repeat(JobLimits.MAX_UNIQUE_KEY_LENGTH + 1)));
        pastLimit.put("idempotencyKey", valid.withIdempotencyKey("i".repeat(JobLimits.MAX_IDEMPOTENCY_KEY_LENGTH + 1)));
        pastLimit.put("concurrencyKey", valid.withConcurrencyKey("c".repeat(JobLimits.MAX_CONCURRENCY_KEY_LENGTH + 1)));
        pastLimit.put(
                "metadata",
                valid.withMetadata(metadata(
                        JobLimits.MAX_METADATA_ENTRIES + 1,
                        JobLimits.MAX_METADATA_KEY_LENGTH,
                        JobLimits.MAX_METADATA_VALUE_LENGTH)));
        pastLimit.put("metadata ", valid.withMetadata(metadata(1, JobLimits.MAX_METADATA_KEY_LENGTH + 1, 1)));
        pastLimit.put("metadata  ", valid.withMetadata(metadata(1, 8, JobLimits.MAX_METADATA_VALUE_LENGTH + 1)));
        var dependencies = new ArrayList<UUID>();
        for (int i = 0; i <= JobLimits.MAX_DEPENDENCIES; i++) {
            dependencies.add(UUID.randomUUID());
        }
        pastLimit.put("dependsOn", JobSpec.of("t").withDependsOn(dependencies));

        pastLimit.forEach((field, spec) -> assertThat(rejectedFields(() -> engine.enqueue(spec)))
                .as("one step past the limit of " + field.strip())
                .anySatisfy(rejected -> assertThat(rejected).startsWith(field.strip())));
        assertThat(storedJobs()).isZero();
    }

    @Test
    void aBatchAtItsLimitIsStoredAndOnePastItOrWithOneBadMemberIsNot() {
        var batch = new ArrayList<JobSpec>();
        for (int i = 0; i < JobLimits.MAX_BATCH_SIZE; i++) {
            batch.add(JobSpec.of("t").withQueue("batch"));
        }
        var tooMany = new ArrayList<>(batch);
        tooMany.add(JobSpec.of("t").withQueue("batch"));
        var oneBad = new ArrayList<>(batch.subList(0, 100));
        oneBad.add(JobSpec.of("t").withQueue("batch").withPriority(Priority.MAX + 1));

        rejectedFields(() -> engine.enqueueAll(tooMany));
        assertThat(rejectedFields(() -> engine.enqueueAll(oneBad))).containsExactly("[100].priority");
        assertThat(storedJobs()).isZero();

        assertThat(engine.enqueueAll(batch)).hasSize(JobLimits.MAX_BATCH_SIZE);
        assertThat(storedJobs()).isEqualTo(JobLimits.MAX_BATCH_SIZE);
    }

    @Test
    void aJobWithTheMostDependenciesIsStoredAndWaitsForAllOfThem() {
        var parents = new ArrayList<JobSpec>();
        for (int i = 0; i < JobLimits.MAX_DEPENDENCIES; i++) {
            parents.add(JobSpec.of("parent"));
        }
        List<UUID> ids = engine.enqueueAll(parents).stream().map(Job::id).toList();

        Job child = engine.enqueue(JobSpec.of("child").withDependsOn(ids));

        assertThat(engine.get(child.id()).orElseThrow().dependsOn()).containsExactlyInAnyOrderElementsOf(ids);
    }

    @Test
    void recurringJobsAndQueueLimitsAtTheirLimitsAreStoredAndPastThemRejected() {
        var schedule = Schedule.cron("0 2 * * *", ZoneId.of("UTC"));
        engine.putRecurring(
                RecurringJob.of(chars(128), schedule, JobSpec.of("t")).withRunAllLimit(JobLimits.MAX_RUN_ALL_LIMIT));
        assertThat(engine.recurring(chars(128))).isPresent();
        assertThat(rejectedFields(() -> engine.putRecurring(RecurringJob.of(chars(129), schedule, JobSpec.of("t")))))
                .contains("name");
        assertThat(rejectedFields(() -> engine.putRecurring(RecurringJob.of("r", schedule, JobSpec.of("t"))
                        .withRunAllLimit(JobLimits.MAX_RUN_ALL_LIMIT + 1))))
                .contains("runAllLimit");
        assertThat(engine.recurring()).hasSize(1);

        QueueLimits widest = QueueLimits.none()
                .withMaxRunning(JobLimits.MAX_QUEUE_LIMIT)
                .withMaxStarts(JobLimits.MAX_QUEUE_LIMIT, JobLimits.MAX_START_WINDOW)
                .withMaxRunningPerKey(JobLimits.MAX_QUEUE_LIMIT);
        QueueLimits narrowest = QueueLimits.none()
                .withMaxRunning(1)
                .withMaxStarts(1, JobLimits.MIN_START_WINDOW)
                .withMaxRunningPerKey(1);
        engine.setQueueLimits(chars(64), widest);
        engine.setQueueLimits("narrow", narrowest);
        assertThat(engine.queueLimits()).containsOnly(Map.entry(chars(64), widest), Map.entry("narrow", narrowest));
        assertThat(rejectedLimit(() -> QueueLimits.none().withMaxRunning(JobLimits.MAX_QUEUE_LIMIT + 1)))
                .isEqualTo("maxRunning");
        assertThat(rejectedLimit(() -> QueueLimits.none().withMaxRunningPerKey(0)))
                .isEqualTo("maxRunningPerKey");
        assertThat(rejectedLimit(() -> QueueLimits.none().withMaxStarts(0, JobLimits.MIN_START_WINDOW)))
                .isEqualTo("maxStarts.starts");
        assertThat(rejectedLimit(() -> QueueLimits.none().withMaxStarts(1, JobLimits.MIN_START_WINDOW.minusMillis(1))))
                .isEqualTo("maxStarts.per");
        assertThat(rejectedLimit(() -> QueueLimits.none().withMaxStarts(1, JobLimits.MAX_START_WINDOW.plusMillis(1))))
                .isEqualTo("maxStarts.per");
        assertThat(rejectedFields(() -> {
                    engine.setQueueLimits(chars(65), narrowest);
                    return null;
                }))
                .containsExactly("queue");
        assertThat(engine.queueLimits()).hasSize(2);
    }

    @Test
    void whatNoStoreHoldsIsRefusedNamingTheFieldBeforeItReachesTheStore() throws Exception {
        JsonNode hugeNumber = MAPPER.readTree("{\"n\":1e999999999}");
        Map<String, JobSpec> unstorable = new LinkedHashMap<>();
        unstorable.put("payload", JobSpec.of("t", MAPPER.createObjectNode().put("s", "a\u0000b")));
        unstorable.put("payload ", JobSpec.of("t", MAPPER.getNodeFactory().textNode("half a pair \uD83D")));
        unstorable.put("payload  ", JobSpec.of("t", hugeNumber));
        unstorable.put("metadata", JobSpec.of("t").withMetadata(Map.of("k", "\u0000")));
        unstorable.put("uniqueKey", JobSpec.of("t").withUniqueKey("u\u0000"));
        unstorable.put("concurrencyKey", JobSpec.of("t").withConcurrencyKey("c\n"));

        unstorable.forEach((field, spec) -> assertThat(rejectedFields(() -> engine.enqueue(spec)))
                .as("a job whose " + field.strip() + " no store holds")
                .containsExactly(field.strip()));
        var schedule = Schedule.every(Duration.ofSeconds(1));
        assertThat(rejectedFields(() -> engine.putRecurring(RecurringJob.of(
                        "r", schedule, JobSpec.of("t", MAPPER.createArrayNode().add("\u0000"))))))
                .containsExactly("template.payload");
        assertThat(storedJobs()).isZero();
        assertThat(engine.recurring()).isEmpty();
    }

    @Test
    void textAndNumbersAtTheEdgeOfWhatIsAllowedAreStoredExactly() throws Exception {
        var controls = new StringBuilder();
        for (char c = 1; c < 0x20; c++) {
            controls.append(c);
        }
        controls.append("\u007f\u0085\u2028\u2029");
        ObjectNode payload = MAPPER.createObjectNode();
        payload.put("controls", controls.toString());
        // The last six characters are a backslash and text, not a NUL.
        payload.put("edges", "\uFFFE\uFFFF😀e\u0301\u202e\\u0000");
        payload.put("", "an empty key");
        payload.put("a.b/~c\"", "an odd key");
        payload.put("max", Double.MAX_VALUE);
        payload.put("lowest", -Double.MAX_VALUE);
        payload.put("tiniest", Double.MIN_VALUE);
        payload.put("negativeZero", -0.0);
        payload.put("big", BigInteger.TEN.pow(300));
        payload.put("long", Long.MIN_VALUE);
        String sent = MAPPER.writeValueAsString(payload);
        Map<String, String> metadata = Map.of("note", "line one\nline two\ttabbed 😀");
        Job job = engine.enqueue(JobSpec.of("t", payload).withQueue("edges").withMetadata(metadata));

        Job stored = engine.get(job.id()).orElseThrow();
        assertThat(MAPPER.writeValueAsString(stored.payload())).isEqualTo(sent);
        assertThat(stored.metadata()).isEqualTo(metadata);

        RemoteWorkers remote = engine.remoteWorkers();
        Duration lease = Duration.ofMinutes(1);
        Job first = remote.acquire("worker 😀 ünï", "host", Set.of("edges"), 1, lease, Duration.ZERO)
                .get(0);
        String message = "line one\nline two " + controls;
        remote.heartbeat(first.id(), first.leaseToken().orElseThrow(), lease, OptionalInt.of(5), Optional.of(message));
        assertThat(engine.get(job.id()).orElseThrow().progressMessage()).contains(message);
        var error = new JobError("Boom", message, "trace\n\tat somewhere(" + controls + ")");
        remote.fail(first.id(), first.leaseToken().orElseThrow(), error, true, Optional.of(Duration.ZERO));
        assertThat(engine.get(job.id()).orElseThrow().lastError()).contains(error);

        Job second = remote.acquire("worker 😀 ünï", "host", Set.of("edges"), 1, lease, Duration.ZERO)
                .get(0);
        remote.complete(second.id(), second.leaseToken().orElseThrow(), Optional.of(payload));
        Job done = engine.get(job.id()).orElseThrow();
        assertThat(done.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(MAPPER.writeValueAsString(done.result().orElseThrow())).isEqualTo(sent);
        assertThat(MAPPER.writeValueAsString(done.payload())).isEqualTo(sent);
    }

    /** The field a {@link QueueLimits} factory rejects (it refuses before anything is stored). */
    private static String rejectedLimit(Supplier<QueueLimits> make) {
        JobValidationException thrown = catchThrowableOfType(JobValidationException.class, () -> make.get());
        assertThat(thrown).as("a JobValidationException").isNotNull();
        return thrown.errors().get(0).field();
    }
}
