package dev.jobs.http.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jobs.core.Attempt;
import dev.jobs.core.CronSchedule;
import dev.jobs.core.DispatchDepth;
import dev.jobs.core.IntervalSchedule;
import dev.jobs.core.Job;
import dev.jobs.core.JobCheckpoint;
import dev.jobs.core.JobError;
import dev.jobs.core.JobSpec;
import dev.jobs.core.JobStep;
import dev.jobs.core.ParentResult;
import dev.jobs.core.QueueCounts;
import dev.jobs.core.QueueLimits;
import dev.jobs.core.QueueStats;
import dev.jobs.core.RecurringJob;
import dev.jobs.core.RecurringStatus;
import dev.jobs.core.RemoteWorkers;
import dev.jobs.core.WorkerInfo;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;

/** How jobs, queues and workers look on the wire. Instants are ISO-8601 strings in UTC. */
public final class JobJson {
    private final ObjectMapper mapper;

    public JobJson(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /** A recurring job with its next runs, in the shape {@code PUT /api/recurring/{name}} takes. */
    public ObjectNode recurring(RecurringStatus status) {
        RecurringJob recurring = status.job();
        ObjectNode node = mapper.createObjectNode();
        node.put("name", recurring.name());
        switch (recurring.schedule()) {
            case CronSchedule cron -> {
                node.put("cron", cron.expression());
                node.put("zone", cron.zone().getId());
            }
            case IntervalSchedule interval -> {
                node.put("everyMs", interval.interval().toMillis());
                node.put("anchor", interval.anchor().toString());
            }
        }
        node.put("schedule", recurring.schedule().describe());
        node.put("missed", recurring.missed().name().toLowerCase(Locale.ROOT));
        node.put("graceMs", recurring.grace().toMillis());
        node.put("runAllLimit", recurring.runAllLimit());
        JobSpec template = recurring.template();
        ObjectNode job = node.putObject("job");
        job.put("type", template.type());
        job.put("queue", template.queue());
        job.set("payload", template.payload());
        job.put("priority", template.priority());
        job.put("maxAttempts", template.maxAttempts());
        template.timeout().ifPresent(t -> job.put("timeoutMs", t.toMillis()));
        template.uniqueKey().ifPresent(key -> job.put("uniqueKey", key));
        template.concurrencyKey().ifPresent(key -> job.put("concurrencyKey", key));
        ObjectNode metadata = job.putObject("metadata");
        template.metadata().forEach(metadata::put);
        node.put("coveredUpTo", status.coveredUpTo().toString());
        node.put("updatedAt", status.updatedAt().toString());
        var nextRuns = node.putArray("nextRuns");
        status.nextRuns().forEach(at -> nextRuns.add(at.toString()));
        return node;
    }

    /** A job, without its lease token: that is only for the worker that acquired it. */
    public ObjectNode job(Job job) {
        ObjectNode node = mapper.createObjectNode();
        node.put("id", job.id().toString());
        node.put("queue", job.queue());
        node.put("type", job.type());
        node.set("payload", job.payload());
        node.put("priority", job.priority());
        node.put("state", job.state().name());
        node.put("runAt", job.runAt().toString());
        node.put("attempt", job.attempt());
        node.put("maxAttempts", job.maxAttempts());
        job.timeout().ifPresentOrElse(t -> node.put("timeoutMs", t.toMillis()), () -> node.putNull("timeoutMs"));
        var dependsOn = node.putArray("dependsOn");
        job.dependsOn().forEach(id -> dependsOn.add(id.toString()));
        node.put("onDependencyFailure", job.onDependencyFailure().name().toLowerCase(Locale.ROOT));
        putOptional(node, "uniqueKey", job.uniqueKey());
        putOptional(node, "concurrencyKey", job.concurrencyKey());
        node.put("progress", job.progress());
        putOptional(node, "progressMessage", job.progressMessage());
        job.result().ifPresentOrElse(r -> node.set("result", r), () -> node.putNull("result"));
        job.lastError().ifPresentOrElse(e -> node.set("lastError", error(e)), () -> node.putNull("lastError"));
        putOptional(node, "leaseOwner", job.leaseOwner());
        putInstant(node, "leaseExpiresAt", job.leaseExpiresAt());
        node.put("cancelRequested", job.cancelRequested());
        node.put("createdAt", job.createdAt().toString());
        putInstant(node, "startedAt", job.startedAt());
        putInstant(node, "finishedAt", job.finishedAt());
        node.put("updatedAt", job.updatedAt().toString());
        var metadata = node.putObject("metadata");
        job.metadata().forEach(metadata::put);
        var attempts = node.putArray("attempts");
        for (Attempt attempt : job.attempts()) {
            ObjectNode run = attempts.addObject()
                    .put("number", attempt.number())
                    .put("worker", attempt.worker())
                    .put("startedAt", attempt.startedAt().toString())
                    .put("endedAt", attempt.endedAt().toString())
                    .put("outcome", attempt.outcome().name());
            attempt.error().ifPresentOrElse(e -> run.set("error", error(e)), () -> run.putNull("error"));
        }
        return node;
    }

    /**
     * A job without its payload, result and run history, which may be large: what an event or a CSV row
     * carries. {@code GET /api/jobs/{id}} has the rest.
     */
    public ObjectNode summary(Job job) {
        ObjectNode node = job(job);
        node.remove("payload");
        node.remove("result");
        node.remove("attempts");
        return node;
    }

    /** A job as handed to the worker that leased it: with its lease token. */
    /** A job a worker acquired, with what it needs to resume it. */
    public ObjectNode leased(Job job, RemoteWorkers.DurableWork work) {
        ObjectNode node = job(job);
        node.put("leaseToken", job.leaseToken().orElseThrow().toString());
        var steps = node.putArray("steps");
        for (int i = 0; i < work.steps().size(); i++) {
            steps.add(step(i, work.steps().get(i)));
        }
        work.checkpoint().ifPresentOrElse(c -> node.set("checkpoint", checkpoint(c)), () -> node.putNull("checkpoint"));
        var parents = node.putArray("parents");
        for (ParentResult parent : work.parents()) {
            ObjectNode entry = parents.addObject();
            entry.put("id", parent.id().toString());
            parent.name().ifPresentOrElse(name -> entry.put("name", name), () -> entry.putNull("name"));
            parent.state().ifPresentOrElse(state -> entry.put("state", state.name()), () -> entry.putNull("state"));
            entry.set("result", parent.result().orElse(mapper.nullNode()));
        }
        return node;
    }

    public ObjectNode step(int index, JobStep step) {
        ObjectNode node = mapper.createObjectNode();
        node.put("index", index);
        node.put("name", step.name());
        node.set("result", step.result());
        node.put("recordedAt", step.recordedAt().toString());
        return node;
    }

    public ObjectNode checkpoint(JobCheckpoint checkpoint) {
        ObjectNode node = mapper.createObjectNode();
        node.set("state", checkpoint.state());
        node.put("savedAt", checkpoint.savedAt().toString());
        return node;
    }

    private ObjectNode error(JobError error) {
        ObjectNode node = mapper.createObjectNode();
        node.put("type", error.type());
        node.put("message", error.message());
        node.put("stack", error.stackTrace());
        return node;
    }

    public ObjectNode worker(WorkerInfo worker) {
        ObjectNode node = mapper.createObjectNode();
        node.put("id", worker.id());
        node.put("host", worker.host());
        var queues = node.putArray("queues");
        worker.queues().stream().sorted().forEach(queues::add);
        node.put("concurrency", worker.concurrency());
        node.put("running", worker.running());
        node.put("status", worker.stoppedAt().isPresent() ? "stopped" : worker.alive() ? "alive" : "dead");
        node.put("startedAt", worker.startedAt().toString());
        node.put("lastHeartbeatAt", worker.lastHeartbeatAt().toString());
        node.put("expiresAt", worker.expiresAt().toString());
        putInstant(node, "diedAt", worker.diedAt());
        putInstant(node, "stoppedAt", worker.stoppedAt());
        return node;
    }

    /** A queue: its counts now, and how its jobs went over the stats' window. */
    public ObjectNode queue(
            QueueCounts counts, QueueStats stats, QueueLimits limits, Optional<DispatchDepth> dispatch) {
        ObjectNode node = mapper.createObjectNode();
        node.put("name", counts.queue());
        node.put("paused", counts.paused());
        node.set("limits", limitsOf(limits));
        var states = node.putObject("counts");
        counts.byState().forEach((state, n) -> states.put(state.name(), n));
        node.put("succeeded", stats.succeeded());
        node.put("failed", stats.failed());
        stats.averageRunTime()
                .ifPresentOrElse(
                        run -> node.put("averageRunMs", run.toNanos() / 1_000_000.0),
                        () -> node.putNull("averageRunMs"));
        stats.successRate().ifPresentOrElse(rate -> node.put("successRate", rate), () -> node.putNull("successRate"));
        dispatch.ifPresent(depth -> node.putObject("dispatch")
                .put("ready", depth.ready())
                .put("delayed", depth.delayed())
                .put("inFlight", depth.inFlight())
                .put("paused", depth.paused()));
        return node;
    }

    /** A queue's limits, as {@code GET /api/queues/{name}/limits} answers. */
    public ObjectNode limits(String queue, QueueLimits limits) {
        ObjectNode node = mapper.createObjectNode().put("name", queue);
        node.set("limits", limitsOf(limits));
        return node;
    }

    /** Each limit, {@code null} where none is set. */
    private ObjectNode limitsOf(QueueLimits limits) {
        ObjectNode node = mapper.createObjectNode();
        limits.maxRunning().ifPresentOrElse(n -> node.put("maxRunning", n), () -> node.putNull("maxRunning"));
        limits.maxStarts()
                .ifPresentOrElse(
                        rate -> node.putObject("maxStarts")
                                .put("starts", rate.starts())
                                .put("perMs", rate.per().toMillis()),
                        () -> node.putNull("maxStarts"));
        limits.maxRunningPerKey()
                .ifPresentOrElse(n -> node.put("maxRunningPerKey", n), () -> node.putNull("maxRunningPerKey"));
        return node;
    }

    private static void putOptional(ObjectNode node, String field, Optional<String> value) {
        value.ifPresentOrElse(v -> node.put(field, v), () -> node.putNull(field));
    }

    private static void putInstant(ObjectNode node, String field, Optional<Instant> value) {
        value.ifPresentOrElse(v -> node.put(field, v.toString()), () -> node.putNull(field));
    }
}
