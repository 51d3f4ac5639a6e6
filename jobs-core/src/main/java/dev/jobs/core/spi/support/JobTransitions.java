package dev.jobs.core.spi.support;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jobs.core.Attempt;
import dev.jobs.core.InvalidTransitionException;
import dev.jobs.core.Job;
import dev.jobs.core.JobError;
import dev.jobs.core.JobLimits;
import dev.jobs.core.JobState;
import dev.jobs.core.JobValidationException;
import dev.jobs.core.LeaseLostException;
import dev.jobs.core.spi.JobStore;
import dev.jobs.core.spi.NewJob;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The next snapshot of a job for each operation of {@link JobStore}, so that every store derives
 * the same fields the same way (attempt counting, lease clearing, timestamps, errors) and checks
 * each move against {@link JobState}'s table. A store loads the job (locked), asks this class for
 * the next snapshot, and writes it back. Stateless and thread-safe.
 */
public final class JobTransitions {
    private static final Set<JobState> RUNNING = EnumSet.of(JobState.RUNNING);

    private JobTransitions() {}

    /**
     * Refuses a move unless the job is in one of the states this move starts from and the table
     * allows the move: a move the table allows from elsewhere (a scheduled job is "released" to
     * {@code READY}) would skip what the move derives, such as the run it records.
     */
    private static void requireMove(Job job, Set<JobState> from, JobState target, String whatToDo) {
        if (!from.contains(job.state())) {
            throw new InvalidTransitionException(
                    job.id(), job.state(), "cannot move to " + target + " this way; " + whatToDo);
        }
        job.state().requireTransitionTo(target, job.id(), whatToDo);
    }

    /** A new job's first snapshot. */
    public static Job created(NewJob spec, List<UUID> dependsOn, Instant now) {
        JobState initial = dependsOn.isEmpty()
                ? (spec.runAt().isAfter(now) ? JobState.SCHEDULED : JobState.READY)
                : JobState.PENDING;
        return Job.builder()
                .id(spec.id())
                .queue(spec.queue())
                .type(spec.type())
                .payload(spec.payload())
                .priority(spec.priority())
                .state(initial)
                .runAt(spec.runAt())
                .maxAttempts(spec.maxAttempts())
                .timeout(spec.timeout().orElse(null))
                .dependsOn(dependsOn)
                .onDependencyFailure(spec.onDependencyFailure())
                .uniqueKey(spec.uniqueKey().orElse(null))
                .concurrencyKey(spec.concurrencyKey().orElse(null))
                .createdAt(now)
                .updatedAt(now)
                .metadata(spec.metadata())
                .retryPolicy(spec.retryPolicy().orElse(null))
                .build();
    }

    /**
     * The job if {@code leaseToken} is its current lease; otherwise the fencing refusal.
     *
     * @param job the job as the store holds it, empty if it no longer exists
     */
    public static Job requireLease(Optional<Job> job, UUID jobId, UUID leaseToken) {
        Job current = job.orElseThrow(() -> new LeaseLostException(jobId, "the job no longer exists"));
        Optional<LeaseLostException> refused =
                leaseRefusal(jobId, current.state(), current.leaseToken(), current.leaseOwner(), leaseToken);
        if (refused.isPresent()) {
            throw refused.get();
        }
        return current;
    }

    /**
     * Why work under {@code leaseToken} is refused, given the job's state and current lease; empty
     * when the lease is still the job's. For a store that reads only these columns to fence a batch.
     */
    public static Optional<LeaseLostException> leaseRefusal(
            UUID jobId, JobState state, Optional<UUID> currentToken, Optional<String> owner, UUID leaseToken) {
        if (state != JobState.RUNNING) {
            return Optional.of(new LeaseLostException(jobId, "the job is " + state + " now"));
        }
        if (!currentToken.orElseThrow().equals(leaseToken)) {
            return Optional.of(new LeaseLostException(jobId, "it was leased again, to worker " + owner.orElse("?")));
        }
        return Optional.empty();
    }

    /** Acquired by a worker: a counted attempt under a fresh lease. */
    public static Job acquired(Job job, String workerId, UUID leaseToken, Duration leaseDuration, Instant now) {
        job.state().requireTransitionTo(JobState.RUNNING, job.id(), "it is not claimable");
        return job.toBuilder()
                .state(JobState.RUNNING)
                .attempt(job.attempt() + 1)
                .lease(workerId, leaseToken, now.plus(leaseDuration))
                .cancelRequested(false)
                .progress(0)
                .progressMessage(null)
                .startedAt(now)
                .updatedAt(now)
                .build();
    }

    /** The lease renewed to {@code expiresAt}. */
    public static Job heartbeat(Job running, Instant expiresAt, Instant now) {
        return running.toBuilder()
                .lease(running.leaseOwner().orElseThrow(), running.leaseToken().orElseThrow(), expiresAt)
                .updatedAt(now)
                .build();
    }

    /**
     * Progress recorded.
     *
     * @throws IllegalArgumentException if {@code progress} is not 0 to 100
     */
    public static Job progressed(Job running, int progress, Optional<String> message, Instant now) {
        requireProgress(progress);
        return running.toBuilder()
                .progress(progress)
                .progressMessage(message.orElse(null))
                .updatedAt(now)
                .build();
    }

    /**
     * Checks a progress value before any store work is done.
     *
     * @throws JobValidationException naming {@code progress} unless it is 0 to 100
     */
    public static void requireProgress(int progress) {
        if (progress < 0 || progress > 100) {
            throw JobValidationException.of("progress", "must be 0 to 100, was " + progress);
        }
    }

    public static Job succeeded(Job running, Optional<JsonNode> result, Instant now) {
        running.state().requireTransitionTo(JobState.SUCCEEDED, running.id(), "only a running job succeeds");
        return ended(running, Attempt.Outcome.SUCCEEDED, Optional.empty(), now)
                .state(JobState.SUCCEEDED)
                .result(result.orElse(null))
                .progress(100)
                .clearLease()
                .finishedAt(now)
                .updatedAt(now)
                .build();
    }

    /** A failed attempt: {@code RETRYING} at {@code retryAt}, or {@code FAILED} when empty. */
    public static Job failed(Job running, JobError error, Optional<Instant> retryAt, Instant now) {
        var next = ended(running, Attempt.Outcome.FAILED, Optional.of(error), now)
                .lastError(error)
                .clearLease()
                .updatedAt(now);
        Job failed = retryAt.isPresent()
                ? next.state(JobState.RETRYING).runAt(retryAt.get()).build()
                : next.state(JobState.FAILED).finishedAt(now).build();
        running.state().requireTransitionTo(failed.state(), running.id(), "only a running job fails");
        return failed;
    }

    /** Cancelled, with the reason as its last error. */
    public static Job cancelled(Job job, JobError reason, Instant now) {
        job.state().requireTransitionTo(JobState.CANCELLED, job.id(), "it has already finished; nothing to cancel");
        var next = job.state() == JobState.RUNNING
                ? ended(job, Attempt.Outcome.CANCELLED, Optional.of(reason), now)
                : job.toBuilder();
        return next.state(JobState.CANCELLED)
                .lastError(reason)
                .clearLease()
                .finishedAt(now)
                .updatedAt(now)
                .build();
    }

    /** The reason recorded when an operator cancels a waiting job. */
    public static JobError operatorCancellation() {
        return JobError.of("Cancelled", "cancelled by an operator");
    }

    /** A running job flagged so its worker stops it. */
    public static Job cancelRequested(Job running, Instant now) {
        return running.toBuilder().cancelRequested(true).updatedAt(now).build();
    }

    /** Run again at {@code runAt}; the attempt does not count. */
    public static Job snoozed(Job running, Instant runAt, Instant now) {
        JobState state = runAt.isAfter(now) ? JobState.SCHEDULED : JobState.READY;
        requireMove(running, RUNNING, state, "only a running job snoozes");
        return ended(running, Attempt.Outcome.SNOOZED, Optional.empty(), now)
                .state(state)
                .runAt(runAt)
                .attempt(running.attempt() - 1)
                .clearLease()
                .updatedAt(now)
                .build();
    }

    /** Given back unfinished; the attempt does not count. */
    public static Job released(Job running, Instant now) {
        requireMove(running, RUNNING, JobState.READY, "only a running job is given back");
        return ended(running, Attempt.Outcome.RELEASED, Optional.empty(), now)
                .state(JobState.READY)
                .attempt(running.attempt() - 1)
                .clearLease()
                .updatedAt(now)
                .build();
    }

    /** A due scheduled job shown as ready. */
    public static Job promoted(Job scheduled, Instant now) {
        requireMove(scheduled, EnumSet.of(JobState.SCHEDULED), JobState.READY, "only a scheduled job is promoted");
        return scheduled.toBuilder().state(JobState.READY).updatedAt(now).build();
    }

    /**
     * A running job whose lease lapsed: cancelled if cancellation was asked, otherwise a failed
     * attempt that retries at {@code retryAt} or fails for good.
     */
    public static Job lapsed(Job running, Optional<Instant> retryAt, Instant now) {
        requireMove(running, RUNNING, JobState.FAILED, "only a running job's lease lapses");
        String owner = running.leaseOwner().orElse("?");
        return endedUnreported(
                running,
                JobError.of(
                        JobError.LEASE_EXPIRED,
                        "the lease of worker " + owner + " lapsed at "
                                + running.leaseExpiresAt().orElseThrow()
                                + " before it reported an outcome (crashed or lost the store?)"),
                retryAt,
                now);
    }

    /**
     * A running job whose worker was declared dead ({@link JobStore#reapDeadWorkers}): ended like a
     * lapsed lease, whether or not the lease has run out yet.
     */
    public static Job abandoned(Job running, Instant lastHeartbeat, Optional<Instant> retryAt, Instant now) {
        requireMove(running, RUNNING, JobState.FAILED, "only a running job is taken back from a dead worker");
        String owner = running.leaseOwner().orElse("?");
        return endedUnreported(
                running,
                JobError.of(
                        JobError.WORKER_DIED,
                        "worker " + owner + " was declared dead at " + now + ": it last reported at " + lastHeartbeat
                                + " (crashed, or cut off from the store?)"),
                retryAt,
                now);
    }

    /**
     * A builder for the snapshot after a run ends: the run added to the job's history (the oldest
     * dropped past {@link JobLimits#MAX_ATTEMPT_HISTORY}). Every way out of {@code RUNNING} goes
     * through here, so no store can forget a run.
     */
    private static Job.Builder ended(Job running, Attempt.Outcome outcome, Optional<JobError> error, Instant now) {
        var run = new Attempt(
                running.attempt(),
                running.leaseOwner().orElse("?"),
                running.startedAt().orElse(now),
                now,
                outcome,
                error.map(e -> JobError.of(e.type(), shortened(e.message()))));
        var history = new ArrayList<>(running.attempts());
        history.add(run);
        if (history.size() > JobLimits.MAX_ATTEMPT_HISTORY) {
            history.subList(0, history.size() - JobLimits.MAX_ATTEMPT_HISTORY).clear();
        }
        return running.toBuilder().attempts(history);
    }

    private static String shortened(String message) {
        return message.length() <= JobLimits.MAX_ATTEMPT_ERROR_CHARS
                ? message
                : Storable.cut(message, JobLimits.MAX_ATTEMPT_ERROR_CHARS - 1) + "…";
    }

    /** An attempt whose worker went away without an outcome: cancelled if that was asked, else failed. */
    private static Job endedUnreported(Job running, JobError error, Optional<Instant> retryAt, Instant now) {
        if (running.cancelRequested()) {
            return cancelled(
                    running, JobError.of(error.type(), "cancellation was requested; then " + error.message()), now);
        }
        return failed(running, error, retryAt, now);
    }

    /**
     * A pending job whose dependencies call for {@code target} ({@link DependencyRule#resolve}).
     *
     * @param culprit the failed or cancelled dependency, when {@code target} is {@code CANCELLED}
     */
    public static Job settled(Job pending, JobState target, Optional<Job> culprit, Instant now) {
        requireMove(pending, EnumSet.of(JobState.PENDING), target, "only a job waiting on dependencies is settled");
        var next = pending.toBuilder().state(target).updatedAt(now);
        if (target == JobState.CANCELLED) {
            String because = culprit.map(c -> "dependency " + c.id() + " ended " + c.state())
                    .orElse("a dependency failed");
            next.finishedAt(now).lastError(JobError.of(JobError.DEPENDENCY_FAILED, because));
        }
        return next.build();
    }

    /** Whether the cascade cancelled this job because a dependency failed. */
    public static boolean cancelledByDependency(Job job) {
        return job.state() == JobState.CANCELLED
                && job.lastError()
                        .map(e -> e.type().equals(JobError.DEPENDENCY_FAILED))
                        .orElse(false);
    }

    /** Back in play after an operator's retry, with at least one attempt left. */
    public static Job reopened(Job finished, JobState state, Instant now) {
        requireMove(
                finished,
                EnumSet.of(JobState.FAILED, JobState.CANCELLED),
                state,
                "only failed or cancelled jobs can be retried");
        return finished.toBuilder()
                .state(state)
                .runAt(now)
                .maxAttempts(Math.max(finished.maxAttempts(), finished.attempt() + 1))
                .result(null)
                .progress(0)
                .progressMessage(null)
                .finishedAt(null)
                .updatedAt(now)
                .build();
    }
}
