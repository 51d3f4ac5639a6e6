package dev.jobs.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jobs.core.JobValidationException.FieldError;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Bad input is refused at the engine's boundary, naming every field, and nothing is stored. */
class EngineValidationTest {
    private final JobEngine engine = JobEngine.builder().maxPayloadBytes(64).build();

    @AfterEach
    void close() {
        engine.close();
    }

    private List<String> rejectedFields(Runnable call) {
        var thrown = org.assertj.core.api.Assertions.catchThrowableOfType(JobValidationException.class, call::run);
        assertThat(thrown).as("a JobValidationException").isNotNull();
        return thrown.errors().stream().map(FieldError::field).toList();
    }

    @Test
    void everyOffendingFieldIsNamedAtOnce() {
        JobSpec spec = JobSpec.of("Bad Type!", Map.of("blob", "x".repeat(100)))
                .withQueue("UPPER")
                .withPriority(101)
                .withDelay(Duration.ofSeconds(-1))
                .withMaxAttempts(0)
                .withTimeout(Duration.ZERO)
                .withUniqueKey("")
                .withIdempotencyKey("k".repeat(JobLimits.MAX_IDEMPOTENCY_KEY_LENGTH + 1));

        List<String> fields = rejectedFields(() -> engine.enqueue(spec));

        assertThat(fields)
                .containsExactlyInAnyOrder(
                        "type",
                        "queue",
                        "priority",
                        "delay",
                        "maxAttempts",
                        "timeout",
                        "uniqueKey",
                        "idempotencyKey",
                        "payload");
        assertThat(engine.list(JobQuery.all()).jobs()).isEmpty();
    }

    @Test
    void messagesSayWhatIsAllowed() {
        assertThatThrownBy(() -> engine.enqueue(JobSpec.of("ok").withPriority(-5)))
                .hasMessageContaining("priority")
                .hasMessageContaining("between 0 and 100")
                .hasMessageContaining("nothing was stored");
        assertThatThrownBy(() -> engine.enqueue(JobSpec.of("ok", Map.of("blob", "x".repeat(100)))))
                .hasMessageContaining("the limit is 64 bytes");
    }

    @Test
    void batchErrorsCarryTheJobIndexAndNothingOfTheBatchIsStored() {
        List<String> fields = rejectedFields(() -> engine.enqueueAll(List.of(
                JobSpec.of("fine"),
                JobSpec.of("fine").withMaxAttempts(0),
                JobSpec.of("fine").withQueue("-x"))));

        assertThat(fields).containsExactly("[1].maxAttempts", "[2].queue");
        assertThat(engine.list(JobQuery.all()).jobs()).isEmpty();
    }

    @Test
    void unknownDependencyIsRejected() {
        UUID ghost = UUID.randomUUID();
        assertThatThrownBy(() -> engine.enqueue(JobSpec.of("t").withDependsOn(ghost)))
                .isInstanceOfSatisfying(
                        JobValidationException.class,
                        e -> assertThat(e.errors()).singleElement().satisfies(error -> {
                            assertThat(error.field()).isEqualTo("dependsOn");
                            assertThat(error.message()).contains(ghost.toString());
                        }));
        assertThat(engine.list(JobQuery.all()).jobs()).isEmpty();
    }

    @Test
    void graphNodeErrorsAreNamedByRef() {
        JobGraph graph = JobGraph.builder()
                .add("fetch", JobSpec.of("fetch"))
                .add("store", JobSpec.of("store").withPriority(500), "fetch")
                .add("late", JobSpec.of("late").withDependsOn(UUID.randomUUID()), "fetch")
                .build();

        assertThat(rejectedFields(() -> engine.graph(graph))).containsExactly("nodes[store].priority");
        JobGraph onlyUnknown = JobGraph.builder()
                .add("fetch", JobSpec.of("fetch"))
                .add("late", JobSpec.of("late").withDependsOn(UUID.randomUUID()), "fetch")
                .build();
        assertThat(rejectedFields(() -> engine.graph(onlyUnknown))).containsExactly("nodes[late].dependsOn");
        assertThat(engine.list(JobQuery.all()).jobs()).isEmpty();
    }

    @Test
    void metadataLimitsAreChecked() {
        assertThat(rejectedFields(() -> engine.enqueue(JobSpec.of("t").withMetadata(Map.of("k", "v".repeat(2000))))))
                .singleElement()
                .asString()
                .startsWith("metadata");
    }

    @Test
    void enqueueingInAHostsTransactionOnAStoreThatCannotSaysWhichStoreToUse() {
        // The store is checked before the connection is touched, so none is needed to see the refusal.
        assertThatThrownBy(() -> engine.enqueueIn(null, List.of(JobSpec.of("report.build"))))
                .isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("InMemoryJobStore")
                .hasMessageContaining("JdbcJobStore");
    }

    @Test
    void badEngineSettingsAreNamedAtBuild() {
        assertThatThrownBy(() -> JobEngine.builder().queue("mail", 0).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("concurrency of queue 'mail'");
        assertThatThrownBy(
                        () -> JobEngine.builder().leaseDuration(Duration.ZERO).build())
                .hasMessageContaining("leaseDuration");
        assertThatThrownBy(() -> JobEngine.builder().queue("Mail!", 1).build()).hasMessageContaining("queue name");
    }
}
