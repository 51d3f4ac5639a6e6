package dev.jobs.http;

import static dev.jobs.testing.JobsTesting.EVENTUALLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jobs.core.JobEngine;
import dev.jobs.core.QueueCounts;
import dev.jobs.testing.ReliabilityFigures;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Uploads without a valid token are refused on their headers: the server answers 401 and closes
 * the connection before a byte of the body is sent, so three hundred of them, each announcing a
 * body of the largest size accepted, hold no memory for their bodies.
 */
class UnauthenticatedUploadTest {
    private static final String ADMIN = "admin-token-0123456789";
    private static final int UPLOADS = 300;

    /**
     * What the open connections may add to the heap: each holds the server's buffers for its
     * connection (a few KiB), not its body; 300 bodies as announced would take 300 MiB. The rest is
     * slack for what else the JVM allocates meanwhile.
     */
    private static final long HEAP_GROWTH_BOUND = 48L * 1024 * 1024;

    private final JobEngine engine = JobEngine.builder()
            .queue("default", 1)
            .register("noop", ctx -> null)
            .build();
    private final JobsHttpApi api =
            JobsHttpApi.builder().engine(engine).token(ADMIN, Role.ADMIN).build();
    private final JobsHttpServer server = JobsHttpServer.start(api, new InetSocketAddress("127.0.0.1", 0));

    @AfterEach
    void stop() {
        server.close();
        engine.close();
    }

    @Test
    void uploadsWithoutAValidTokenAreRefusedBeforeTheirBodies() throws Exception {
        long before = heapUsedAfterCollection();
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < UPLOADS; i++) {
                var socket = new Socket("127.0.0.1", server.port());
                sockets.add(socket);
                socket.setSoTimeout((int) EVENTUALLY.toMillis());
                String token = i % 3 == 0
                        ? ""
                        : "Authorization: Bearer " + (i % 3 == 1 ? "wrong-token-0123456789" : "x") + "\r\n";
                socket.getOutputStream()
                        .write(("POST /api/jobs HTTP/1.1\r\nHost: x\r\n" + token
                                        + "Content-Type: application/json\r\nContent-Length: " + api.maxBodyBytes()
                                        + "\r\n\r\n")
                                .getBytes(StandardCharsets.ISO_8859_1));
                socket.getOutputStream().flush();
            }
            // Every one is answered with no body byte sent: the answer cannot have waited for it.
            for (Socket socket : sockets) {
                String answer = readUntilClosed(socket.getInputStream());
                assertThat(answer).startsWith("HTTP/1.1 401 ");
                assertThat(answer.toLowerCase()).contains("connection: close").contains("application/problem+json");
            }
            long grown = heapUsedAfterCollection() - before;
            assertThat(grown)
                    .as("heap grown by %d KiB with %d refused uploads", grown / 1024, UPLOADS)
                    .isLessThan(HEAP_GROWTH_BOUND);
            ReliabilityFigures.scenario("http-unauthenticated-uploads", "HTTP uploads without a valid token")
                    .reproduce("./mvnw verify -pl jobs-http-adapter -am -Dtest=UnauthenticatedUploadTest"
                            + " -Dsurefire.failIfNoSpecifiedTests=false")
                    .faults(
                            1,
                            UPLOADS + " connections announcing a " + api.maxBodyBytes()
                                    + "-byte body without a valid token, sending none of it")
                    .figure("answered 401 before any body byte was sent", UPLOADS)
                    .figure(
                            "heap grown while they were open, KiB (bound " + HEAP_GROWTH_BOUND / 1024 + ")",
                            grown / 1024)
                    .figure("jobs created", 0)
                    .write();
        } finally {
            for (Socket socket : sockets) {
                socket.close();
            }
        }
        assertThat(engine.counts().stream().mapToLong(QueueCounts::unfinished).sum())
                .isZero();
    }

    @Test
    void anAuthorizedUploadOnTheSameServerIsStillRead() throws Exception {
        try (var socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout((int) EVENTUALLY.toMillis());
            String body = "{\"type\":\"noop\"}";
            socket.getOutputStream()
                    .write(("POST /api/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + ADMIN
                                    + "\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: "
                                    + body.length() + "\r\n\r\n" + body)
                            .getBytes(StandardCharsets.ISO_8859_1));
            assertThat(readUntilClosed(socket.getInputStream())).startsWith("HTTP/1.1 201 ");
        }
    }

    /** The server closes each refused connection, so its answer ends where the stream does. */
    private static String readUntilClosed(InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }

    private static long heapUsedAfterCollection() {
        var memory = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return memory.getHeapMemoryUsage().getUsed();
    }
}
