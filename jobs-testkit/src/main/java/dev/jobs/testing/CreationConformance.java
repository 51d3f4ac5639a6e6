package dev.jobs.testing;

import static dev.jobs.testing.JobAssert.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jobs.core.IdempotencyKeyReusedException;
import dev.jobs.core.Job;
import dev.jobs.core.JobQuery;
import dev.jobs.core.JobValidationException;
import dev.jobs.core.PurgeRequest;
import dev.jobs.core.spi.NewJob;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The {@link JobStore} contract, area by area: creating jobs: fields kept, a future runAt
 * scheduled, unknown dependencies refused, unique and idempotency keys. Extend it and make a
 * store as {@link StoreConformance#createStore} says, or extend {@link JobStoreConformanceTest}
 * for every area.
 */
public abstract class CreationConformance extends StoreConformance {
    @Test
    void createdJobWithoutDependenciesIsReadyWithItsFields() {
        Job job = create(jobs.of("email.send")
                .queue("mail")
                .priority(7)
                .payload("{\"to\":\"a@example.com\"}")
                .maxAttempts(4)
                .timeout(Duration.ofSeconds(9))
                .metadata(Map.of("tenant", "t1")));

        assertThat(job).isReady().hasAttempts(0);
        Job stored = current(job);
        assertThat(stored.queue()).isEqualTo("mail");
        assertThat(stored.type()).isEqualTo("email.send");
        assertThat(stored.priority()).isEqualTo(7);
        assertThat(stored.payload().get("to").asText()).isEqualTo("a@example.com");
        assertThat(stored.maxAttempts()).isEqualTo(4);
        assertThat(stored.timeout()).contains(Duration.ofSeconds(9));
        assertThat(stored.metadata()).containsEntry("tenant", "t1");
        assertThat(stored.createdAt()).isEqualTo(clock.instant());
        assertThat(stored.leaseToken()).isEmpty();
    }

    @Test
    void jobWithFutureRunAtIsScheduledAndOnlyAcquiredOnceDue() {
        Job job = create(jobs.of("later").runAt(clock.instant().plusSeconds(60)));

        assertThat(job).isScheduled();
        assertThat(acquire(10)).isEmpty();
        assertThat(store.earliestRunAt(Set.of("default")))
                .contains(clock.instant().plusSeconds(60));

        clock.advance(Duration.ofSeconds(60));
        assertThat(acquire(10)).extracting(Job::id).containsExactly(job.id());
    }

    @Test
    void unknownDependencyRejectsTheWholeBatchAndStoresNothing() {
        NewJob fine = jobs.of("fine").build();
        NewJob broken = jobs.of("broken").dependsOn(UUID.randomUUID()).build();

        assertThatThrownBy(() -> store.create(List.of(fine, broken)))
                .isInstanceOfSatisfying(
                        JobValidationException.class,
                        e -> assertThat(e.errors())
                                .extracting(JobValidationException.FieldError::field)
                                .containsExactly("[1].dependsOn"));
        assertThat(store.get(fine.id())).isEmpty();
        assertThat(store.list(JobQuery.all()).jobs()).isEmpty();
    }

    @Test
    void uniqueKeyReturnsTheUnfinishedHolderAndFreesOnFinish() {
        Job first = create(jobs.of("t").uniqueKey("report-42"));
        Job duplicate = create(jobs.of("t").uniqueKey("report-42"));
        assertThat(duplicate.id()).isEqualTo(first.id());
        assertThat(store.list(JobQuery.all()).jobs()).hasSize(1);

        Job running = acquireOne();
        store.complete(running.id(), token(running), Optional.empty());

        Job next = create(jobs.of("t").uniqueKey("report-42"));
        assertThat(next.id()).isNotEqualTo(first.id());
        assertThat(next).isReady();
    }

    @Test
    void uniqueKeyInsideOneBatchCreatesOneJobAndRewiresDependents() {
        var first = jobs.of("t").uniqueKey("k");
        var second = jobs.of("t").uniqueKey("k");
        var child = jobs.of("child").dependsOn(second.id());

        List<Job> created = store.create(List.of(first.build(), second.build(), child.build()));

        assertThat(created.get(1).id()).isEqualTo(first.id());
        assertThat(created.get(2).dependsOn()).containsExactly(first.id());
        assertThat(store.list(JobQuery.all()).jobs()).hasSize(2);
    }

    @Test
    void idempotencyKeyReturnsTheFirstJobEvenAfterItFinishesUntilItIsPurged() {
        Job first = create(jobs.of("t").idempotencyKey("req-1", "fp-a"));
        Job repeat = create(jobs.of("t").idempotencyKey("req-1", "fp-a"));
        assertThat(repeat.id()).isEqualTo(first.id());

        Job running = acquireOne();
        store.complete(running.id(), token(running), Optional.empty());
        Job afterFinish = create(jobs.of("t").idempotencyKey("req-1", "fp-a"));
        assertThat(afterFinish.id()).isEqualTo(first.id());
        assertThat(afterFinish).isSucceeded();
        assertThat(store.list(JobQuery.all()).jobs()).hasSize(1);

        clock.advance(Duration.ofDays(1));
        assertThat(store.purge(PurgeRequest.finishedBefore(clock.instant()))).isEqualTo(1);
        Job afterPurge = create(jobs.of("t").idempotencyKey("req-1", "fp-a"));
        assertThat(afterPurge.id()).isNotEqualTo(first.id());
        assertThat(afterPurge).isReady();
    }

    @Test
    void idempotencyKeyReusedForADifferentRequestIsRefusedAndTheWholeBatchWithIt() {
        Job first = create(jobs.of("t").idempotencyKey("req-1", "fp-a"));

        var innocent = jobs.of("t");
        var reused = jobs.of("t").idempotencyKey("req-1", "fp-b");
        assertThatThrownBy(() -> store.create(List.of(innocent.build(), reused.build())))
                .isInstanceOfSatisfying(IdempotencyKeyReusedException.class, e -> {
                    assertThat(e.key()).isEqualTo("req-1");
                    assertThat(e.existingJobId()).isEqualTo(first.id());
                });
        var twiceInOneBatch = List.of(
                jobs.of("t").idempotencyKey("req-2", "fp-a").build(),
                jobs.of("t").idempotencyKey("req-2", "fp-b").build());
        assertThatThrownBy(() -> store.create(twiceInOneBatch)).isInstanceOf(IdempotencyKeyReusedException.class);

        assertThat(store.list(JobQuery.all()).jobs()).extracting(Job::id).containsExactly(first.id());
        assertThat(create(jobs.of("t").idempotencyKey("req-2", "fp-b"))).isReady();
    }

    @Test
    void idempotencyKeyAnsweredByAUniqueKeyHolderKeepsReturningThatHolder() {
        Job holder = create(jobs.of("t").uniqueKey("nightly"));
        Job answered = create(jobs.of("t").uniqueKey("nightly").idempotencyKey("req-1", "fp-a"));
        assertThat(answered.id()).isEqualTo(holder.id());

        Job running = acquireOne();
        store.complete(running.id(), token(running), Optional.empty());
        // The unique key is free now; the repeat still gets the job its first request got.
        Job repeat = create(jobs.of("t").uniqueKey("nightly").idempotencyKey("req-1", "fp-a"));
        assertThat(repeat.id()).isEqualTo(holder.id());
        assertThat(store.list(JobQuery.all()).jobs()).hasSize(1);
    }

    @Test
    void idempotencyKeyRepeatedInsideOneBatchCreatesOneJobAndRewiresDependents() {
        var first = jobs.of("t").idempotencyKey("k", "fp");
        var second = jobs.of("t").idempotencyKey("k", "fp");
        var child = jobs.of("child").dependsOn(second.id());

        List<Job> created = store.create(List.of(first.build(), second.build(), child.build()));

        assertThat(created.get(1).id()).isEqualTo(first.id());
        assertThat(created.get(2).dependsOn()).containsExactly(first.id());
        assertThat(store.list(JobQuery.all()).jobs()).hasSize(2);
    }

    @Test
    void creatorsRacingWithOneIdempotencyKeyCreateOneJob() throws Exception {
        int creators = 6;
        int rounds = 10;
        ExecutorService pool = Executors.newFixedThreadPool(creators);
        try {
            for (int round = 0; round < rounds; round++) {
                String key = "race-" + round;
                var start = new CountDownLatch(1);
                var results = new ArrayList<Future<Job>>();
                for (int c = 0; c < creators; c++) {
                    var draft = jobs.of("t").idempotencyKey(key, "fp");
                    results.add(pool.submit(() -> {
                        start.await();
                        return store.create(List.of(draft.build())).get(0);
                    }));
                }
                start.countDown();
                var ids = new HashSet<UUID>();
                for (Future<Job> result : results) {
                    ids.add(result.get(JobsTesting.BULK_WORK.toSeconds(), TimeUnit.SECONDS)
                            .id());
                }
                assertThat(ids).as("jobs returned for key %s", key).hasSize(1);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(store.list(JobQuery.all().withLimit(100)).jobs()).hasSize(rounds);
    }
}
