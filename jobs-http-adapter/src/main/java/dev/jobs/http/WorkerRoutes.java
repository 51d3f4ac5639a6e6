package dev.jobs.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jobs.core.HeartbeatResult;
import dev.jobs.core.Job;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobEngineBuilder;
import dev.jobs.core.JobError;
import dev.jobs.core.JobLimits;
import dev.jobs.core.JobStep;
import dev.jobs.core.JobValidationException.FieldError;
import dev.jobs.core.RemoteWorkers;
import dev.jobs.core.StoppedWorker;
import dev.jobs.core.WorkerPage;
import dev.jobs.http.internal.ApiException;
import dev.jobs.http.internal.Bodies;
import dev.jobs.http.internal.FairShare;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;

/**
 * Remote workers: acquiring jobs (waiting for one within a bounded share), heartbeats, completing
 * and failing them under their lease tokens, stopping cleanly; and the registry of workers.
 */
final class WorkerRoutes {
    /** Lease a remote worker gets when it names none: the engine's own default. */
    static final Duration DEFAULT_LEASE = JobEngineBuilder.DEFAULT_LEASE;

    /** Workers on a page of {@code GET /api/workers} when the client does not say. */
    static final int DEFAULT_WORKERS_PAGE = 100;

    private final RouteContext context;
    private final JobEngine engine;
    private final RemoteWorkers workers;
    private final FairShare waitingAcquires;

    WorkerRoutes(RouteContext context, FairShare waitingAcquires) {
        this.context = context;
        this.engine = context.engine();
        this.workers = engine.remoteWorkers();
        this.waitingAcquires = waitingAcquires;
    }

    void addTo(Router router) {
        router.route("POST", "/api/jobs/acquire", Role.WORKER, (r, m, c) -> acquire(r, c));
        router.route(
                "POST",
                "/api/jobs/{id}/heartbeat",
                Role.WORKER,
                (r, m, c) -> heartbeat(r, c, Params.jobId(m.group(1))));
        router.route(
                "POST", "/api/jobs/{id}/complete", Role.WORKER, (r, m, c) -> complete(r, c, Params.jobId(m.group(1))));
        router.route("POST", "/api/jobs/{id}/fail", Role.WORKER, (r, m, c) -> fail(r, c, Params.jobId(m.group(1))));
        router.route(
                "POST",
                "/api/jobs/{id}/steps/{name}",
                Role.WORKER,
                (r, m, c) -> recordStep(r, c, Params.jobId(m.group(1)), m.group(2)));
        router.route(
                "PUT",
                "/api/jobs/{id}/checkpoint",
                Role.WORKER,
                (r, m, c) -> saveCheckpoint(r, c, Params.jobId(m.group(1))));
        router.route("GET", "/api/workers", Role.READ, (r, m, c) -> registry(r));
        router.route("POST", "/api/workers/{id}/stop", Role.WORKER, (r, m, c) -> stop(c, m.group(1)));
    }

    private Duration lease(Long leaseMs) {
        return Params.durationMs("leaseMs", leaseMs, DEFAULT_LEASE, JobLimits.MIN_LEASE, JobLimits.MAX_LEASE);
    }

    private ApiResponse acquire(ApiRequest request, Caller caller) throws InterruptedException {
        Bodies.Acquire body = context.bodies().read(request.body(), Bodies.Acquire.class);
        Duration lease = lease(body.leaseMs());
        Duration wait =
                Params.durationMs("waitMs", body.waitMs(), Duration.ZERO, Duration.ZERO, JobLimits.MAX_ACQUIRE_WAIT);
        String owner = caller.principal();
        List<Job> jobs;
        // An acquire that may wait holds its request slot for as long: only a bounded share may.
        try (var waiting = wait.isZero() ? null : waitingAcquires.take(owner)) {
            jobs = workers.acquire(
                    body.workerId(),
                    owner,
                    request.remoteHost(),
                    Set.copyOf(body.queues()),
                    body.limit() == null ? 1 : body.limit(),
                    lease,
                    wait);
        }
        ObjectNode response = context.responses().object();
        var array = response.putArray("jobs");
        jobs.forEach(job -> array.add(context.json().leased(job, workers.durableWork(job))));
        return context.responses().ok(response);
    }

    private ApiResponse heartbeat(ApiRequest request, Caller caller, UUID jobId) {
        Bodies.Heartbeat body = context.bodies().read(request.body(), Bodies.Heartbeat.class);
        HeartbeatResult result = workers.heartbeat(
                jobId,
                body.leaseToken(),
                caller.principal(),
                lease(body.leaseMs()),
                body.progress() == null ? OptionalInt.empty() : OptionalInt.of(body.progress()),
                Optional.ofNullable(body.message()));
        ObjectNode answer = context.responses()
                .object()
                .put("leaseExpiresAt", result.leaseExpiresAt().toString())
                .put("cancelRequested", result.cancelRequested());
        result.cancelReason().ifPresent(reason -> answer.put("cancelReason", reason));
        return context.responses().ok(answer);
    }

    private ApiResponse complete(ApiRequest request, Caller caller, UUID jobId) {
        Bodies.Complete body = context.bodies().read(request.body(), Bodies.Complete.class);
        Optional<JsonNode> result = Optional.ofNullable(body.result()).filter(r -> !r.isNull());
        return ok(workers.complete(jobId, body.leaseToken(), caller.principal(), result));
    }

    private ApiResponse fail(ApiRequest request, Caller caller, UUID jobId) {
        Bodies.Fail body = context.bodies().read(request.body(), Bodies.Fail.class);
        Bodies.Error error = body.error();
        var jobError = new JobError(
                error.type() == null || error.type().isBlank() ? "RemoteError" : error.type(),
                Objects.requireNonNullElse(error.message(), ""),
                Objects.requireNonNullElse(error.stack(), ""));
        Optional<Duration> retryAfter = Optional.ofNullable(body.retryAfterMs()).map(Duration::ofMillis);
        boolean retryable = body.retryable() == null || body.retryable();
        return ok(workers.fail(jobId, body.leaseToken(), caller.principal(), jobError, retryable, retryAfter));
    }

    private ApiResponse recordStep(ApiRequest request, Caller caller, UUID jobId, String name) {
        Bodies.RecordStep body = context.bodies().read(request.body(), Bodies.RecordStep.class);
        JsonNode result = body.result() == null ? context.mapper().nullNode() : body.result();
        JobStep step = workers.recordStep(jobId, body.leaseToken(), caller.principal(), body.index(), name, result);
        return context.responses().ok(context.json().step(body.index(), step));
    }

    private ApiResponse saveCheckpoint(ApiRequest request, Caller caller, UUID jobId) {
        Bodies.SaveCheckpoint body = context.bodies().read(request.body(), Bodies.SaveCheckpoint.class);
        return context.responses()
                .ok(context.json()
                        .checkpoint(
                                workers.saveCheckpoint(jobId, body.leaseToken(), caller.principal(), body.state())));
    }

    private ApiResponse ok(Job job) {
        return context.responses().ok(context.json().job(job));
    }

    /** A page of the registry; the cursor is the page's last id in base64url, safe in a URL whatever the id. */
    private ApiResponse registry(ApiRequest request) {
        int limit = Params.positive(request, "limit", DEFAULT_WORKERS_PAGE, JobLimits.MAX_PAGE_SIZE);
        Optional<String> after = request.param("cursor").map(cursor -> {
            try {
                return new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw ApiException.invalid(
                        List.of(new FieldError("cursor", "was not issued by this server; start again without one")));
            }
        });
        WorkerPage page = engine.workers(after, limit);
        ObjectNode response = context.responses().object();
        var array = response.putArray("workers");
        page.workers().forEach(worker -> array.add(context.json().worker(worker)));
        page.nextCursor()
                .ifPresentOrElse(
                        last -> response.put(
                                "nextCursor",
                                Base64.getUrlEncoder()
                                        .withoutPadding()
                                        .encodeToString(last.getBytes(StandardCharsets.UTF_8))),
                        () -> response.putNull("nextCursor"));
        return context.responses().ok(response);
    }

    /** A remote worker stopping cleanly: its jobs go back to their queues now, not when its leases lapse. */
    private ApiResponse stop(Caller caller, String workerId) {
        StoppedWorker stopped = workers.stop(workerId, caller.principal());
        ObjectNode response = context.responses().object();
        response.set("worker", context.json().worker(stopped.worker()));
        var handedBack = response.putArray("handedBack");
        stopped.handedBack().forEach(job -> handedBack.add(job.id().toString()));
        return context.responses().ok(response);
    }
}
