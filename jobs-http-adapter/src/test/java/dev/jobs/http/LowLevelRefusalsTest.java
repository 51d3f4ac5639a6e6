package dev.jobs.http;

import static dev.jobs.testing.JobsTesting.EVENTUALLY;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jobs.core.JobEngine;
import dev.jobs.core.QueueCounts;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Requests malformed below the API (the request line, a header, the body's framing) are written
 * byte for byte on a socket, as no well-behaved client would send them, and each is answered as
 * every other refusal is: a status that says what was wrong and an {@code application/problem+json}
 * body without a word of the server's Java. The connection is closed after a request the server
 * could not frame.
 */
class LowLevelRefusalsTest {
    private static final String ADMIN = "admin-token-0123456789";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final JobEngine engine = JobEngine.builder()
            .queue("default", 1)
            .register("noop", ctx -> null)
            .build();
    private final JobsHttpServer server = JobsHttpServer.start(
            JobsHttpApi.builder().engine(engine).token(ADMIN, Role.ADMIN).build(),
            new InetSocketAddress("127.0.0.1", 0));

    @AfterEach
    void stop() {
        server.close();
        engine.close();
    }

    @Test
    void aNonNumericContentLengthIsABadRequest() throws IOException {
        assertRefusedSaying(
                send("POST /api/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + ADMIN
                        + "\r\nContent-Type: application/json\r\nContent-Length: twelve\r\n\r\n{}"),
                400,
                "Content-Length");
    }

    @Test
    void twoDifferentContentLengthsAreABadRequest() throws IOException {
        assertRefused(
                send("POST /api/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 2\r\nContent-Length: 7\r\n\r\n{}"),
                400);
    }

    @Test
    void aHeaderWithoutAColonIsABadRequest() throws IOException {
        assertRefused(send("GET /health HTTP/1.1\r\nHost: x\r\nthis line is no header\r\n\r\n"), 400);
    }

    @Test
    void aHeaderNameWithAControlCharacterIsABadRequest() throws IOException {
        assertRefused(send("GET /health HTTP/1.1\r\nHost: x\r\nX-\u0001Bad: y\r\n\r\n"), 400);
    }

    @Test
    void anUnknownTransferCodingIsRefused() throws IOException {
        Answer answer = send("POST /api/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: gzip\r\n\r\n{}");
        assertThat(answer.status()).isIn(400, 501);
        assertRefused(answer, answer.status());
    }

    @Test
    void aRequestLineThatIsNotHttpIsRefused() throws IOException {
        Answer answer = send("HELLO THERE\r\n\r\n");
        assertThat(answer.status()).isIn(400, 505);
        assertRefused(answer, answer.status());
    }

    @Test
    void anUnknownHttpVersionIsRefused() throws IOException {
        Answer answer = send("GET /health HTTP/7.1\r\nHost: x\r\n\r\n");
        assertThat(answer.status()).isIn(400, 505);
        assertRefused(answer, answer.status());
    }

    @Test
    void headersFarPastTheLimitAre431() throws IOException {
        String huge = "a".repeat(3 * JobsHttpApi.MAX_HEADER_BYTES);
        assertRefused(send("GET /health HTTP/1.1\r\nHost: x\r\nX-Huge: " + huge + "\r\n\r\n"), 431);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/api/jobs/%zz", "/api/jobs/%", "/api/jobs/%e9", "/%zz/jobs", "/api/jobs/%00"})
    void aPathWithABadPercentEscapeIsAProblem(String path) throws IOException {
        Answer answer = send("GET " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + ADMIN + "\r\n\r\n");
        assertThat(answer.status()).as(path).isIn(400, 404);
        assertRefused(answer, answer.status());
        if (answer.status() == 400) {
            assertThat(JSON.readTree(answer.body()).path("detail").asText()).contains("escape");
        }
    }

    @Test
    void aBadEscapeInTheQueryIsKeptAsWrittenAndNamedInTheProblem() throws IOException {
        Answer answer = send(
                "GET /api/jobs?type=%zz&limit=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + ADMIN + "\r\n\r\n");
        assertRefused(answer, 400);
        JsonNode error = JSON.readTree(answer.body()).path("errors").path(0);
        assertThat(error.path("field").asText()).isEqualTo("type");
        assertThat(error.path("message").asText()).contains("%zz");
    }

    @Test
    void aWellFormedRequestOnTheSameServerIsStillAnswered() throws IOException {
        send("GET /health HTTP/1.1\r\nHost: x\r\nthis line is no header\r\n\r\n");
        Answer health = send("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertThat(health.status()).isEqualTo(200);
    }

    @Test
    void aBodyTrickledPastTheRequestTimeIs408AndTheConnectionCloses() throws Exception {
        Duration maxRequestTime = Duration.ofSeconds(2);
        try (var slow = JobsHttpServer.start(
                        JobsHttpApi.builder()
                                .engine(engine)
                                .token(ADMIN, Role.ADMIN)
                                .build(),
                        new InetSocketAddress("127.0.0.1", 0),
                        maxRequestTime);
                var socket = new Socket("127.0.0.1", slow.port())) {
            socket.setSoTimeout((int) EVENTUALLY.toMillis());
            OutputStream out = socket.getOutputStream();
            out.write(("POST /api/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + ADMIN
                            + "\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            // A byte every 200 ms keeps the connection well inside the idle timeout; only the
            // request time can end it. It is over by maxRequestTime; EVENTUALLY bounds the wait.
            long deadline = System.nanoTime() + EVENTUALLY.toNanos();
            while (socket.getInputStream().available() == 0 && System.nanoTime() < deadline) {
                try {
                    out.write(' ');
                    out.flush();
                } catch (IOException closed) {
                    break;
                }
                Thread.sleep(200);
            }
            Answer answer = read(socket.getInputStream());
            assertRefusedSaying(answer, 408, "not sent in time");
            assertThat(answer.headers().get("connection")).isEqualTo("close");
        }
        assertThat(engine.counts().stream().mapToLong(QueueCounts::unfinished).sum())
                .isZero();
    }

    private static void assertRefusedSaying(Answer answer, int status, String said) throws IOException {
        assertRefused(answer, status);
        assertThat(JSON.readTree(answer.body()).path("detail").asText()).contains(said);
    }

    private static void assertRefused(Answer answer, int status) throws IOException {
        assertThat(answer.status()).as(answer.raw()).isEqualTo(status);
        assertThat(answer.headers().get("content-type")).as(answer.raw()).startsWith("application/problem+json");
        JsonNode problem = JSON.readTree(answer.body());
        assertThat(problem.path("status").asInt()).isEqualTo(status);
        assertThat(problem.path("title").asText()).isNotBlank();
        assertThat(problem.path("detail").asText()).isNotBlank();
        assertThat(answer.body())
                .doesNotContainIgnoringCase("java.")
                .doesNotContainIgnoringCase("exception")
                .doesNotContainIgnoringCase("jetty")
                .doesNotContain("<html");
    }

    /** One exchange on a new connection: the bytes as given, the answer read until the server closes or its body ends. */
    private Answer send(String request) throws IOException {
        try (var socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout((int) EVENTUALLY.toMillis());
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            return read(socket.getInputStream());
        }
    }

    private static Answer read(InputStream in) throws IOException {
        var head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.write(b);
            matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
        assertThat(lines[0]).as("status line").startsWith("HTTP/1.1 ");
        int status = Integer.parseInt(lines[0].substring(9, 12));
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(
                        lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).trim());
            }
        }
        byte[] body;
        if (headers.containsKey("content-length")) {
            body = in.readNBytes(Integer.parseInt(headers.get("content-length")));
        } else {
            body = in.readAllBytes();
        }
        String text = new String(body, StandardCharsets.UTF_8);
        return new Answer(status, headers, text, head.toString(StandardCharsets.ISO_8859_1) + text);
    }

    private record Answer(int status, Map<String, String> headers, String body, String raw) {}
}
