package dev.jobs.http;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a {@link JobsHttpApi} on Jetty's core HTTP server (no servlet container), each request on
 * a virtual thread. Bodies are read only up to the API's limit, so an oversize upload costs the
 * server no more memory than the limit; a request the server refuses before the API sees it (a
 * malformed request line or header, headers too large) is answered with the API's problem+json, as
 * every other refusal is.
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

    /** How long {@link #close()} lets requests in flight finish (a long poll ends within 30 s). */
    private static final Duration STOP_DELAY = Duration.ofSeconds(2);

    /**
     * How long a connection may go without a byte moving while the server waits on it: for the next
     * request on a kept-alive connection, for more of a request's headers or body, for a client to
     * read what it was sent. A handler that is working or waiting (a long poll) is not cut off by it;
     * event streams send a comment more often than this.
     */
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(30);

    /** How long a client may take to send one request, headers and body. */
    static final Duration MAX_REQUEST_TIME = Duration.ofSeconds(60);

    /** Connections waiting to be accepted; see {@link #start}. */
    private static final int ACCEPT_QUEUE = 1024;

    private final Server server;
    private final ServerConnector connector;
    private final ExecutorService handlers;

    private JobsHttpServer(Server server, ServerConnector connector, ExecutorService handlers) {
        this.server = server;
        this.connector = connector;
        this.handlers = handlers;
    }

    /**
     * Starts serving at {@code address}; port 0 picks a free port (see {@link #port()}).
     *
     * @throws UncheckedIOException if the address cannot be bound
     */
    public static JobsHttpServer start(JobsHttpApi api, InetSocketAddress address) {
        return start(api, address, MAX_REQUEST_TIME);
    }

    /** As {@link #start(JobsHttpApi, InetSocketAddress)}, a client given {@code maxRequestTime} to send a request. */
    static JobsHttpServer start(JobsHttpApi api, InetSocketAddress address, Duration maxRequestTime) {
        Objects.requireNonNull(api, "api");
        Objects.requireNonNull(address, "address");
        ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();
        var threads = new QueuedThreadPool();
        threads.setName("jobs-http");
        threads.setVirtualThreadsExecutor(handlers);
        var server = new Server(threads);
        var connector = new ServerConnector(server, new HttpConnectionFactory(configuration()));
        connector.setHost(
                address.getAddress() == null
                        ? address.getHostString()
                        : address.getAddress().getHostAddress());
        connector.setPort(address.getPort());
        connector.setIdleTimeout(IDLE_TIMEOUT.toMillis());
        // Connections a burst opens before they are accepted (the kernel caps it at somaxconn); the
        // JVM's default of 50 made a burst of 600 clients see connections reset.
        connector.setAcceptQueueSize(ACCEPT_QUEUE);
        server.addConnector(connector);
        server.setHandler(new GracefulHandler(new ApiHandler(api, maxRequestTime)));
        server.setErrorHandler(new Refusals(api));
        server.setStopTimeout(STOP_DELAY.toMillis());
        var started = new JobsHttpServer(server, connector, handlers);
        try {
            server.start();
        } catch (Exception e) {
            started.close();
            if (e instanceof IOException io) {
                String why =
                        io.getCause() == null ? io.getMessage() : io.getCause().getMessage();
                throw new UncheckedIOException("could not listen on " + address + ": " + why, io);
            }
            throw new IllegalStateException("could not start the HTTP server on " + address + ": " + e.getMessage(), e);
        }
        log.info("jobs HTTP API listening on {}", started.address());
        return started;
    }

    /**
     * What the server reads before the API sees a request. Headers may take twice the API's limit,
     * so a request somewhat over it still reaches the API and gets its {@code 431} naming the
     * limit; past twice the limit the server answers {@code 431} itself. Paths reach the API as
     * sent: it matches routes on the raw path (an encoded {@code /} stays inside its parameter) and
     * answers a malformed escape itself.
     */
    private static HttpConfiguration configuration() {
        var http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        http.setRequestHeaderSize(2 * JobsHttpApi.MAX_HEADER_BYTES);
        http.setUriCompliance(UriCompliance.UNSAFE);
        // The API answers once it has the headers; it reads a body only when the request needs it.
        http.setDelayDispatchUntilContent(false);
        return http;
    }

    /** The port it listens on. */
    public int port() {
        return connector.getLocalPort();
    }

    /** The address and port it listens on. */
    public InetSocketAddress address() {
        String host = connector.getHost();
        return host == null ? new InetSocketAddress(port()) : new InetSocketAddress(host, port());
    }

    /** Stops listening, lets requests in flight finish briefly, then ends those still running. */
    @Override
    public void close() {
        try {
            server.stop();
        } catch (TimeoutException e) {
            log.info("requests still in progress after {} were cut off (long polls, event streams)", STOP_DELAY);
        } catch (Exception e) {
            log.warn("the HTTP server did not stop cleanly: {}", e.toString());
        } finally {
            handlers.shutdownNow(); // interrupts long polls and event streams still running
        }
        log.info("jobs HTTP API stopped");
    }

    /** Hands each request to the API and writes its answer. */
    private static final class ApiHandler extends Handler.Abstract {
        private final JobsHttpApi api;
        private final Duration maxRequestTime;

        ApiHandler(JobsHttpApi api, Duration maxRequestTime) {
            this.api = api;
            this.maxRequestTime = maxRequestTime;
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            // A handler working or waiting (a long poll) is not cut off for being idle; a read or a
            // write the client leaves hanging still is.
            request.addIdleTimeoutListener(timeout -> false);
            try {
                var body = new Body(request);
                ApiResponse answer = api.handle(head(request), body);
                if (!body.read && hasBody(request)) {
                    // Refused before its body was read (no token, no such route): the rest of the
                    // upload is not waited for, and the connection cannot carry another request.
                    response.getHeaders().put(HttpHeader.CONNECTION, "close");
                }
                write(request, response, answer);
                callback.succeeded();
            } catch (BodyTooSlow e) {
                ApiResponse late = api.refusal(408, null);
                response.getHeaders().put(HttpHeader.CONNECTION, "close");
                try {
                    write(request, response, late);
                    callback.succeeded();
                } catch (InterruptedException gone) {
                    Thread.currentThread().interrupt();
                    callback.failed(gone);
                } catch (IOException | RuntimeException gone) {
                    callback.failed(gone);
                }
            } catch (InterruptedException e) {
                // The server is stopping: a stream ends here.
                Thread.currentThread().interrupt();
                callback.failed(e);
            } catch (IOException e) {
                log.debug("client went away during {} {}: {}", request.getMethod(), request.getHttpURI(), e.toString());
                callback.failed(e);
            } catch (RuntimeException e) {
                log.error(
                        "could not answer {} {}",
                        request.getMethod(),
                        request.getHttpURI().getPath(),
                        e);
                callback.failed(e);
            }
            return true;
        }

        private static boolean hasBody(Request request) {
            return request.getLength() != 0; // -1 when chunked
        }

        /** The request's body, read once if the API asks for it. */
        private final class Body implements RequestBody {
            private final Request request;
            private boolean read;

            Body(Request request) {
                this.request = request;
            }

            @Override
            public byte[] read(int max) throws IOException {
                read = true;
                return body(request, max);
            }
        }

        private static ApiRequest head(Request request) {
            var headers = new LinkedHashMap<String, List<String>>();
            for (HttpField field : request.getHeaders()) {
                headers.computeIfAbsent(field.getName(), n -> new ArrayList<>()).add(field.getValue());
            }
            String path = request.getHttpURI().getPath();
            return new ApiRequest(
                    request.getMethod(),
                    path == null || path.isEmpty() ? "/" : path,
                    query(request.getHttpURI().getQuery()),
                    headers,
                    new byte[0],
                    Request.getRemoteAddr(request));
        }

        /**
         * At most {@code max} bytes (the API asks for one past its limit, to see an upload is too
         * large), within {@link #MAX_REQUEST_TIME} of the request's start: a client trickling its body a byte at a
         * time, each within the idle timeout, does not hold its request for ever.
         */
        private byte[] body(Request request, int max) throws IOException {
            long left = maxRequestTime.toNanos() - (System.nanoTime() - request.getBeginNanoTime());
            var late = new AtomicBoolean();
            Scheduler.Task deadline = request.getComponents()
                    .getScheduler()
                    .schedule(
                            () -> {
                                late.set(true);
                                request.fail(new TimeoutException("the body was not sent in time"));
                            },
                            Math.max(0, left),
                            TimeUnit.NANOSECONDS);
            try {
                return Content.Source.asInputStream(request).readNBytes(max);
            } catch (IOException e) {
                if (late.get()) {
                    throw new BodyTooSlow();
                }
                throw e;
            } finally {
                deadline.cancel();
            }
        }

        private static void write(Request request, Response response, ApiResponse answer)
                throws IOException, InterruptedException {
            response.setStatus(answer.status());
            var headers = response.getHeaders();
            answer.headers().forEach(headers::put);
            if (!answer.contentType().isEmpty()) {
                headers.put(HttpHeader.CONTENT_TYPE, answer.contentType());
            }
            neverCachedNorSniffed(headers);
            boolean head = request.getMethod().equalsIgnoreCase("HEAD");
            if (answer.stream().isPresent() && !head) {
                try (OutputStream out = Content.Sink.asOutputStream(response)) {
                    answer.stream().get().writeTo(out);
                }
                return;
            }
            try (OutputStream out = Content.Sink.asOutputStream(response)) {
                if (!head) {
                    headers.put(HttpHeader.CONTENT_LENGTH, answer.body().length);
                    out.write(answer.body());
                }
            }
        }
    }

    /** A request whose body did not arrive within {@link #MAX_REQUEST_TIME}. */
    private static final class BodyTooSlow extends IOException {
        BodyTooSlow() {
            super("the body was not sent in time");
        }
    }

    /** Every answer, the API's and the server's own refusals alike: not cached, its type not guessed. */
    private static void neverCachedNorSniffed(HttpFields.Mutable headers) {
        headers.put(HttpHeader.CACHE_CONTROL, "no-store");
        headers.put("X-Content-Type-Options", "nosniff");
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

    /**
     * Answers what the server refuses before the API sees it (a malformed request line, header or
     * length; headers too large; an unknown transfer coding) and a handler that failed, as the API's
     * problem+json. Only the server's own reason phrase is passed on, never an exception's text.
     */
    private static final class Refusals implements Request.Handler {
        private static final String MALFORMED_PATH = "its path is malformed: a '%' must start an escape of two hex"
                + " digits (send '%' itself as %25), and spaces and control characters must be escaped";

        private final JobsHttpApi api;

        Refusals(JobsHttpApi api) {
            this.api = api;
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            int status = response.getStatus();
            String reason = null;
            if (request.getAttribute(ErrorHandler.ERROR_EXCEPTION) instanceof HttpException http) {
                status = http.getCode();
                reason = http.getReason();
                if (status == 400
                        && "Bad Request".equalsIgnoreCase(reason)
                        && ((Throwable) http).getCause() instanceof IllegalArgumentException) {
                    // The server could not read the path; its reason is then only "Bad Request".
                    reason = MALFORMED_PATH;
                }
            }
            ApiResponse problem = api.refusal(status, reason);
            response.setStatus(problem.status());
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, problem.contentType());
            neverCachedNorSniffed(response.getHeaders());
            response.write(true, ByteBuffer.wrap(problem.body()), callback);
            return true;
        }
    }
}
