package dev.jobs.core;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jobs.core.internal.RetryDecider;
import dev.jobs.core.internal.SpecValidator;
import dev.jobs.core.internal.worker.WorkerSettings;
import dev.jobs.core.spi.AcquireRequest;
import dev.jobs.core.spi.DurableWorkStore;
import dev.jobs.core.spi.JobQueue;
import dev.jobs.core.spi.JobStore;
import dev.jobs.core.spi.support.JobTransitions;
import dev.jobs.core.spi.support.Storable;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The worker steps for workers outside this engine (another process, another language, over HTTP):
 * acquire jobs under a lease, heartbeat, complete or fail. The same rules hold as for the engine's
 * own workers: each outcome is fenced by the lease token, failures follow the job's retry policy,
 * and every change raises the engine's events. Each call also refreshes the worker in the registry,
 * so a remote worker that goes silent is declared dead and its jobs run elsewhere.
 *
 * <p>Obtained from {@link JobEngine#remoteWorkers()}. Thread-safe.
 */
public final class RemoteWorkers {
    private final JobStore store;
    private final JobQueue queue;
    private final RetryDecider retryDecider;
    private final SpecValidator validator;
    private final Clock clock;

    /** How long a worker told to stop (its attempt past the job's timeout) has before the attempt ends. */
    private final Duration cancellationGrace;

    /** Remote workers this engine has served, for their start time and what they asked for. */
    private final Map<String, WorkerInfo> seen = new ConcurrentHashMap<>();

    /** Bounds {@link #seen}, whatever worker ids clients make up. */
    private static final int MAX_REMEMBERED_WORKERS = 10_000;

    RemoteWorkers(
            JobStore store,
            JobQueue queue,
            RetryDecider retryDecider,
            SpecValidator validator,
            Clock clock,
            Duration cancellationGrace) {
        this.store = store;
        this.queue = queue;
        this.retryDecider = retryDecider;
        this.validator = validator;
        this.clock = clock;
        this.cancellationGrace = cancellationGrace;
    }

    /**
     * The owner of worker ids registered through {@link #acquire(String, String, Set, int, Duration,
     * Duration)}: the host application itself, which needs no identity apart from its engines'.
     */
    public static final String HOST_OWNER = "host";

    /**
     * {@link #acquire(String, String, String, Set, int, Duration, Duration)} for the host's own
     * code, its worker ids owned by {@link #HOST_OWNER}.
     */
    public List<Job> acquire(String workerId, String host, Set<String> queues, int limit, Duration lease, Duration wait)
            throws InterruptedException {
        return acquire(workerId, HOST_OWNER, host, queues, limit, lease, wait);
    }

    /**
     * Leases up to {@code limit} jobs from {@code queues}, highest priority and earliest {@code runAt}
     * first, waiting up to {@code wait} for one to become claimable when none is.
     *
     * @param workerId the remote worker's id, unique per worker process
     * @param owner who is asking (over HTTP, a fingerprint of the caller's token): the first owner
     *     to use a worker id holds it until the worker stops cleanly or is pruned from the registry
     * @param host where the worker runs, as the registry shows it
     * @param limit 1 to {@link JobLimits#MAX_ACQUIRE_BATCH}
     * @param lease {@link JobLimits#MIN_LEASE} to {@link JobLimits#MAX_LEASE}
     * @param wait zero to {@link JobLimits#MAX_ACQUIRE_WAIT}
     * @return the leased jobs, each with its lease token; empty when none came in time
     * @throws JobValidationException naming the argument that is out of its range
     * @throws WorkerIdTakenException if another owner holds {@code workerId}; nothing was leased
     * @throws InterruptedException if the waiting thread is interrupted
     */
    public List<Job> acquire(
            String workerId, String owner, String host, Set<String> queues, int limit, Duration lease, Duration wait)
            throws InterruptedException {
        requireWorkerId(workerId);
        if (host != null) {
            Storable.requireLabel("host", host);
        }
        if (queues.isEmpty()) {
            throw JobValidationException.of("queues", "must name at least one queue to acquire from");
        }
        for (String name : queues) {
            if (!JobEngine.isQueueName(name)) {
                throw JobValidationException.of("queues", "must be names matching " + JobLimits.QUEUE_PATTERN);
            }
        }
        if (limit < 1 || limit > JobLimits.MAX_ACQUIRE_BATCH) {
            throw JobValidationException.of("limit", "must be 1 to " + JobLimits.MAX_ACQUIRE_BATCH);
        }
        requireLease(lease);
        if (wait.isNegative() || wait.compareTo(JobLimits.MAX_ACQUIRE_WAIT) > 0) {
            throw JobValidationException.of("wait", "must be 0 to " + JobLimits.MAX_ACQUIRE_WAIT.toMillis() + " ms");
        }
        Storable.requireLabel("owner", Objects.requireNonNull(owner, "owner"));
        WorkerInfo known = seen.get(workerId);
        if (known == null || !known.owner().equals(owner)) {
            // Take the id before any job: a refused id leases nothing.
            report(workerId, owner, host, queues, limit, 0, lease);
        }
        var request = new AcquireRequest(workerId, queues, limit, lease);
        // The wait is the client's real time on the wire, not job time: System.nanoTime, not the clock.
        long deadline = System.nanoTime() + wait.toNanos();
        List<Job> jobs = queue.acquire(request);
        while (jobs.isEmpty()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            queue.awaitWork(queues, Duration.ofNanos(left));
            jobs = queue.acquire(request);
        }
        report(workerId, owner, host, queues, limit, jobs.size(), lease);
        return jobs;
    }

    /**
     * Extends a lease, and stores progress when given.
     *
     * @param lease the new lease length, from now
     * @param progress 0 to 100, when the worker reports it
     * @param message a note for people watching, at most {@link JobLimits#MAX_PROGRESS_MESSAGE_LENGTH}
     * @return the new expiry, and whether the worker should stop and why: an operator cancelled the
     *     job, or the attempt ran past the job's timeout (from its start as the store has it)
     * @throws LeaseLostException if the token is not the job's current lease, or the attempt ran
     *     past its timeout and then the engine's cancellation grace: it is then recorded as a {@code
     *     Timeout} failure, retried by the job's policy
     * @throws JobNotFoundException if there is no such job
     */
    public HeartbeatResult heartbeat(
            UUID jobId, UUID leaseToken, Duration lease, OptionalInt progress, Optional<String> message) {
        return heartbeat(jobId, leaseToken, HOST_OWNER, lease, progress, message);
    }

    /**
     * {@link #heartbeat(UUID, UUID, Duration, OptionalInt, Optional)} from {@code owner}, who must own
     * the worker id holding the lease.
     *
     * @throws WorkerIdTakenException if the lease's worker id belongs to another owner; nothing changes
     */
    public HeartbeatResult heartbeat(
            UUID jobId, UUID leaseToken, String owner, Duration lease, OptionalInt progress, Optional<String> message) {
        requireLease(lease);
        progress.ifPresent(JobTransitions::requireProgress);
        if (message.isPresent() && message.get().length() > JobLimits.MAX_PROGRESS_MESSAGE_LENGTH) {
            throw JobValidationException.of(
                    "message", "must be at most " + JobLimits.MAX_PROGRESS_MESSAGE_LENGTH + " characters");
        }
        message.ifPresent(text -> Storable.requireText("message", text));
        Job job = current(jobId);
        requireLeaseOwnedBy(job, owner);
        Overrun overrun = overrun(job, leaseToken);
        if (overrun == Overrun.ENDED) {
            throw timedOut(job, leaseToken);
        }
        if (progress.isPresent() || message.isPresent()) {
            // A message alone keeps the progress the job already has.
            int value = progress.isPresent() ? progress.getAsInt() : job.progress();
            store.reportProgress(jobId, leaseToken, value, message);
        }
        HeartbeatResult result = store.heartbeat(jobId, leaseToken, lease);
        refresh(result.leaseOwner(), lease);
        if (overrun == Overrun.CANCEL) {
            return result.stopFor(
                    "the attempt ran past its timeout of " + job.timeout().orElseThrow()
                            + "; stop now: after a grace of " + cancellationGrace
                            + " it is recorded as a Timeout failure and its lease is ended");
        }
        return result;
    }

    /** Where a running attempt stands against its job's timeout. */
    private enum Overrun {
        /** Within its timeout, or the job has none. */
        NONE,
        /** Past it, within the cancellation grace: the worker is told to stop. */
        CANCEL,
        /** Past the grace: the attempt has ended as a {@code Timeout} failure. */
        ENDED
    }

    /**
     * Measured from the attempt's start as the store has it, so the rule holds whichever server
     * granted the lease and after it restarted. Only the holder's own lease is measured: a stale
     * token is refused as such.
     */
    private Overrun overrun(Job job, UUID leaseToken) {
        if (job.state() != JobState.RUNNING
                || job.timeout().isEmpty()
                || job.startedAt().isEmpty()
                || !job.leaseToken().equals(Optional.of(leaseToken))) {
            return Overrun.NONE;
        }
        Instant deadline = job.startedAt().get().plus(job.timeout().get());
        Instant now = clock.instant();
        if (now.isBefore(deadline)) {
            return Overrun.NONE;
        }
        return now.isBefore(deadline.plus(cancellationGrace)) ? Overrun.CANCEL : Overrun.ENDED;
    }

    /**
     * Records the attempt as a {@code Timeout} failure (retried by the job's policy like any
     * failure) and refuses the worker's late report.
     */
    private LeaseLostException timedOut(Job job, UUID leaseToken) {
        Duration timeout = job.timeout().orElseThrow();
        store.fail(job.id(), leaseToken, JobError.timedOut(timeout), retryDecider.retryAt(job, clock.instant()));
        return new LeaseLostException(
                job.id(),
                "the attempt ran past its timeout of " + timeout + " and is recorded as a Timeout failure;"
                        + " this report came too late");
    }

    /**
     * Records a durable step of the attempt holding {@code leaseToken}, as a handler's {@link
     * JobContext#step} does: number {@code index} (from 0) of the job's steps, named {@code name}.
     * The worker learns the steps recorded so far from its acquire, and asks for each in order.
     *
     * @return the step as recorded (as recorded before, when the same step is recorded again)
     * @throws LeaseLostException if the token is not the job's current lease, or the attempt ran
     *     past its timeout and the cancellation grace
     * @throws StepOrderException if the job has another step at {@code index}, or fewer before it
     * @throws JobValidationException if the name or the result cannot be stored (the rules and the
     *     size limit of payloads), or the job has as many steps as it may
     * @throws WorkerIdTakenException if the lease's worker id belongs to another owner
     */
    public JobStep recordStep(UUID jobId, UUID leaseToken, int index, String name, JsonNode result) {
        return recordStep(jobId, leaseToken, HOST_OWNER, index, name, result);
    }

    /** {@link #recordStep(UUID, UUID, int, String, JsonNode)} from {@code owner}, who must own the worker id holding the lease. */
    public JobStep recordStep(UUID jobId, UUID leaseToken, String owner, int index, String name, JsonNode result) {
        validator.valueProblem(result).ifPresent(problem -> {
            throw JobValidationException.of("result", problem);
        });
        requireLiveLease(jobId, leaseToken, owner);
        return store.recordStep(jobId, leaseToken, index, name, result);
    }

    /**
     * Saves the checkpoint of the attempt holding {@code leaseToken}, as a handler's {@link
     * JobContext#checkpoint} does.
     *
     * @throws LeaseLostException if the token is not the job's current lease, or the attempt ran
     *     past its timeout and the cancellation grace
     * @throws JobValidationException if the state cannot be stored (the rules and the size limit of
     *     payloads)
     * @throws WorkerIdTakenException if the lease's worker id belongs to another owner
     */
    public JobCheckpoint saveCheckpoint(UUID jobId, UUID leaseToken, JsonNode state) {
        return saveCheckpoint(jobId, leaseToken, HOST_OWNER, state);
    }

    /** {@link #saveCheckpoint(UUID, UUID, JsonNode)} from {@code owner}, who must own the worker id holding the lease. */
    public JobCheckpoint saveCheckpoint(UUID jobId, UUID leaseToken, String owner, JsonNode state) {
        validator.valueProblem(state).ifPresent(problem -> {
            throw JobValidationException.of("state", problem);
        });
        requireLiveLease(jobId, leaseToken, owner);
        return store.saveCheckpoint(jobId, leaseToken, state);
    }

    /**
     * What a worker taking a job on needs to resume it: the steps earlier attempts recorded, the last
     * checkpoint, and what its parents came to (see {@link DurableWorkStore}).
     */
    public DurableWork durableWork(Job job) {
        return new DurableWork(
                store.steps(job.id()),
                store.checkpoint(job.id()),
                job.dependsOn().isEmpty() ? List.of() : store.parentResults(job.id()));
    }

    /** A job's durable work, as {@link #durableWork} reads it. */
    public record DurableWork(List<JobStep> steps, Optional<JobCheckpoint> checkpoint, List<ParentResult> parents) {}

    private void requireLiveLease(UUID jobId, UUID leaseToken, String owner) {
        Job job = current(jobId);
        requireLeaseOwnedBy(job, owner);
        if (overrun(job, leaseToken) == Overrun.ENDED) {
            throw timedOut(job, leaseToken);
        }
    }

    /**
     * Records success.
     *
     * @param result the handler's result, stored with the job; empty for none
     * @return the job, now {@code SUCCEEDED}
     * @throws LeaseLostException if the token is not the job's current lease, or the attempt ran past
     *     the job's timeout: it is then recorded as a {@code Timeout} failure instead
     * @throws JobNotFoundException if there is no such job
     */
    public Job complete(UUID jobId, UUID leaseToken, Optional<JsonNode> result) {
        return complete(jobId, leaseToken, HOST_OWNER, result);
    }

    /**
     * {@link #complete(UUID, UUID, Optional)} from {@code owner}, who must own the worker id
     * holding the lease.
     *
     * @throws WorkerIdTakenException if the lease's worker id belongs to another owner; nothing changes
     */
    public Job complete(UUID jobId, UUID leaseToken, String owner, Optional<JsonNode> result) {
        result.ifPresent(value -> Storable.requireJson("result", value));
        Job job = current(jobId);
        requireLeaseOwnedBy(job, owner);
        if (overrun(job, leaseToken) != Overrun.NONE) {
            throw timedOut(job, leaseToken);
        }
        return store.complete(jobId, leaseToken, result).job();
    }

    /**
     * Records a failed attempt. It retries per the job's retry policy (an error {@code type} the
     * policy lists as non-retryable fails it for good), unless {@code retryable} is false. When
     * cancellation was asked (the heartbeat said so), the job ends {@code CANCELLED} instead: that
     * is how a remote worker reports that it stopped on request.
     *
     * @param retryAfter overrides the policy's delay when the job has attempts left
     * @return the job, now {@code RETRYING} (with its next {@code runAt}) or {@code FAILED}
     * @throws LeaseLostException if the token is not the job's current lease, or the attempt ran past
     *     the job's timeout: it is then recorded as a {@code Timeout} failure instead
     * @throws JobNotFoundException if there is no such job
     */
    public Job fail(UUID jobId, UUID leaseToken, JobError error, boolean retryable, Optional<Duration> retryAfter) {
        return fail(jobId, leaseToken, HOST_OWNER, error, retryable, retryAfter);
    }

    /**
     * {@link #fail(UUID, UUID, JobError, boolean, Optional)} from {@code owner}, who must own the
     * worker id holding the lease.
     *
     * @throws WorkerIdTakenException if the lease's worker id belongs to another owner; nothing changes
     */
    public Job fail(
            UUID jobId,
            UUID leaseToken,
            String owner,
            JobError error,
            boolean retryable,
            Optional<Duration> retryAfter) {
        Storable.requireLabel("error.type", error.type());
        Storable.requireText("error.message", error.message());
        Storable.requireText("error.stackTrace", error.stackTrace());
        retryAfter.ifPresent(delay -> {
            if (delay.isNegative() || delay.compareTo(JobLimits.MAX_DURATION) > 0) {
                throw JobValidationException.of(
                        "retryAfter", "must be 0 to " + JobLimits.MAX_DURATION_MS + " ms (a year)");
            }
        });
        Job job = current(jobId);
        requireLeaseOwnedBy(job, owner);
        if (overrun(job, leaseToken) != Overrun.NONE) {
            throw timedOut(job, leaseToken);
        }
        if (job.cancelRequested()) {
            // The worker stopped because it was told to: the job ends as cancelled, not failed.
            return store.cancelRunning(jobId, leaseToken, error).job();
        }
        Instant now = clock.instant();
        Optional<Instant> retryAt = Optional.empty();
        boolean typeRetryable = !retryDecider.policyFor(job).nonRetryable().contains(error.type());
        if (retryable && typeRetryable) {
            retryAt = retryAfter.isPresent() && job.attempt() < job.maxAttempts()
                    ? retryAfter.map(now::plus)
                    : retryDecider.retryAt(job, now);
        }
        return store.fail(jobId, leaseToken, error, retryAt).job();
    }

    /**
     * A remote worker stops cleanly: the jobs it is running go back to their queues at once (no
     * attempt is counted against them), it is listed as stopped rather than declared dead, and its
     * id is free for anyone. Its leases end, so it must not report on those jobs again.
     *
     * @param owner who is asking; must own {@code workerId}
     * @return how the registry now shows the worker, and the jobs it handed back
     * @throws WorkerIdTakenException if another owner holds {@code workerId}; nothing changes
     * @throws JobValidationException if no worker is registered under {@code workerId}
     */
    public StoppedWorker stop(String workerId, String owner) {
        requireWorkerId(workerId);
        Optional<WorkerInfo> known = store.worker(workerId);
        if (known.isEmpty()) {
            throw JobValidationException.of("workerId", "no worker is registered under this id");
        }
        requireOwnedBy(known.get(), owner);
        StoppedWorker stopped = store.stopWorker(workerId)
                .orElseThrow(() -> JobValidationException.of("workerId", "no worker is registered under this id"));
        seen.remove(workerId);
        if (!stopped.handedBack().isEmpty()) {
            queue.publish(stopped.handedBack()); // claimable again now, wherever dispatch runs
        }
        return stopped;
    }

    /** Refuses a report on a job whose lease is held under a worker id another owner holds. */
    private void requireLeaseOwnedBy(Job job, String owner) {
        if (owner.equals(HOST_OWNER) || job.leaseOwner().isEmpty()) { // no registry read for the host
            return;
        }
        String workerId = job.leaseOwner().get();
        WorkerInfo known = seen.get(workerId);
        Optional<WorkerInfo> worker = known != null ? Optional.of(known) : store.worker(workerId);
        worker.ifPresent(w -> requireOwnedBy(w, owner));
    }

    /**
     * The one ownership rule for a call about a registered worker: its owner may, and so may the
     * host's own code ({@link #HOST_OWNER}, trusted as its engines are); a worker registered before
     * owners were kept belongs to anyone.
     */
    private static void requireOwnedBy(WorkerInfo worker, String owner) {
        if (!owner.equals(HOST_OWNER)
                && !worker.owner().isEmpty()
                && !worker.owner().equals(owner)) {
            throw new WorkerIdTakenException(worker.id());
        }
    }

    private Job current(UUID jobId) {
        return store.get(jobId).orElseThrow(() -> new JobNotFoundException(jobId));
    }

    /**
     * Keeps a remote worker alive in the registry while it holds leases of {@code lease}: at most
     * once per heartbeat interval, however many jobs it heartbeats, as the engine's own workers do.
     */
    private void refresh(String workerId, Duration lease) {
        WorkerInfo known = seen.get(workerId);
        Instant now = clock.instant();
        if (known != null && now.isBefore(known.lastHeartbeatAt().plus(WorkerSettings.heartbeatIntervalFor(lease)))) {
            return;
        }
        if (known == null) {
            // It acquired through another instance behind the same load balancer.
            known = store.worker(workerId).orElse(null);
        }
        if (known != null) {
            report(workerId, known.owner(), known.host(), known.queues(), known.concurrency(), known.running(), lease);
        }
    }

    private void report(
            String workerId, String owner, String host, Set<String> queues, int limit, int running, Duration lease) {
        Instant now = clock.instant();
        WorkerInfo previous = seen.get(workerId);
        Instant startedAt = previous != null && previous.owner().equals(owner) ? previous.startedAt() : now;
        var worker = new WorkerInfo(
                workerId,
                owner,
                host,
                queues,
                limit,
                running,
                startedAt,
                now,
                now.plus(WorkerSettings.registryLeaseFor(lease)));
        store.registerWorker(worker);
        if (seen.size() >= MAX_REMEMBERED_WORKERS) {
            seen.clear(); // only start times are lost; the registry keeps the rest
        }
        seen.put(workerId, worker);
    }

    private static void requireWorkerId(String workerId) {
        if (workerId == null || workerId.isBlank() || workerId.length() > JobLimits.MAX_WORKER_ID_LENGTH) {
            throw JobValidationException.of(
                    "workerId", "must be 1 to " + JobLimits.MAX_WORKER_ID_LENGTH + " characters");
        }
        Storable.requireLabel("workerId", workerId);
    }

    private static void requireLease(Duration lease) {
        if (lease.compareTo(JobLimits.MIN_LEASE) < 0 || lease.compareTo(JobLimits.MAX_LEASE) > 0) {
            throw JobValidationException.of(
                    "lease",
                    "must be " + JobLimits.MIN_LEASE.toMillis() + " to " + JobLimits.MAX_LEASE.toMillis() + " ms");
        }
    }
}
