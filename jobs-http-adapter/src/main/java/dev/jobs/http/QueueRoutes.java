package dev.jobs.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jobs.core.DispatchDepth;
import dev.jobs.core.JobEngine;
import dev.jobs.core.QueueCounts;
import dev.jobs.core.QueueLimits;
import dev.jobs.core.QueueStats;
import dev.jobs.core.StoreUnavailableException;
import dev.jobs.http.internal.Bodies;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** {@code /api/queues}: each queue's counts and recent runs, pausing and resuming, its limits. */
final class QueueRoutes {
    /** The window of {@code GET /api/queues}' success rates and run times unless the client names one. */
    static final int DEFAULT_STATS_WINDOW_MINUTES = 60;

    static final int MAX_STATS_WINDOW_MINUTES = 7 * 24 * 60;

    private final RouteContext context;
    private final JobEngine engine;

    QueueRoutes(RouteContext context) {
        this.context = context;
        this.engine = context.engine();
    }

    void addTo(Router router) {
        router.route("GET", "/api/queues", Role.READ, (r, m, c) -> list(r));
        router.route("POST", "/api/queues/{name}/pause", Role.ADMIN, (r, m, c) -> pause(queue(m), true));
        router.route("POST", "/api/queues/{name}/resume", Role.ADMIN, (r, m, c) -> pause(queue(m), false));
        router.route("GET", "/api/queues/{name}/limits", Role.READ, (r, m, c) -> limits(queue(m)));
        router.route("PUT", "/api/queues/{name}/limits", Role.ADMIN, (r, m, c) -> putLimits(r, queue(m)));
        router.route("DELETE", "/api/queues/{name}/limits", Role.ADMIN, (r, m, c) -> deleteLimits(queue(m)));
    }

    private static String queue(Router.PathParameters path) {
        return Params.queueName(path.group(1));
    }

    private ApiResponse list(ApiRequest request) {
        int windowMinutes =
                Params.positive(request, "windowMinutes", DEFAULT_STATS_WINDOW_MINUTES, MAX_STATS_WINDOW_MINUTES);
        var statsByQueue = new HashMap<String, QueueStats>();
        engine.queueStats(engine.clock().instant().minus(Duration.ofMinutes(windowMinutes)))
                .forEach(stats -> statsByQueue.put(stats.queue(), stats));
        Map<String, QueueLimits> limits = engine.queueLimits();
        ObjectNode response = context.responses().object();
        response.put("windowMinutes", windowMinutes);
        var array = response.putArray("queues");
        for (QueueCounts counts : engine.counts()) {
            QueueStats stats =
                    statsByQueue.getOrDefault(counts.queue(), new QueueStats(counts.queue(), 0, 0, Optional.empty()));
            array.add(context.json()
                    .queue(
                            counts,
                            stats,
                            limits.getOrDefault(counts.queue(), QueueLimits.none()),
                            dispatchDepth(counts.queue())));
        }
        return context.responses().ok(response);
    }

    /** The dispatch queue's view of a queue; left out, not an error, when Redis is down: the counts still stand. */
    private Optional<DispatchDepth> dispatchDepth(String queue) {
        try {
            return engine.dispatchDepth(queue);
        } catch (StoreUnavailableException e) {
            return Optional.empty();
        }
    }

    private ApiResponse pause(String queue, boolean paused) {
        if (paused) {
            engine.pauseQueue(queue);
        } else {
            engine.resumeQueue(queue);
        }
        return context.responses()
                .ok(context.responses().object().put("name", queue).put("paused", paused));
    }

    private ApiResponse limits(String queue) {
        return context.responses()
                .ok(context.json().limits(queue, engine.queueLimits().getOrDefault(queue, QueueLimits.none())));
    }

    private ApiResponse putLimits(ApiRequest request, String queue) {
        Bodies.PutQueueLimits body = context.bodies().read(request.body(), Bodies.PutQueueLimits.class);
        QueueLimits limits = QueueLimits.none();
        if (body.maxRunning() != null) {
            limits = limits.withMaxRunning(body.maxRunning());
        }
        if (body.maxStarts() != null) {
            limits = limits.withMaxStarts(
                    body.maxStarts().starts(),
                    Duration.ofMillis(body.maxStarts().perMs()));
        }
        if (body.maxRunningPerKey() != null) {
            limits = limits.withMaxRunningPerKey(body.maxRunningPerKey());
        }
        engine.setQueueLimits(queue, limits);
        return context.responses().ok(context.json().limits(queue, limits));
    }

    private ApiResponse deleteLimits(String queue) {
        engine.setQueueLimits(queue, QueueLimits.none());
        return context.responses().noContent();
    }
}
