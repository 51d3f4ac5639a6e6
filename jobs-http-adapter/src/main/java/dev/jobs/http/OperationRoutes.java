package dev.jobs.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jobs.core.FinishedInMinute;
import dev.jobs.core.JobEngine;
import dev.jobs.http.internal.ApiException;
import dev.jobs.http.internal.Dashboard;
import dev.jobs.http.internal.EventStream;
import dev.jobs.http.internal.FairShare;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What runs the service rather than its jobs: the dashboard, health, who the caller is, the OpenAPI
 * document, throughput, the event stream and Prometheus metrics.
 */
final class OperationRoutes {
    private static final Logger log = LoggerFactory.getLogger(JobsHttpApi.class);

    static final int DEFAULT_THROUGHPUT_MINUTES = 30;

    static final int MAX_THROUGHPUT_MINUTES = 24 * 60;

    private final RouteContext context;
    private final JobEngine engine;
    private final FairShare eventStreams;
    private final Optional<Supplier<String>> prometheusScrape;
    private final byte[] openApi = readOpenApi();
    private final Dashboard dashboard = new Dashboard();

    OperationRoutes(RouteContext context, FairShare eventStreams, Optional<Supplier<String>> prometheusScrape) {
        this.context = context;
        this.engine = context.engine();
        this.eventStreams = eventStreams;
        this.prometheusScrape = prometheusScrape;
    }

    /** The routes anyone may call, before every other. */
    void addPublicTo(Router router) {
        router.route("GET", "/", null, (r, m, c) -> dashboard.page());
        router.route("GET", "/dashboard/{asset}", null, (r, m, c) -> dashboard.asset(m.group(1)));
        router.route("GET", "/health", null, (r, m, c) -> health());
        router.route(
                "GET",
                "/api/me",
                Role.READ,
                (r, m, c) -> context.responses()
                        .ok(context.responses()
                                .object()
                                .put("role", c.role().name().toLowerCase(Locale.ROOT))));
        router.route(
                "GET", "/openapi.json", null, (r, m, c) -> new ApiResponse(200, Responses.JSON, Map.of(), openApi));
    }

    void addTo(Router router) {
        router.route("GET", "/api/throughput", Role.READ, (r, m, c) -> throughput(r));
        router.route("GET", "/api/events", Role.READ, (r, m, c) -> events(r, c));
        router.route("GET", "/metrics", Role.READ, (r, m, c) -> metrics());
    }

    private ApiResponse health() {
        try {
            engine.checkHealth();
            return context.responses().ok(context.responses().object().put("status", "up"));
        } catch (RuntimeException e) {
            log.warn("health check: the store does not answer: {}", e.toString());
            return context.responses()
                    .json(
                            503,
                            Map.of(),
                            context.responses()
                                    .object()
                                    .put("status", "down")
                                    .put("detail", "the job store or its dispatch queue does not answer"));
        }
    }

    /** Jobs finished per minute over the last {@code minutes}, every minute present (zeros too), oldest first. */
    private ApiResponse throughput(ApiRequest request) {
        int minutes = Params.positive(request, "minutes", DEFAULT_THROUGHPUT_MINUTES, MAX_THROUGHPUT_MINUTES);
        Instant first = engine.clock().instant().truncatedTo(ChronoUnit.MINUTES).minus(Duration.ofMinutes(minutes - 1));
        var counted = new HashMap<Instant, FinishedInMinute>();
        engine.finishedPerMinute(first).forEach(minute -> counted.put(minute.minute(), minute));
        ObjectNode response = context.responses().object().put("minutes", minutes);
        var series = response.putArray("series");
        for (int i = 0; i < minutes; i++) {
            Instant minute = first.plus(Duration.ofMinutes(i));
            FinishedInMinute finished = counted.getOrDefault(minute, new FinishedInMinute(minute, 0, 0));
            series.addObject()
                    .put("minute", minute.toString())
                    .put("succeeded", finished.succeeded())
                    .put("failed", finished.failed());
        }
        return context.responses().ok(response);
    }

    private ApiResponse events(ApiRequest request, Caller caller) {
        // Taken now, so a refusal is still a status; the stream gives it back when it ends.
        FairShare.Permit permit = eventStreams.take(caller.principal());
        return ApiResponse.streaming(
                200,
                "text/event-stream; charset=utf-8",
                Map.of(),
                new EventStream(
                        engine,
                        context.json(),
                        context.mapper(),
                        Set.copyOf(request.params("queue")),
                        Set.copyOf(request.params("type")),
                        permit));
    }

    private ApiResponse metrics() {
        Supplier<String> scrape = prometheusScrape.orElseThrow(() -> new ApiException(
                404,
                "Not found",
                "metrics are not enabled on this server: build the API with"
                        + " prometheusScrape(registry::scrape) and give the engine that registry"));
        return new ApiResponse(
                200,
                "text/plain; version=0.0.4; charset=utf-8",
                Map.of(),
                scrape.get().getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] readOpenApi() {
        try (InputStream in = JobsHttpApi.class.getResourceAsStream("openapi.json")) {
            if (in == null) {
                throw new IllegalStateException("openapi.json is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("could not read openapi.json", e);
        }
    }
}
