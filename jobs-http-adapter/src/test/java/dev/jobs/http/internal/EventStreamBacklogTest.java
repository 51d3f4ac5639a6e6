package dev.jobs.http.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.jobs.core.Attempt;
import dev.jobs.core.Job;
import dev.jobs.core.JobEvent;
import dev.jobs.core.JobState;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** What a stream keeps of each event while its client is behind: the job, without its data. */
class EventStreamBacklogTest {
    @Test
    void aBacklogEventHoldsNeitherPayloadNorResultNorAttempts() {
        Instant at = Instant.parse("2026-12-07T09:00:00Z");
        String big = "x".repeat(100 * 1024);
        Job job = Job.builder()
                .id(UUID.randomUUID())
                .type("report.build")
                .queue("reports")
                .payload(JsonNodeFactory.instance.objectNode().put("rows", big))
                .result(JsonNodeFactory.instance.textNode(big))
                .state(JobState.SUCCEEDED)
                .runAt(at)
                .createdAt(at)
                .updatedAt(at)
                .progress(100)
                .attempts(List.of(
                        new Attempt(1, "worker-1", at, at.plusSeconds(1), Attempt.Outcome.SUCCEEDED, Optional.empty())))
                .build();

        JobEvent kept = EventStream.withoutData(new JobEvent(JobEvent.Kind.SUCCEEDED, job, at));

        assertThat(kept.job().payload().isNull()).isTrue();
        assertThat(kept.job().result()).isEmpty();
        assertThat(kept.job().attempts()).isEmpty();
        assertThat(kept.job().id()).isEqualTo(job.id());
        assertThat(kept.job().state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(kept.job().progress()).isEqualTo(100);
        assertThat(kept.kind()).isEqualTo(JobEvent.Kind.SUCCEEDED);
        assertThat(kept.at()).isEqualTo(at);
    }
}
