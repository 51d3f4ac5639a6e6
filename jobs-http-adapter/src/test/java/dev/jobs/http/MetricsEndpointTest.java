package dev.jobs.http;

import static dev.jobs.testing.JobsTesting.EVENTUALLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jobs.core.JobEngine;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code GET /metrics} serves the engine's meters in Prometheus's text format, as a host wires it. */
class MetricsEndpointTest {
    private static final String READER = "reader-token-0123456789";
    private static final String ADMIN = "admin-token-0123456789";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JobEngine engine = JobEngine.builder()
            .meterRegistry(registry)
            .queue("mail", 2)
            .register("email.send", ctx -> "sent")
            .build();
    private final JobsHttpServer server = JobsHttpServer.start(
            JobsHttpApi.builder()
                    .engine(engine)
                    .token(READER, Role.READ)
                    .token(ADMIN, Role.ADMIN)
                    .prometheusScrape(registry::scrape)
                    .build(),
            new InetSocketAddress("127.0.0.1", 0));
    private final HttpClient client = HttpClient.newHttpClient();

    @AfterEach
    void stop() {
        server.close();
        engine.close();
    }

    private HttpResponse<String> send(String method, String path, String token, String body) throws Exception {
        var request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(EVENTUALLY)
                .header("Authorization", "Bearer " + token)
                .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        return client.send(request.build(), BodyHandlers.ofString());
    }

    @Test
    void metricsShowTheJobsTheEngineRan() throws Exception {
        engine.start();
        String id = send("POST", "/api/jobs", ADMIN, "{\"type\":\"email.send\",\"queue\":\"mail\"}")
                .body()
                .replaceAll("(?s).*\"id\":\"([^\"]+)\".*", "$1");
        engine.await(UUID.fromString(id), EVENTUALLY);

        HttpResponse<String> metrics = send("GET", "/metrics", READER, null);

        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
        assertThat(metrics.body())
                .contains("# TYPE jobs_enqueued_total counter")
                .containsPattern("jobs_enqueued_total\\{queue=\"mail\",type=\"email.send\"} 1(\\.0)?")
                .containsPattern("jobs_succeeded_total\\{queue=\"mail\",type=\"email.send\"} 1(\\.0)?")
                .contains("jobs_run_seconds_count{outcome=\"succeeded\",queue=\"mail\",type=\"email.send\"}");
    }
}
