package dev.jobs.http;

import dev.jobs.core.JobEngine;
import dev.jobs.core.JobLimits;
import dev.jobs.http.internal.EventStream;
import dev.jobs.http.internal.FairShare;
import dev.jobs.http.internal.JobJson;
import dev.jobs.http.internal.JsonBodies;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's operations as JSON over HTTP, independent of any server: {@link #handle} takes a
 * request and gives a response, so {@link JobsHttpServer} (on Jetty) or any other can carry
 * it. Every refusal is an RFC 9457 problem document; no input makes it answer 500.
 *
 * <p>A request passes through the parts in turn: {@link LoadShedder} (a slot, or 503 at once),
 * {@link Problems} (whatever the rest throws becomes a problem document), {@link Router} (the
 * route, the caller's role through {@link Authenticator}, then the body), and one class of routes
 * per resource: {@link JobRoutes}, {@link WorkerRoutes}, {@link QueueRoutes}, {@link
 * RecurringRoutes}, {@link OperationRoutes}, whose parameters follow the rules in {@link Params}.
 *
 * <p>Build one with {@link #builder()}. Thread-safe: one instance serves every request.
 */
public final class JobsHttpApi {
    private static final Logger log = LoggerFactory.getLogger(JobsHttpApi.class);

    /** Default body limit: a job's largest payload plus room for its other fields. */
    public static final int DEFAULT_MAX_BODY_BYTES = JobLimits.DEFAULT_MAX_PAYLOAD_BYTES + 64 * 1024;

    /** Most request headers accepted; more get {@code 431}. */
    public static final int MAX_HEADERS = 100;

    /** Most bytes of request headers (names and values) accepted; more get {@code 431}. */
    public static final int MAX_HEADER_BYTES = 64 * 1024;

    /**
     * Default for {@link Builder#maxConcurrentRequests}. Each request in progress holds a virtual
     * thread and, most of the time, one of the store's connections: beyond a few hundred at once,
     * more would only wait for the pool while their clients time out.
     */
    public static final int DEFAULT_MAX_CONCURRENT_REQUESTS = 512;

    /** Default for {@link Builder#maxEventStreams}. */
    public static final int DEFAULT_MAX_EVENT_STREAMS = 256;

    /** Default for {@link Builder#maxEventStreamsPerToken}: a quarter of the streams. */
    public static final int DEFAULT_MAX_EVENT_STREAMS_PER_TOKEN = 64;

    /**
     * Default for {@link Builder#maxWaitingAcquires}: a quarter of the request slots (of fewer
     * slots, a quarter of those), so waiting workers can never take what creates, reads and the
     * dashboard need.
     */
    public static final int DEFAULT_MAX_WAITING_ACQUIRES = DEFAULT_MAX_CONCURRENT_REQUESTS / 4;

    /** Default for {@link Builder#maxWaitingAcquiresPerToken}: half the waiting acquires. */
    public static final int DEFAULT_MAX_WAITING_ACQUIRES_PER_TOKEN = DEFAULT_MAX_WAITING_ACQUIRES / 2;

    /** When a client refused a long-held share should try again. */
    private static final Duration SHARE_RETRY_AFTER = Duration.ofSeconds(1);

    private final int maxBodyBytes;
    private final LoadShedder shedder;
    private final Problems problems;
    private final Router router;

    private JobsHttpApi(Builder builder) {
        this.maxBodyBytes = builder.maxBodyBytes;
        var bodies = new JsonBodies();
        var responses = new Responses(bodies.mapper());
        var context = new RouteContext(builder.engine, bodies, new JobJson(bodies.mapper()), responses);
        this.shedder = new LoadShedder(builder.maxConcurrentRequests, responses);
        this.problems = new Problems(responses, maxBodyBytes);
        var authenticator = new Authenticator(
                builder.tokens, Optional.ofNullable(builder.anonymousRole), Optional.ofNullable(builder.jwt));
        this.router = new Router(authenticator, problems, responses, maxBodyBytes);
        var eventStreams = new FairShare(
                "event streams",
                builder.maxEventStreams,
                "maxEventStreams",
                builder.maxEventStreamsPerToken,
                "maxEventStreamsPerToken",
                Duration.ofSeconds(30));
        var waitingAcquires = new FairShare(
                "waiting acquires",
                builder.maxWaitingAcquires(),
                "maxWaitingAcquires",
                builder.maxWaitingAcquiresPerToken,
                "maxWaitingAcquiresPerToken",
                SHARE_RETRY_AFTER);
        var operations = new OperationRoutes(context, eventStreams, Optional.ofNullable(builder.prometheusScrape));
        operations.addPublicTo(router);
        new WorkerRoutes(context, waitingAcquires).addTo(router);
        new JobRoutes(context).addTo(router);
        new QueueRoutes(context).addTo(router);
        new RecurringRoutes(context).addTo(router);
        operations.addTo(router);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The largest request body accepted; a larger one gets {@code 413}. */
    public int maxBodyBytes() {
        return maxBodyBytes;
    }

    /**
     * The problem+json answer to a request that the server carrying this API refused before handing
     * it on (a malformed request line, header or length, headers too large, an unknown transfer
     * coding) or could not answer, so that every refusal a client meets reads alike.
     *
     * @param status the status the server chose; anything but a 4xx or 5xx is answered as 500
     * @param reason the server's own short reason, or null; passed on only when it is plain words
     */
    public ApiResponse refusal(int status, String reason) {
        return problems.refusal(status, reason);
    }

    /** The method and path template of every route, as the OpenAPI document must list them. */
    public List<String> routes() {
        return router.routes();
    }

    /**
     * Answers one request. Never throws; never answers 500 for anything a client sent. While {@link
     * Builder#maxConcurrentRequests} requests are being answered, another gets {@code 503} with
     * {@code Retry-After} at once instead of queueing behind them; {@code /health} and {@code
     * /metrics} are always answered, so that an overloaded server still says how it is.
     */
    public ApiResponse handle(ApiRequest request) {
        try {
            return handle(request, max -> request.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e); // the body is in memory already
        }
    }

    /**
     * Answers a request whose body is read only once the request needs it: after it has a slot,
     * its route and its token have been checked, so an unauthenticated or misdirected upload is
     * refused having cost the server no more than its headers. A server carrying the API calls this
     * with the request's head ({@link ApiRequest#body()} is ignored) and a way to read its body.
     *
     * @throws IOException when reading the body failed (the client went away, or sent it too slowly)
     */
    public ApiResponse handle(ApiRequest head, RequestBody body) throws IOException {
        return shedder.admit(head, () -> problems.answer(head, () -> router.dispatch(head, body)));
    }

    /** Configures a {@link JobsHttpApi}; {@link #build()} checks the configuration. */
    public static final class Builder {
        private JobEngine engine;
        private final List<Authenticator.KnownToken> tokens = new ArrayList<>();
        private Role anonymousRole;
        private int maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
        private int maxEventStreams = DEFAULT_MAX_EVENT_STREAMS;
        private int maxConcurrentRequests = DEFAULT_MAX_CONCURRENT_REQUESTS;
        private JwtSettings jwt;
        private int maxEventStreamsPerToken = DEFAULT_MAX_EVENT_STREAMS_PER_TOKEN;
        private Integer maxWaitingAcquires;
        private int maxWaitingAcquiresPerToken = DEFAULT_MAX_WAITING_ACQUIRES_PER_TOKEN;
        private Supplier<String> prometheusScrape;

        private Builder() {}

        /** The engine whose operations the API serves. Required. */
        public Builder engine(JobEngine value) {
            engine = Objects.requireNonNull(value, "engine");
            return this;
        }

        /**
         * Accepts {@code Authorization: Bearer <token>} with this role. Only a hash of the token is
         * kept. Tokens shorter than 16 characters are refused: they could be guessed.
         */
        public Builder token(String token, Role role) {
            Objects.requireNonNull(token, "token");
            Objects.requireNonNull(role, "role");
            if (token.length() < 16) {
                throw new IllegalArgumentException("a token must be at least 16 characters");
            }
            tokens.add(new Authenticator.KnownToken(Authenticator.sha256(token), role));
            return this;
        }

        /**
         * Accepts JSON Web Tokens from an identity provider beside the static tokens; see {@link
         * JwtSettings}. The key set is fetched when the API is built.
         */
        public Builder jwt(JwtSettings settings) {
            jwt = Objects.requireNonNull(settings, "settings");
            return this;
        }

        /**
         * Lets requests without a token act with this role. Off by default; for a demo on a trusted
         * machine, not for a server others can reach.
         */
        public Builder anonymousRole(Role role) {
            anonymousRole = Objects.requireNonNull(role, "role");
            return this;
        }

        /** Largest request body accepted. Default {@link #DEFAULT_MAX_BODY_BYTES}. */
        public Builder maxBodyBytes(int value) {
            if (value < 1024) {
                throw new IllegalArgumentException("maxBodyBytes must be at least 1024, was " + value);
            }
            maxBodyBytes = value;
            return this;
        }

        /**
         * Most {@code GET /api/events} streams open at once; one more gets {@code 503}. Each holds a
         * thread (a virtual one) and a buffer of up to {@value EventStream#BUFFERED_EVENTS} events.
         * Default {@link #DEFAULT_MAX_EVENT_STREAMS}.
         */
        public Builder maxEventStreams(int value) {
            if (value < 1) {
                throw new IllegalArgumentException("maxEventStreams must be at least 1, was " + value);
            }
            maxEventStreams = value;
            return this;
        }

        /**
         * Most {@code GET /api/events} streams one token has open at once; one more gets {@code 429}
         * naming this setting. Default {@link #DEFAULT_MAX_EVENT_STREAMS_PER_TOKEN}.
         */
        public Builder maxEventStreamsPerToken(int value) {
            if (value < 1) {
                throw new IllegalArgumentException("maxEventStreamsPerToken must be at least 1, was " + value);
            }
            maxEventStreamsPerToken = value;
            return this;
        }

        /**
         * Most acquires with a {@code waitMs} waiting at once, whatever their token; one more gets
         * {@code 503} with {@code Retry-After: 1} naming this setting. Each holds a request slot while
         * it waits (but no store connection), so this must stay below {@link #maxConcurrentRequests}:
         * the rest are what creates, reads and the dashboard use. Default {@link
         * #DEFAULT_MAX_WAITING_ACQUIRES}, or a quarter of fewer request slots.
         */
        public Builder maxWaitingAcquires(int value) {
            if (value < 1) {
                throw new IllegalArgumentException("maxWaitingAcquires must be at least 1, was " + value);
            }
            maxWaitingAcquires = value;
            return this;
        }

        /**
         * Most acquires with a {@code waitMs} one token has waiting at once; one more gets {@code
         * 429} with {@code Retry-After: 1} naming this setting. Workers sharing a token share this.
         * Default {@link #DEFAULT_MAX_WAITING_ACQUIRES_PER_TOKEN}.
         */
        public Builder maxWaitingAcquiresPerToken(int value) {
            if (value < 1) {
                throw new IllegalArgumentException("maxWaitingAcquiresPerToken must be at least 1, was " + value);
            }
            maxWaitingAcquiresPerToken = value;
            return this;
        }

        private int maxWaitingAcquires() {
            return maxWaitingAcquires != null
                    ? maxWaitingAcquires
                    : Math.max(1, Math.min(DEFAULT_MAX_WAITING_ACQUIRES, maxConcurrentRequests / 4));
        }

        /**
         * Most requests answered at once (an event stream counts only while it opens; a long-polling
         * acquire counts while it waits); one more gets {@code 503} with {@code Retry-After: 1}.
         * Default {@link #DEFAULT_MAX_CONCURRENT_REQUESTS}.
         */
        public Builder maxConcurrentRequests(int value) {
            if (value < 1) {
                throw new IllegalArgumentException("maxConcurrentRequests must be at least 1, was " + value);
            }
            maxConcurrentRequests = value;
            return this;
        }

        /**
         * Serves {@code GET /metrics} from this Prometheus scrape, typically {@code
         * registry::scrape} of the {@code PrometheusMeterRegistry} given to the engine's {@code
         * meterRegistry(...)}. Without it, {@code /metrics} answers 404.
         */
        public Builder prometheusScrape(Supplier<String> scrape) {
            prometheusScrape = Objects.requireNonNull(scrape, "scrape");
            return this;
        }

        public JobsHttpApi build() {
            if (engine == null) {
                throw new IllegalStateException("engine(...) is required");
            }
            if (maxWaitingAcquires != null && maxWaitingAcquires >= maxConcurrentRequests) {
                throw new IllegalStateException("maxWaitingAcquires (" + maxWaitingAcquires()
                        + ") must be below maxConcurrentRequests (" + maxConcurrentRequests
                        + "), so that waiting workers cannot take every request slot");
            }
            if (tokens.isEmpty() && jwt == null && anonymousRole == null) {
                log.warn("no tokens configured: every request but /health and /openapi.json gets 401");
            }
            return new JobsHttpApi(this);
        }
    }
}
