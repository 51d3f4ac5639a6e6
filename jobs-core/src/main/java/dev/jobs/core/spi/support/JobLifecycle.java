package dev.jobs.core.spi.support;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jobs.core.HeartbeatResult;
import dev.jobs.core.InvalidTransitionException;
import dev.jobs.core.Job;
import dev.jobs.core.JobCheckpoint;
import dev.jobs.core.JobError;
import dev.jobs.core.JobLimits;
import dev.jobs.core.JobNotFoundException;
import dev.jobs.core.JobState;
import dev.jobs.core.JobStep;
import dev.jobs.core.JobValidationException;
import dev.jobs.core.ParentResult;
import dev.jobs.core.StepOrderException;
import dev.jobs.core.StoppedWorker;
import dev.jobs.core.WorkerIdTakenException;
import dev.jobs.core.WorkerInfo;
import dev.jobs.core.spi.DeadWorker;
import dev.jobs.core.spi.JobStore;
import dev.jobs.core.spi.JobTransaction;
import dev.jobs.core.spi.LapsedLeasePolicy;
import dev.jobs.core.spi.Transition;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The use cases of {@link JobStore} that change one job at a time, written once over a {@link
 * JobTransaction}: what a worker reports under its lease, what an operator asks (cancel, retry), and
 * what upkeep does to a job whose lease lapsed or whose worker died. A store opens the transaction
 * and calls the matching method inside it; the rules, refusals and the cascade to dependents are
 * all here and in {@link DependencyCascade}, so no store spells them again. Stateless.
 */
public final class JobLifecycle {
    private JobLifecycle() {}

    /** The job under its lock, if {@code leaseToken} is its current lease; otherwise the fencing refusal. */
    private static Job leased(JobTransaction t, UUID jobId, UUID leaseToken) {
        return JobTransitions.requireLease(t.lock(jobId), jobId, leaseToken);
    }

    /** {@link JobStore#heartbeat}. */
    public static HeartbeatResult heartbeat(JobTransaction t, UUID jobId, UUID leaseToken, Duration leaseDuration) {
        Job job = leased(t, jobId, leaseToken);
        Instant expiresAt = t.stored(t.now().plus(leaseDuration));
        t.write(job, JobTransitions.heartbeat(job, expiresAt, t.now()));
        return new HeartbeatResult(
                expiresAt, job.cancelRequested(), job.leaseOwner().orElseThrow());
    }

    /** {@link JobStore#reportProgress}: a value out of range is refused before any row is read. */
    public static Job reportProgress(
            JobTransaction t, UUID jobId, UUID leaseToken, int progress, Optional<String> message) {
        JobTransitions.requireProgress(progress);
        Job job = leased(t, jobId, leaseToken);
        Job next = JobTransitions.progressed(job, progress, message, t.now());
        t.write(job, next);
        return next;
    }

    /**
     * Refuses a step whose name no store keeps (1 to {@link JobLimits#MAX_STEP_NAME_LENGTH}
     * printable characters) or that would be past a job's {@link JobLimits#MAX_STEPS}: checked
     * before the step's work runs, so that a step that could never be recorded never has its side
     * effect.
     */
    public static void requireStep(int index, String name) {
        Storable.requireLabel("step", name);
        if (name.isEmpty() || name.length() > JobLimits.MAX_STEP_NAME_LENGTH) {
            throw JobValidationException.of(
                    "step", "a step's name must be 1 to " + JobLimits.MAX_STEP_NAME_LENGTH + " characters");
        }
        if (index < 0 || index >= JobLimits.MAX_STEPS) {
            throw JobValidationException.of(
                    "step",
                    "a job records at most " + JobLimits.MAX_STEPS + " steps; '" + Storable.shown(name, 77)
                            + "' would be number " + (index + 1) + ": group smaller steps into one");
        }
    }

    /**
     * {@link dev.jobs.core.spi.DurableWorkStore#recordStep}: the name, the result and the index are checked
     * before any row is read, then the lease. A step already recorded at {@code index} under the
     * same name is answered as recorded, since the worker's earlier write landed though its answer
     * was lost; any other step there, or a gap before it, means the handler's steps changed order.
     */
    public static JobStep recordStep(
            JobTransaction t, UUID jobId, UUID leaseToken, int index, String name, JsonNode result) {
        requireStep(index, name);
        Storable.requireJson("result", result);
        leased(t, jobId, leaseToken);
        List<JobStep> recorded = t.steps(jobId);
        if (index < recorded.size() && recorded.get(index).name().equals(name)) {
            return recorded.get(index);
        }
        if (index != recorded.size()) {
            throw StepOrderException.of(jobId, index, name, recorded);
        }
        JobStep step = new JobStep(name, result, t.now());
        t.insertStep(jobId, index, step);
        return step;
    }

    /** {@link dev.jobs.core.spi.DurableWorkStore#saveCheckpoint}: the state is checked before any row is read. */
    public static JobCheckpoint saveCheckpoint(JobTransaction t, UUID jobId, UUID leaseToken, JsonNode state) {
        Storable.requireJson("checkpoint", state);
        leased(t, jobId, leaseToken);
        JobCheckpoint checkpoint = new JobCheckpoint(state, t.now());
        t.writeCheckpoint(jobId, checkpoint);
        return checkpoint;
    }

    /** {@link dev.jobs.core.spi.DurableWorkStore#parentResults}, from a job's dependencies as read and their names. */
    public static List<ParentResult> parentResults(Job job, Map<UUID, Job> parents, Map<UUID, String> names) {
        return job.dependsOn().stream()
                .map(id -> {
                    Optional<Job> parent = Optional.ofNullable(parents.get(id));
                    return new ParentResult(
                            id,
                            Optional.ofNullable(names.get(id)),
                            parent.map(Job::state),
                            parent.flatMap(Job::result));
                })
                .toList();
    }

    /** {@link JobStore#complete}. */
    public static Transition complete(JobTransaction t, UUID jobId, UUID leaseToken, Optional<JsonNode> result) {
        Job job = leased(t, jobId, leaseToken);
        return DependencyCascade.finish(t, job, JobTransitions.succeeded(job, result, t.now()));
    }

    /** {@link JobStore#fail}. */
    public static Transition fail(
            JobTransaction t, UUID jobId, UUID leaseToken, JobError error, Optional<Instant> retryAt) {
        Job job = leased(t, jobId, leaseToken);
        return DependencyCascade.finish(t, job, JobTransitions.failed(job, error, retryAt.map(t::stored), t.now()));
    }

    /** {@link JobStore#cancelRunning}. */
    public static Transition cancelRunning(JobTransaction t, UUID jobId, UUID leaseToken, JobError reason) {
        Job job = leased(t, jobId, leaseToken);
        return DependencyCascade.finish(t, job, JobTransitions.cancelled(job, reason, t.now()));
    }

    /** {@link JobStore#snooze}. */
    public static Transition snooze(JobTransaction t, UUID jobId, UUID leaseToken, Instant runAt) {
        Job job = leased(t, jobId, leaseToken);
        Job next = JobTransitions.snoozed(job, t.stored(runAt), t.now());
        t.write(job, next);
        return Transition.of(next);
    }

    /** {@link JobStore#release}. */
    public static Transition release(JobTransaction t, UUID jobId, UUID leaseToken) {
        Job job = leased(t, jobId, leaseToken);
        return Transition.of(handBack(t, job));
    }

    /** A running job given back unfinished, as its worker stops; the attempt does not count. */
    private static Job handBack(JobTransaction t, Job running) {
        Job next = JobTransitions.released(running, t.now());
        t.write(running, next);
        return next;
    }

    /** {@link JobStore#promoteDueJobs}: due scheduled jobs, as the store found and locked them, shown as ready. */
    public static List<Job> promote(JobTransaction t, List<Job> due) {
        List<Job> promoted =
                due.stream().map(job -> JobTransitions.promoted(job, t.now())).toList();
        t.writeAll(due, promoted);
        return promoted;
    }

    /** {@link JobStore#cancel}. */
    public static Transition cancel(JobTransaction t, UUID jobId) {
        Job job = t.lock(jobId).orElseThrow(() -> new JobNotFoundException(jobId));
        return switch (job.state()) {
            case CANCELLED -> Transition.of(job);
            case RUNNING -> {
                Job flagged = JobTransitions.cancelRequested(job, t.now());
                t.write(job, flagged);
                yield Transition.of(flagged);
            }
            default ->
                DependencyCascade.finish(
                        t, job, JobTransitions.cancelled(job, JobTransitions.operatorCancellation(), t.now()));
        };
    }

    /**
     * {@link JobStore#retry}: refused, changing nothing, unless the job failed or was cancelled, no
     * dependency it needs has failed, and no unfinished job has taken its unique key meanwhile.
     */
    public static Transition retry(JobTransaction t, UUID jobId) {
        Job job = t.lock(jobId).orElseThrow(() -> new JobNotFoundException(jobId));
        if (job.state() != JobState.FAILED && job.state() != JobState.CANCELLED) {
            throw new InvalidTransitionException(jobId, job.state(), "only failed or cancelled jobs can be retried");
        }
        // A failed job ran, so its dependencies were settled; a cancelled one may still wait.
        JobState target = job.state() == JobState.FAILED ? JobState.READY : DependencyCascade.waitingStateOf(t, job);
        if (target == JobState.CANCELLED) {
            throw new InvalidTransitionException(
                    jobId, job.state(), "a dependency it needs has failed or was cancelled; retry that first");
        }
        if (job.uniqueKey().isPresent()) {
            t.takeUniqueKey(job.uniqueKey().get(), jobId).ifPresent(holder -> {
                throw new InvalidTransitionException(
                        jobId,
                        job.state(),
                        "unfinished job " + holder + " now holds its unique key; cancel that one first");
            });
        }
        Job retried =
                JobTransitions.reopened(job, target == JobState.PENDING ? JobState.PENDING : JobState.READY, t.now());
        t.write(job, retried);
        var changed = new ArrayList<Job>();
        if (retried.state() == JobState.PENDING) {
            DependencyCascade.settle(t, retried, changed); // records how many dependencies it waits for
        }
        DependencyCascade.reviveCascadedDependents(t, retried, changed);
        return new Transition(retried, changed);
    }

    /** A running job, locked, whose lease lapsed: ended as {@link JobTransitions#lapsed}. */
    public static Transition lapsed(JobTransaction t, Job running, LapsedLeasePolicy policy) {
        Optional<Instant> retryAt = policy.retryAt(running).map(t::stored);
        return DependencyCascade.finish(t, running, JobTransitions.lapsed(running, retryAt, t.now()));
    }

    /** A running job, locked, whose worker was declared dead: ended as {@link JobTransitions#abandoned}. */
    public static Transition abandoned(JobTransaction t, Job running, Instant lastHeartbeat, LapsedLeasePolicy policy) {
        Optional<Instant> retryAt = policy.retryAt(running).map(t::stored);
        return DependencyCascade.finish(t, running, JobTransitions.abandoned(running, lastHeartbeat, retryAt, t.now()));
    }

    /**
     * {@link JobStore#registerWorker}: the worker, alive whatever the caller's copy says, takes or
     * refreshes its id unless another owner holds it. An id is held by its owner until that worker
     * stops; an entry without an owner (from before owners were kept) goes to the first to report.
     * Two owners racing for a free id end with one of them holding it.
     *
     * @throws WorkerIdTakenException if another owner holds the id; nothing changes
     */
    public static void registerWorker(JobTransaction t, WorkerInfo worker) {
        var alive = new WorkerInfo(
                worker.id(),
                worker.owner(),
                worker.host(),
                worker.queues(),
                worker.concurrency(),
                worker.running(),
                worker.startedAt(),
                worker.lastHeartbeatAt(),
                worker.expiresAt());
        Optional<WorkerInfo> known = t.lockWorker(worker.id());
        if (known.isEmpty()) {
            if (t.insertWorkerIfAbsent(alive)) {
                return;
            }
            known = t.lockWorker(worker.id());
        }
        WorkerInfo holder = known.orElseThrow();
        if (holder.stoppedAt().isEmpty()
                && !holder.owner().isEmpty()
                && !holder.owner().equals(worker.owner())) {
            throw new WorkerIdTakenException(worker.id());
        }
        t.updateWorker(alive);
    }

    /**
     * {@link JobStore#reapDeadWorkers}: each live worker past its expiry is declared dead by this
     * transaction alone and its running jobs are taken back ({@link #abandoned}); a remote worker
     * running nothing is removed from the registry instead, since ids made up by clients must not
     * pile up.
     */
    public static List<DeadWorker> reapDeadWorkers(JobTransaction t, LapsedLeasePolicy policy) {
        var reaped = new ArrayList<DeadWorker>();
        for (WorkerInfo worker : t.lockExpiredWorkers()) {
            List<Job> held = t.lockRunningJobsOf(worker.id());
            if (worker.remote() && held.isEmpty()) {
                t.forgetSilentWorker(worker.id());
                continue;
            }
            if (!t.declareDead(worker.id())) {
                continue;
            }
            var reclaimed = new ArrayList<Transition>(held.size());
            for (Job job : held) {
                reclaimed.add(abandoned(t, job, worker.lastHeartbeatAt(), policy));
            }
            reaped.add(new DeadWorker(worker.declaredDeadAt(t.now()), reclaimed));
        }
        return reaped;
    }

    /** {@link JobStore#stopWorker}: the worker marked stopped and its running jobs handed back, at once. */
    public static Optional<StoppedWorker> stopWorker(JobTransaction t, String workerId) {
        Optional<WorkerInfo> stopped = t.markStopped(workerId);
        if (stopped.isEmpty()) {
            return Optional.empty();
        }
        var handedBack = new ArrayList<Job>();
        for (Job job : t.lockRunningJobsOf(workerId)) {
            handedBack.add(handBack(t, job));
        }
        return Optional.of(new StoppedWorker(stopped.get(), handedBack));
    }
}
