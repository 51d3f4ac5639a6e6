package dev.jobs.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.jobs.core.DependencyFailurePolicy;
import dev.jobs.core.Job;
import dev.jobs.core.JobEvent;
import dev.jobs.core.JobEvent.Kind;
import dev.jobs.core.internal.EventOrder.Role;
import dev.jobs.core.spi.NewJob;
import dev.jobs.core.spi.support.JobTransitions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The sequencer's rules, one race at a time, with the calls' begin and end put in the order the
 * race takes: an event overtaken by its successor is held and handed over after it.
 */
class EventOrderTest {
    private static final Instant T0 = Instant.parse("2026-12-07T10:00:00Z");

    private final List<List<String>> delivered = new ArrayList<>();
    private final EventOrder order = new EventOrder(
            batch -> delivered.add(batch.stream().map(e -> e.kind().name()).toList()));

    private static Job created(List<UUID> dependsOn, Instant runAt) {
        var spec = new NewJob(
                UUID.randomUUID(),
                "default",
                "t",
                JsonNodeFactory.instance.objectNode(),
                50,
                runAt,
                3,
                Optional.empty(),
                dependsOn,
                DependencyFailurePolicy.CANCEL,
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Map.of(),
                Optional.empty(),
                Map.of());
        return JobTransitions.created(spec, dependsOn, T0);
    }

    private static Job started(Job job, Instant at) {
        Job ready = job.toBuilder().state(dev.jobs.core.JobState.READY).build();
        return JobTransitions.acquired(ready, "w", UUID.randomUUID(), Duration.ofSeconds(30), at);
    }

    private static JobEvent event(Kind kind, Job job) {
        return new JobEvent(kind, job, T0);
    }

    @Test
    void aStartThatOvertookItsCreationIsHeardAfterIt() {
        Job job = created(List.of(), T0);
        EventOrder.Call create = order.begin(Role.OTHER, List.of(job.id()));
        EventOrder.Call acquire = order.begin(Role.STARTING, List.of());
        order.end(acquire, List.of(event(Kind.STARTED, started(job, T0.plusMillis(1)))));
        assertThat(delivered).as("held while the creation is unannounced").isEmpty();

        order.end(create, List.of(event(Kind.CREATED, job)));
        assertThat(delivered).containsExactly(List.of("CREATED", "STARTED"));
        assertThat(order.held()).isZero();
    }

    @Test
    void aDependentsStartWaitsForTheCallThatMetItsDependencies() {
        Job child = created(List.of(UUID.randomUUID()), T0);
        EventOrder.Call parentCompletes = order.begin(Role.READYING, List.of(UUID.randomUUID()));
        EventOrder.Call acquire = order.begin(Role.STARTING, List.of());
        order.end(acquire, List.of(event(Kind.STARTED, started(child, T0.plusMillis(1)))));
        assertThat(delivered).isEmpty();

        order.end(parentCompletes, List.of(event(Kind.DEPENDENCIES_MET, child)));
        assertThat(delivered).containsExactly(List.of("DEPENDENCIES_MET", "STARTED"));
    }

    @Test
    void aRetrysStartIsHeardAfterTheFailureBeforeIt() {
        Job first = started(created(List.of(), T0), T0.plusMillis(1));
        Job retrying = first.toBuilder().state(dev.jobs.core.JobState.READY).build();
        EventOrder.Call fail = order.begin(Role.READYING, List.of(first.id()));
        EventOrder.Call acquire = order.begin(Role.STARTING, List.of());
        order.end(acquire, List.of(event(Kind.STARTED, started(retrying, T0.plusMillis(5)))));
        order.end(fail, List.of(event(Kind.RETRYING, first)));

        assertThat(delivered).containsExactly(List.of("RETRYING", "STARTED"));
    }

    @Test
    void aCancellationAskedOfARunningJobIsHeardAfterItsStart() {
        Job running = started(created(List.of(), T0), T0.plusMillis(1));
        EventOrder.Call acquire = order.begin(Role.STARTING, List.of());
        EventOrder.Call cancel = order.begin(Role.READYING, List.of(running.id()));
        order.end(cancel, List.of(event(Kind.CANCEL_REQUESTED, running)));
        assertThat(delivered).as("the start may still be in the acquire").isEmpty();

        order.end(acquire, List.of(event(Kind.STARTED, running)));
        assertThat(delivered).containsExactly(List.of("STARTED", "CANCEL_REQUESTED"));
    }

    @Test
    void anEventWithNothingBeforeItIsHeardAtOnceWhateverElseIsInFlight() {
        Job fresh = created(List.of(), T0);
        EventOrder.Call promoting = order.begin(Role.READYING, List.of());
        EventOrder.Call otherJob = order.begin(Role.OTHER, List.of(UUID.randomUUID()));
        EventOrder.Call acquire = order.begin(Role.STARTING, List.of());
        order.end(acquire, List.of(event(Kind.STARTED, started(fresh, T0.plusMillis(1)))));

        assertThat(delivered)
                .as("a job created ready waits for no readying call")
                .containsExactly(List.of("STARTED"));
        order.end(promoting, List.of());
        order.end(otherJob, List.of());
        assertThat(order.held()).isZero();
    }

    @Test
    void aFailedCallReleasesWhatWaitedForIt() {
        Job job = created(List.of(), T0);
        EventOrder.Call create = order.begin(Role.OTHER, List.of(job.id()));
        EventOrder.Call acquire = order.begin(Role.STARTING, List.of());
        order.end(acquire, List.of(event(Kind.STARTED, started(job, T0.plusMillis(1)))));
        order.end(create, List.of()); // the create threw after its commit was lost

        assertThat(delivered).containsExactly(List.of("STARTED"));
    }
}
