package dev.jobs.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a {@link JobsHttpApi} on the JDK's built-in HTTP server, one virtual thread per request,
 * so a host adds no web framework. Bodies are read only up to the API's limit, so an oversize upload
 * costs the server no more memory than the limit.
 *
 * <pre>{@code
 * JobsHttpServer server = JobsHttpServer.start(api, new InetSocketAddress(8080));
 * ...
 * server.close();
 * }</pre>
 *
 * Thread-safe.
 */
public final class JobsHttpServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(JobsHttpServer.class);

    /** Seconds {@link #close()} lets requests in flight finish (a long poll ends within 30 s). */
    private static final int STOP_DELAY_SECONDS = 2;

    /** Seconds a client may take to send one request, headers and body. */
    private static final int MAX_REQUEST_SECONDS = 60;

    /** Idle keep-alive connections the server keeps open; see {@link #limitRequests()}. */
    static final int MAX_IDLE_CONNECTIONS = 4096;

    private final HttpServer server;
    private final ExecutorService executor;
    private final JobsHttpApi api;

    private JobsHttpServer(HttpServer server, ExecutorService executor, JobsHttpApi api) {
        this.server = server;
        this.executor = executor;
        this.api = api;
    }

    /**
     * Starts serving at {@code address}; port 0 picks a free port (see {@link #port()}).
     *
     * @throws UncheckedIOException if the address cannot be bound
     */
    public static JobsHttpServer start(JobsHttpApi api, InetSocketAddress address) {
        Objects.requireNonNull(api, "api");
        limitRequests();
        try {
            HttpServer server = HttpServer.create(address, 0);
            ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
            var started = new JobsHttpServer(server, executor, api);
            server.createContext("/", started::exchange);
            server.setExecutor(executor);
            server.start();
            log.info("jobs HTTP API listening on {}", server.getAddress());
            return started;
        } catch (IOException e) {
            throw new UncheckedIOException("could not listen on " + address + ": " + e.getMessage(), e);
        }
    }

    /**
     * Bounds what the JDK's server reads before the API sees a request: header count and size, and
     * how long a client may take to send a request (a slow client otherwise holds its connection for
     * ever). They are JVM-wide settings the server reads once, so a value the host set wins.
     * Responses have no time limit: event streams and long polls are long on purpose.
     *
     * <p>Past its limit of idle keep-alive connections (200 by default) the JDK's server closes a
     * connection the moment it has answered on it, and a client with a larger pool that sends its
     * next request on it meanwhile gets no answer at all: a flood of 256 clients saw one request in
     * twenty-five lost so. The limit is raised to {@value #MAX_IDLE_CONNECTIONS}; idle connections
     * still close after the server's idle interval.
     *
     * <p>The header limits are twice the API's: the JDK's server drops a connection past its limit
     * without a word, so a request somewhat over the API's limit still gets a {@code 431} that says
     * why, and only an absurd one is cut off.
     */
    private static void limitRequests() {
        setUnlessSet("sun.net.httpserver.maxReqHeaders", 2 * JobsHttpApi.MAX_HEADERS);
        setUnlessSet("sun.net.httpserver.maxReqHeaderSize", 2 * JobsHttpApi.MAX_HEADER_BYTES);
        setUnlessSet("sun.net.httpserver.maxReqTime", MAX_REQUEST_SECONDS);
        setUnlessSet("sun.net.httpserver.maxIdleConnections", MAX_IDLE_CONNECTIONS);
    }

    private static void setUnlessSet(String property, int value) {
        if (System.getProperty(property) == null) {
            System.setProperty(property, Integer.toString(value));
        }
    }

    /** The port it listens on. */
    public int port() {
        return server.getAddress().getPort();
    }

    /** The address and port it listens on. */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    private void exchange(HttpExchange exchange) {
        try (exchange) {
            ApiResponse response = api.handle(request(exchange));
            var headers = exchange.getResponseHeaders();
            response.headers().forEach(headers::set);
            if (!response.contentType().isEmpty()) {
                headers.set("Content-Type", response.contentType());
            }
            headers.set("Cache-Control", "no-store");
            headers.set("X-Content-Type-Options", "nosniff");
            boolean head = exchange.getRequestMethod().equalsIgnoreCase("HEAD");
            if (response.stream().isPresent() && !head) {
                // Length 0: chunked, written as the stream produces it.
                exchange.sendResponseHeaders(response.status(), 0);
                try (OutputStream out = exchange.getResponseBody()) {
                    response.stream().get().writeTo(out);
                }
                return;
            }
            byte[] body = response.body();
            exchange.sendResponseHeaders(response.status(), body.length == 0 || head ? -1 : body.length);
            if (body.length > 0 && !head) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        } catch (InterruptedException e) {
            // The server is stopping: a stream ends here.
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            log.debug(
                    "client went away during {} {}: {}",
                    exchange.getRequestMethod(),
                    exchange.getRequestURI(),
                    e.toString());
        } catch (RuntimeException e) {
            log.error("could not answer {} {}", exchange.getRequestMethod(), exchange.getRequestURI(), e);
        }
    }

    private ApiRequest request(HttpExchange exchange) throws IOException {
        URI uri = exchange.getRequestURI();
        var headers = new LinkedHashMap<String, List<String>>();
        exchange.getRequestHeaders().forEach(headers::put);
        return new ApiRequest(
                exchange.getRequestMethod(),
                uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath(),
                query(uri.getRawQuery()),
                headers,
                body(exchange.getRequestBody()),
                exchange.getRemoteAddress().getAddress().getHostAddress());
    }

    /** At most one byte past the limit: enough for the API to see it is too large. */
    private byte[] body(InputStream in) throws IOException {
        return in.readNBytes(api.maxBodyBytes() + 1);
    }

    private static Map<String, List<String>> query(String raw) {
        var params = new LinkedHashMap<String, List<String>>();
        if (raw == null || raw.isEmpty()) {
            return params;
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq));
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
            params.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
        }
        return params;
    }

    /** Percent-decoding; a malformed escape is kept as written rather than failing the request. */
    private static String decode(String text) {
        try {
            return URLDecoder.decode(text, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return text;
        }
    }

    /** Stops listening, lets requests in flight finish briefly, then stops their threads. */
    @Override
    public void close() {
        server.stop(STOP_DELAY_SECONDS);
        executor.shutdownNow();
        log.info("jobs HTTP API stopped");
    }
}
