package dev.jobs.testing;

import static dev.jobs.testing.JobAssert.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.within;

import dev.jobs.core.FinishedInMinute;
import dev.jobs.core.Job;
import dev.jobs.core.JobError;
import dev.jobs.core.JobPage;
import dev.jobs.core.JobQuery;
import dev.jobs.core.JobState;
import dev.jobs.core.PurgeRequest;
import dev.jobs.core.QueueCounts;
import dev.jobs.core.QueueStats;
import dev.jobs.core.spi.Completion;
import dev.jobs.core.spi.NewJob;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The {@link JobStore} contract, area by area: what the store is asked: pages of jobs by filter,
 * counts per queue and state, throughput and run times, and retention. Extend it and make a store
 * as {@link StoreConformance#createStore} says, or extend {@link JobStoreConformanceTest} for
 * every area.
 */
public abstract class QueryConformance extends StoreConformance {
    @Test
    void listPagesNewestFirstWithAStableKeysetCursor() {
        var created = new ArrayList<Job>();
        for (int i = 0; i < 7; i++) {
            created.add(create(jobs.of("t")));
            clock.advance(Duration.ofMillis(1));
        }

        JobPage first = store.list(JobQuery.all().withLimit(3));
        create(jobs.of("t")); // a newer job must not shift the pages already handed out
        JobPage second = store.list(
                JobQuery.all().withLimit(3).withCursor(first.nextCursor().orElseThrow()));
        JobPage third = store.list(
                JobQuery.all().withLimit(3).withCursor(second.nextCursor().orElseThrow()));

        assertThat(first.jobs())
                .extracting(Job::id)
                .containsExactly(
                        created.get(6).id(), created.get(5).id(), created.get(4).id());
        assertThat(second.jobs())
                .extracting(Job::id)
                .containsExactly(
                        created.get(3).id(), created.get(2).id(), created.get(1).id());
        assertThat(third.jobs())
                .extracting(Job::id)
                .containsExactly(created.get(0).id());
        assertThat(third.nextCursor()).isEmpty();
    }

    @Test
    void listFindsTheChildrenOfAJob() {
        Job parent = create(jobs.of("parent"));
        Job other = create(jobs.of("other"));
        Job first = create(jobs.of("child").dependsOn(parent.id()));
        Job both = create(jobs.of("child").dependsOn(parent.id(), other.id()));
        create(jobs.of("child").dependsOn(other.id()));

        assertThat(store.list(JobQuery.all().withDependsOn(parent.id())).jobs())
                .extracting(Job::id)
                .containsExactly(both.id(), first.id());
        assertThat(store.list(JobQuery.all().withDependsOn(first.id())).jobs()).isEmpty();
    }

    @Test
    void listFiltersByStateQueueTypeAndCreationTime() {
        create(jobs.of("a").queue("q1"));
        clock.advance(Duration.ofMinutes(1));
        Instant since = clock.instant();
        Job b = create(jobs.of("b").queue("q1"));
        Job c = create(jobs.of("c").queue("q2"));
        store.cancel(c.id());

        assertThat(store.list(JobQuery.all().withQueue("q1")).jobs()).hasSize(2);
        assertThat(store.list(JobQuery.all().withTypes("b", "c")).jobs())
                .extracting(Job::id)
                .containsExactlyInAnyOrder(b.id(), c.id());
        assertThat(store.list(JobQuery.all().withStates(JobState.CANCELLED)).jobs())
                .extracting(Job::id)
                .containsExactly(c.id());
        assertThat(store.list(JobQuery.all().withSince(since).withQueue("q1")).jobs())
                .extracting(Job::id)
                .containsExactly(b.id());
    }

    @Test
    void countsPerQueueAndState() {
        create(jobs.of("t").queue("a"));
        create(jobs.of("t").queue("a"));
        create(jobs.of("t").queue("b").runAt(clock.instant().plusSeconds(5)));
        acquire(1, "a");

        var byQueue = new java.util.HashMap<String, QueueCounts>();
        store.counts().forEach(c -> byQueue.put(c.queue(), c));

        assertThat(byQueue.get("a").count(JobState.READY)).isEqualTo(1);
        assertThat(byQueue.get("a").count(JobState.RUNNING)).isEqualTo(1);
        assertThat(byQueue.get("b").count(JobState.SCHEDULED)).isEqualTo(1);
        assertThat(byQueue.get("b").count(JobState.READY)).isZero();
    }

    @Test
    void countsStayExactThroughEveryWayAJobEntersOrLeavesAFinalState() {
        var ids = new ArrayList<UUID>();
        for (int i = 0; i < 6; i++) {
            ids.add(create(jobs.of("t").queue("tally")).id());
        }
        Job completed = acquire(1, "tally").get(0);
        store.complete(completed.id(), token(completed), Optional.empty());
        List<Job> batch = acquire(2, "tally");
        store.completeAll(
                batch.stream().map(job -> new Completion(job, Optional.empty())).toList());
        Job failedParent = acquire(1, "tally").get(0);
        Job child = create(jobs.of("t").queue("tally").dependsOn(failedParent.id()));
        ids.add(child.id());
        store.fail(failedParent.id(), token(failedParent), JobError.of("Boom", "for good"), Optional.empty());
        Job bornCancelled = create(jobs.of("t").queue("tally").dependsOn(failedParent.id()));
        ids.add(bornCancelled.id());
        Job retrying = acquire(1, "tally").get(0);
        store.fail(
                retrying.id(),
                token(retrying),
                JobError.of("Boom", "again"),
                Optional.of(clock.instant().plusSeconds(3600)));
        Job cancelledWhileRunning = acquire(1, "tally", "other").get(0);
        store.cancelRunning(cancelledWhileRunning.id(), token(cancelledWhileRunning), JobError.of("Stop", "asked"));
        ids.add(store.cancel(create(jobs.of("t").queue("other")).id()).job().id());
        Job lapsed = create(jobs.of("t").queue("other"));
        ids.add(lapsed.id());
        acquire(1, "other");
        clock.advance(LEASE.plusSeconds(1));
        store.reclaimExpiredLeases(10, job -> Optional.empty());
        assertCountsMatchTheJobs(ids);

        store.retry(failedParent.id()); // back to work, and its cancelled dependents back to waiting
        store.retry(lapsed.id());
        assertCountsMatchTheJobs(ids);

        clock.advance(Duration.ofMinutes(1));
        assertThat(store.purge(PurgeRequest.finishedBefore(clock.instant()))).isPositive();
        ids.removeIf(id -> store.get(id).isEmpty());
        assertCountsMatchTheJobs(ids);
    }

    /** The store's counts equal those of the jobs read one by one, and no queue is listed empty. */
    private void assertCountsMatchTheJobs(List<UUID> ids) {
        var expected = new java.util.TreeMap<String, Map<JobState, Long>>();
        for (UUID id : ids) {
            store.get(id)
                    .ifPresent(
                            job -> expected.computeIfAbsent(job.queue(), q -> new java.util.EnumMap<>(JobState.class))
                                    .merge(job.state(), 1L, Long::sum));
        }
        var counted = new java.util.TreeMap<String, Map<JobState, Long>>();
        for (QueueCounts queue : store.counts()) {
            var nonZero = new java.util.EnumMap<JobState, Long>(JobState.class);
            queue.byState().forEach((state, n) -> {
                if (n != 0) {
                    nonZero.put(state, n);
                }
            });
            counted.put(queue.queue(), nonZero);
        }
        assertThat(counted).isEqualTo(expected);
    }

    @Test
    void queueStatsCountOutcomesAndAverageRunTimesOfJobsFinishedInTheWindow() {
        runFor(Duration.ofSeconds(30), true); // finishes before the window: not counted
        clock.advance(Duration.ofMinutes(1));
        Instant windowStart = clock.instant();
        runFor(Duration.ofSeconds(2), true);
        runFor(Duration.ofSeconds(4), true);
        runFor(Duration.ofSeconds(6), false);
        store.cancel(create(jobs.of("t").queue("stats")).id()); // a cancellation says nothing of the work

        List<QueueStats> stats = store.queueStats(windowStart);

        assertThat(stats).singleElement().satisfies(queue -> {
            assertThat(queue.queue()).isEqualTo("stats");
            assertThat(queue.succeeded()).isEqualTo(2);
            assertThat(queue.failed()).isEqualTo(1);
            assertThat(queue.averageRunTime()).hasValue(Duration.ofSeconds(4));
            assertThat(queue.successRate())
                    .hasValueSatisfying(rate -> assertThat(rate).isCloseTo(2 / 3.0, within(1e-9)));
        });
        assertThat(store.queueStats(clock.instant().plusSeconds(1))).isEmpty();
    }

    @Test
    void finishedJobsAreCountedPerMinute() {
        Instant since = clock.instant();
        Instant firstMinute = since.truncatedTo(ChronoUnit.MINUTES);
        runFor(Duration.ofMillis(10), true);
        runFor(Duration.ofMillis(10), false);
        clock.advance(Duration.ofMinutes(2));
        runFor(Duration.ofMillis(10), true);
        store.cancel(create(jobs.of("t").queue("stats")).id());

        assertThat(store.finishedPerMinute(since))
                .containsExactly(
                        new FinishedInMinute(firstMinute, 1, 1),
                        new FinishedInMinute(firstMinute.plus(Duration.ofMinutes(2)), 1, 0));
        assertThat(store.finishedPerMinute(clock.instant().plusSeconds(60))).isEmpty();
    }

    /** Runs one job on queue "stats" for {@code duration}, ending it succeeded or failed for good. */
    private void runFor(Duration duration, boolean succeed) {
        create(jobs.of("t").queue("stats"));
        Job running = acquire(1, "stats").get(0);
        clock.advance(duration);
        if (succeed) {
            store.complete(running.id(), token(running), Optional.empty());
        } else {
            store.fail(running.id(), token(running), JobError.of("Boom", "failed"), Optional.empty());
        }
    }

    @Test
    void purgeDeletesOldAndSurplusFinishedJobsAndKeepsUnfinishedOnes() {
        var finished = new ArrayList<Job>();
        for (int i = 0; i < 4; i++) {
            create(jobs.of("t"));
            Job running = acquireOne();
            finished.add(store.complete(running.id(), token(running), Optional.empty())
                    .job());
            clock.advance(Duration.ofHours(1));
        }
        Job waiting = create(jobs.of("t").runAt(clock.instant().plus(Duration.ofDays(1))));

        int byAge = store.purge(PurgeRequest.finishedBefore(
                finished.get(1).finishedAt().orElseThrow().plusSeconds(1)));
        assertThat(byAge).isEqualTo(2);
        int byCount = store.purge(PurgeRequest.keepLatestPerQueue(1));
        assertThat(byCount).isEqualTo(1);

        assertThat(store.get(finished.get(3).id())).isPresent();
        assertThat(store.get(finished.get(0).id())).isEmpty();
        assertThat(store.get(waiting.id())).isPresent();
    }

    @Test
    void purgeDeletesEveryDueJobHoweverManyAndKeepsTheNewestOfEachQueue() {
        int jobsPerQueue = 1_300; // more than a store's batch of deletions, where it has one
        finishMany("a", jobsPerQueue);
        Instant afterA = clock.instant();
        clock.advance(Duration.ofHours(1));
        finishMany("b", jobsPerQueue);
        Job recent = create(jobs.of("t").queue("a"));
        store.complete(recent.id(), token(acquire(1, "a").get(0)), Optional.empty());

        assertThat(store.purge(PurgeRequest.finishedBefore(afterA)))
                .as("every job of a but the recent one")
                .isEqualTo(jobsPerQueue);
        assertThat(store.purge(PurgeRequest.keepLatestPerQueue(100)))
                .as("all but the newest 100 of b; a holds only one")
                .isEqualTo(jobsPerQueue - 100);
        assertThat(store.get(recent.id())).isPresent();
        assertThat(store.counts())
                .extracting(QueueCounts::queue, c -> c.count(JobState.SUCCEEDED))
                .containsExactlyInAnyOrder(tuple("a", 1L), tuple("b", 100L));
    }

    /** Creates and completes this many jobs on a queue, their finishes a millisecond apart per hundred. */
    private void finishMany(String queue, int count) {
        var specs = new ArrayList<NewJob>();
        for (int i = 0; i < count; i++) {
            specs.add(jobs.of("t").queue(queue).build());
        }
        store.create(specs);
        for (int done = 0; done < count; ) {
            List<Job> running = acquire(100, queue);
            store.completeAll(running.stream()
                    .map(job -> new Completion(job, Optional.empty()))
                    .toList());
            done += running.size();
            clock.advance(Duration.ofMillis(1));
        }
    }
}
