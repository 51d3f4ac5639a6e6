package dev.jobs.testing;

import static dev.jobs.testing.JobAssert.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jobs.core.DependencyFailurePolicy;
import dev.jobs.core.InvalidTransitionException;
import dev.jobs.core.Job;
import dev.jobs.core.JobError;
import dev.jobs.core.spi.Transition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The {@link JobStore} contract, area by area: jobs that depend on jobs: released when their
 * dependencies succeed, cancelled or run on a failure as their policy says, revived by a retry.
 * Extend it and make a store as {@link StoreConformance#createStore} says, or extend {@link
 * JobStoreConformanceTest} for every area.
 */
public abstract class DependencyConformance extends StoreConformance {
    @Test
    void dependentWaitsUntilItsParentSucceeds() {
        Job parent = create(jobs.of("parent"));
        Job child = create(jobs.of("child").dependsOn(parent.id()));
        assertThat(child).isPending();

        Job running = acquireOne();
        assertThat(running.id()).isEqualTo(parent.id());
        Transition done = store.complete(running.id(), token(running), Optional.empty());

        assertThat(done.dependents()).extracting(Job::id).containsExactly(child.id());
        assertThat(current(child)).isReady();
        assertThat(acquireOne().id()).isEqualTo(child.id());
    }

    @Test
    void releasedDependentWhoseRunAtIsAheadIsScheduled() {
        Job parent = create(jobs.of("parent"));
        Job child = create(
                jobs.of("child").dependsOn(parent.id()).runAt(clock.instant().plusSeconds(90)));
        Job running = acquireOne();

        store.complete(running.id(), token(running), Optional.empty());

        assertThat(current(child)).isScheduled();
        assertThat(acquire(10)).isEmpty();
        clock.advance(Duration.ofSeconds(90));
        assertThat(acquireOne().id()).isEqualTo(child.id());
    }

    @Test
    void diamondCreatedInOneBatchReleasesFanInOnlyAfterBothBranches() {
        var top = jobs.of("top");
        var left = jobs.of("left").dependsOn(top.id());
        var right = jobs.of("right").dependsOn(top.id());
        var bottom = jobs.of("bottom").dependsOn(left.id(), right.id());
        store.create(List.of(top.build(), left.build(), right.build(), bottom.build()));

        Job topRunning = acquireOne();
        store.complete(topRunning.id(), token(topRunning), Optional.empty());
        List<Job> branches = acquire(10);
        assertThat(branches).extracting(Job::type).containsExactlyInAnyOrder("left", "right");

        store.complete(branches.get(0).id(), token(branches.get(0)), Optional.empty());
        assertThat(store.get(bottom.id()).orElseThrow()).isPending();
        store.complete(branches.get(1).id(), token(branches.get(1)), Optional.empty());
        assertThat(store.get(bottom.id()).orElseThrow()).isReady();
    }

    @Test
    void failedParentCancelsDependentsTransitively() {
        Job parent = create(jobs.of("parent"));
        Job child = create(jobs.of("child").dependsOn(parent.id()));
        Job grandchild = create(jobs.of("grandchild").dependsOn(child.id()));
        Job running = acquireOne();

        Transition failed = store.fail(running.id(), token(running), JobError.of("Boom", "x"), Optional.empty());

        assertThat(failed.dependents()).extracting(Job::id).containsExactly(child.id(), grandchild.id());
        assertThat(current(child)).isCancelled().hasLastErrorContaining(JobError.DEPENDENCY_FAILED);
        assertThat(current(grandchild)).isCancelled();
    }

    @Test
    void runPolicyDependentRunsAfterItsParentFails() {
        Job parent = create(jobs.of("parent"));
        Job cleanup =
                create(jobs.of("cleanup").dependsOn(parent.id()).onDependencyFailure(DependencyFailurePolicy.RUN));
        Job running = acquireOne();

        store.fail(running.id(), token(running), JobError.of("Boom", "x"), Optional.empty());

        assertThat(current(cleanup)).isReady();
    }

    @Test
    void retriedDependencyHoldsBackARunPolicyDependentAgain() {
        Job first = create(jobs.of("first"));
        Job second = create(jobs.of("second"));
        Job cleanup = create(
                jobs.of("cleanup").dependsOn(first.id(), second.id()).onDependencyFailure(DependencyFailurePolicy.RUN));
        Job firstRunning = acquireOne();
        store.fail(firstRunning.id(), token(firstRunning), JobError.of("Boom", "x"), Optional.empty());
        assertThat(current(cleanup)).isPending();

        store.retry(first.id());
        Job secondRunning = acquire(10).stream()
                .filter(j -> j.id().equals(second.id()))
                .findFirst()
                .orElseThrow();
        store.complete(secondRunning.id(), token(secondRunning), Optional.empty());

        assertThat(current(cleanup))
                .as("its retried dependency runs again first")
                .isPending();
        Job firstAgain = current(first);
        store.complete(firstAgain.id(), token(firstAgain), Optional.empty());
        assertThat(current(cleanup)).isReady();
    }

    @Test
    void fanInWithManyParentsIsReleasedOnlyByTheLast() {
        var parents = new ArrayList<Job>();
        for (int i = 0; i < 5; i++) {
            parents.add(create(jobs.of("parent")));
        }
        Job join =
                create(jobs.of("join").dependsOn(parents.stream().map(Job::id).toArray(UUID[]::new)));
        List<Job> running = acquire(10);
        assertThat(running).hasSize(5);

        for (int i = 0; i < 4; i++) {
            store.complete(running.get(i).id(), token(running.get(i)), Optional.empty());
            assertThat(current(join)).isPending();
        }
        store.complete(running.get(4).id(), token(running.get(4)), Optional.empty());
        assertThat(current(join)).isReady();
    }

    @Test
    void cancellingAWaitingParentCancelsItsDependents() {
        Job parent = create(jobs.of("parent"));
        Job child = create(jobs.of("child").dependsOn(parent.id()));

        Transition cancelled = store.cancel(parent.id());

        assertThat(cancelled.dependents()).extracting(Job::id).containsExactly(child.id());
        assertThat(current(child)).isCancelled();
    }

    @Test
    void dependencyOnAFinishedJobResolvesAtCreation() {
        Job parent = create(jobs.of("parent"));
        Job running = acquireOne();
        store.complete(running.id(), token(running), Optional.empty());
        Job failedParent = create(jobs.of("failed"));
        Job failedRunning = acquireOne();
        store.fail(failedRunning.id(), token(failedRunning), JobError.of("Boom", "x"), Optional.empty());

        assertThat(create(jobs.of("after-success").dependsOn(parent.id()))).isReady();
        assertThat(create(jobs.of("after-failure").dependsOn(failedParent.id())))
                .isCancelled();
    }

    /**
     * A batch whose member is cancelled at creation (its stored dependency failed) carries that to
     * the members depending on it, counting their other dependencies in the batch as unfinished,
     * whatever the order of the batch.
     */
    @Test
    void aMemberCancelledAtCreationLeavesARunPolicyMemberWaitingForTheRest() {
        Job failedParent = create(jobs.of("failed"));
        Job failedRunning = acquireOne();
        store.fail(failedRunning.id(), token(failedRunning), JobError.of("Boom", "x"), Optional.empty());
        var doomed = jobs.of("doomed").dependsOn(failedParent.id());
        var other = jobs.of("other");
        var cleanup =
                jobs.of("cleanup").dependsOn(doomed.id(), other.id()).onDependencyFailure(DependencyFailurePolicy.RUN);
        var lateDoomed = jobs.of("late-doomed").dependsOn(failedParent.id());
        var lateCleanup = jobs.of("late-cleanup")
                .dependsOn(lateDoomed.id(), other.id())
                .onDependencyFailure(DependencyFailurePolicy.RUN);
        store.create(List.of(doomed.build(), cleanup.build(), lateCleanup.build(), other.build(), lateDoomed.build()));

        assertThat(store.get(doomed.id()).orElseThrow()).isCancelled();
        assertThat(store.get(lateDoomed.id()).orElseThrow()).isCancelled();
        assertThat(store.get(cleanup.id()).orElseThrow()).isPending();
        assertThat(store.get(lateCleanup.id()).orElseThrow()).isPending();

        Job running = acquireOne();
        assertThat(running.id()).isEqualTo(other.id());
        store.complete(running.id(), token(running), Optional.empty());
        assertThat(store.get(cleanup.id()).orElseThrow()).isReady();
        assertThat(store.get(lateCleanup.id()).orElseThrow()).isReady();
    }

    @Test
    void retryingAFailedParentRevivesTheDependentsItsFailureCancelled() {
        Job parent = create(jobs.of("parent"));
        Job child = create(jobs.of("child").dependsOn(parent.id()));
        Job running = acquireOne();
        store.fail(running.id(), token(running), JobError.of("Boom", "x"), Optional.empty());
        assertThat(current(child)).isCancelled();

        Transition retried = store.retry(parent.id());

        assertThat(retried.dependents()).extracting(Job::id).containsExactly(child.id());
        assertThat(current(child)).isPending();
        Job again = acquireOne();
        store.complete(again.id(), token(again), Optional.empty());
        assertThat(current(child)).isReady();
    }

    @Test
    void retryOfAJobWhoseDependencyFailedIsRefused() {
        Job parent = create(jobs.of("parent"));
        Job child = create(jobs.of("child").dependsOn(parent.id()));
        Job running = acquireOne();
        store.fail(running.id(), token(running), JobError.of("Boom", "x"), Optional.empty());

        assertThatThrownBy(() -> store.retry(child.id()))
                .isInstanceOf(InvalidTransitionException.class)
                .hasMessageContaining("dependency");
    }
}
