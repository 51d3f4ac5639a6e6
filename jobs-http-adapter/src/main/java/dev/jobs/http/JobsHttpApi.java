package dev.jobs.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jobs.core.DispatchDepth;
import dev.jobs.core.Enqueued;
import dev.jobs.core.FinishedInMinute;
import dev.jobs.core.HeartbeatResult;
import dev.jobs.core.IdempotencyKeyReusedException;
import dev.jobs.core.InvalidTransitionException;
import dev.jobs.core.Job;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobError;
import dev.jobs.core.JobGraph;
import dev.jobs.core.JobLimits;
import dev.jobs.core.JobNotFoundException;
import dev.jobs.core.JobQuery;
import dev.jobs.core.JobSpec;
import dev.jobs.core.JobState;
import dev.jobs.core.JobValidationException;
import dev.jobs.core.JobValidationException.FieldError;
import dev.jobs.core.LeaseLostException;
import dev.jobs.core.QueueCounts;
import dev.jobs.core.QueueLimits;
import dev.jobs.core.QueueStats;
import dev.jobs.core.RecurringJob;
import dev.jobs.core.StoppedWorker;
import dev.jobs.core.StoreFailureException;
import dev.jobs.core.StoreUnavailableException;
import dev.jobs.core.WorkerIdTakenException;
import dev.jobs.core.WorkerPage;
import dev.jobs.http.internal.ApiException;
import dev.jobs.http.internal.Bodies;
import dev.jobs.http.internal.CsvExport;
import dev.jobs.http.internal.Dashboard;
import dev.jobs.http.internal.EventStream;
import dev.jobs.http.internal.FairShare;
import dev.jobs.http.internal.JobJson;
import dev.jobs.http.internal.JobListing;
import dev.jobs.http.internal.JsonBodies;
import dev.jobs.http.internal.Specs;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's operations as JSON over HTTP, independent of any server: {@link #handle} takes a
 * request and gives a response, so {@link JobsHttpServer} (on Jetty) or any other can carry
 * it. Every refusal is an RFC 9457 problem document; no input makes it answer 500.
 *
 * <p>Build one with {@link #builder()}. Thread-safe: one instance serves every request.
 */
public final class JobsHttpApi {
    private static final Logger log = LoggerFactory.getLogger(JobsHttpApi.class);

    /** Default body limit: a job's largest payload plus room for its other fields. */
    public static final int DEFAULT_MAX_BODY_BYTES = JobLimits.DEFAULT_MAX_PAYLOAD_BYTES + 64 * 1024;

    /** The window of {@code GET /api/queues}' success rates and run times unless the client names one. */
    static final int DEFAULT_STATS_WINDOW_MINUTES = 60;

    static final int MAX_STATS_WINDOW_MINUTES = 7 * 24 * 60;

    static final int DEFAULT_THROUGHPUT_MINUTES = 30;

    /** Workers on a page of {@code GET /api/workers} when the client does not say. */
    static final int DEFAULT_WORKERS_PAGE = 100;

    static final int MAX_THROUGHPUT_MINUTES = 24 * 60;

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

    /** Paths answered however many requests are in progress: what monitoring reads. */
    private static final Set<String> ALWAYS_ANSWERED = Set.of("/health", "/metrics");

    /** How often shedding is logged, at most. */
    private static final Duration SHED_LOG_EVERY = Duration.ofSeconds(30);

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

    /** Lease a remote worker gets when it names none: the engine's own default. */
    static final Duration DEFAULT_LEASE = JobEngine.Builder.DEFAULT_LEASE;

    private static final String JSON = "application/json";

    private static final Pattern QUEUE_NAME = Pattern.compile(JobLimits.QUEUE_PATTERN);
    private static final String PROBLEM_JSON = "application/problem+json";

    /** A server's reason phrase worth passing on: a few plain words, no code and no class names. */
    private static final Pattern PLAIN_REASON = Pattern.compile("[A-Za-z][A-Za-z0-9 ,:;'()/%=-]{0,199}");

    private static final String IDEMPOTENCY_KEY = "Idempotency-Key";

    private final JobEngine engine;
    private final List<KnownToken> tokens;
    private final Optional<Role> anonymousRole;
    private final Optional<JwtVerifier> jwt;
    private final String jwtRolesClaim;
    private final int maxBodyBytes;
    private final int maxConcurrentRequests;
    private final Semaphore inFlight;
    private final AtomicLong shedRequests = new AtomicLong();
    private final AtomicLong lastShedLog = new AtomicLong(System.nanoTime() - SHED_LOG_EVERY.toNanos());
    private final FairShare eventStreams;
    private final FairShare waitingAcquires;
    private final Optional<Supplier<String>> prometheusScrape;
    private final JsonBodies bodies = new JsonBodies();
    private final ObjectMapper mapper = bodies.mapper();
    private final JobJson json = new JobJson(mapper);
    private final List<Route> routes = new ArrayList<>();
    private final byte[] openApi;
    private final Dashboard dashboard = new Dashboard();

    private JobsHttpApi(Builder builder) {
        this.engine = builder.engine;
        this.tokens = List.copyOf(builder.tokens);
        this.anonymousRole = Optional.ofNullable(builder.anonymousRole);
        this.jwt = Optional.ofNullable(builder.jwt).map(JwtVerifier::new);
        this.jwtRolesClaim = builder.jwt == null ? "" : builder.jwt.rolesClaim();
        this.maxBodyBytes = builder.maxBodyBytes;
        this.eventStreams = new FairShare(
                "event streams",
                builder.maxEventStreams,
                "maxEventStreams",
                builder.maxEventStreamsPerToken,
                "maxEventStreamsPerToken",
                Duration.ofSeconds(30));
        this.waitingAcquires = new FairShare(
                "waiting acquires",
                builder.maxWaitingAcquires(),
                "maxWaitingAcquires",
                builder.maxWaitingAcquiresPerToken,
                "maxWaitingAcquiresPerToken",
                SHARE_RETRY_AFTER);
        this.maxConcurrentRequests = builder.maxConcurrentRequests;
        this.inFlight = new Semaphore(builder.maxConcurrentRequests);
        this.prometheusScrape = Optional.ofNullable(builder.prometheusScrape);
        this.openApi = readOpenApi();
        route("GET", "/", null, (r, m, c) -> dashboard.page());
        route("GET", "/dashboard/{asset}", null, (r, m, c) -> dashboard.asset(m.group(1)));
        route("GET", "/health", null, (r, m, c) -> health());
        route(
                "GET",
                "/api/me",
                Role.READ,
                (r, m, c) ->
                        ok(mapper.createObjectNode().put("role", c.role().name().toLowerCase(Locale.ROOT))));
        route("GET", "/openapi.json", null, (r, m, c) -> new ApiResponse(200, JSON, Map.of(), openApi));
        route("POST", "/api/jobs", Role.ADMIN, (r, m, c) -> create(r));
        route("GET", "/api/jobs", Role.READ, (r, m, c) -> list(r));
        route("GET", "/api/jobs.csv", Role.READ, (r, m, c) -> csv(r));
        route("POST", "/api/jobs/batch", Role.ADMIN, (r, m, c) -> batch(r));
        route("POST", "/api/jobs/acquire", Role.WORKER, (r, m, c) -> acquire(r, c));
        route("GET", "/api/jobs/{id}", Role.READ, (r, m, c) -> ok(json.job(find(m.group(1)))));
        route("POST", "/api/jobs/{id}/heartbeat", Role.WORKER, (r, m, c) -> heartbeat(r, c, jobId(m.group(1))));
        route("POST", "/api/jobs/{id}/complete", Role.WORKER, (r, m, c) -> complete(r, c, jobId(m.group(1))));
        route("POST", "/api/jobs/{id}/fail", Role.WORKER, (r, m, c) -> fail(r, c, jobId(m.group(1))));
        route("POST", "/api/jobs/{id}/cancel", Role.ADMIN, (r, m, c) -> ok(json.job(engine.cancel(jobId(m.group(1))))));
        route("POST", "/api/jobs/{id}/retry", Role.ADMIN, (r, m, c) -> ok(json.job(engine.retry(jobId(m.group(1))))));
        route("GET", "/api/queues", Role.READ, (r, m, c) -> queues(r));
        route("POST", "/api/queues/{name}/pause", Role.ADMIN, (r, m, c) -> pause(m.group(1), true));
        route("POST", "/api/queues/{name}/resume", Role.ADMIN, (r, m, c) -> pause(m.group(1), false));
        route("GET", "/api/queues/{name}/limits", Role.READ, (r, m, c) -> limits(m.group(1)));
        route("PUT", "/api/queues/{name}/limits", Role.ADMIN, (r, m, c) -> putLimits(r, m.group(1)));
        route("DELETE", "/api/queues/{name}/limits", Role.ADMIN, (r, m, c) -> deleteLimits(m.group(1)));
        route("GET", "/api/workers", Role.READ, (r, m, c) -> workers(r));
        route("POST", "/api/workers/{id}/stop", Role.WORKER, (r, m, c) -> stopWorker(c, m.group(1)));
        route("GET", "/api/recurring", Role.READ, (r, m, c) -> recurringJobs());
        route(
                "GET",
                "/api/recurring/{name}",
                Role.READ,
                (r, m, c) ->
                        ok(json.recurring(engine.recurring(m.group(1)).orElseThrow(() -> noRecurring(m.group(1))))));
        route("PUT", "/api/recurring/{name}", Role.ADMIN, (r, m, c) -> putRecurring(r, m.group(1)));
        route("DELETE", "/api/recurring/{name}", Role.ADMIN, (r, m, c) -> deleteRecurring(m.group(1)));
        route("GET", "/api/throughput", Role.READ, (r, m, c) -> throughput(r));
        route("GET", "/api/events", Role.READ, (r, m, c) -> events(r, c));
        route("GET", "/metrics", Role.READ, (r, m, c) -> metrics());
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
        int code = status >= 400 && status <= 599 ? status : 500;
        String title = switch (code) {
            case 400 -> "Bad request";
            case 408 -> "Request timeout";
            case 413 -> "Body too large";
            case 414 -> "URI too long";
            case 431 -> "Request header fields too large";
            case 501 -> "Not implemented";
            case 505 -> "HTTP version not supported";
            default -> code < 500 ? "Refused" : "Server error";
        };
        String said = reason != null && PLAIN_REASON.matcher(reason).matches() && !reason.equalsIgnoreCase(title)
                ? ": " + reason
                : "";
        String detail = switch (code) {
            case 408 -> "the request was not sent in time";
            case 413 -> bodyTooLarge();
            case 431 -> HEADER_LIMITS;
            case 501, 505 -> "the server does not support what the request asks for" + said;
            default ->
                code < 500
                        ? "the request is not well-formed HTTP/1.1" + said
                        : "the server could not answer this request; its log says why";
        };
        return problem(code, title, detail, List.of(), Map.of());
    }

    /** The method and path template of every route, as the OpenAPI document must list them. */
    public List<String> routes() {
        return routes.stream().map(r -> r.method + " " + r.template).toList();
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
        if (ALWAYS_ANSWERED.contains(head.path())) {
            return answer(head, body);
        }
        if (!inFlight.tryAcquire()) {
            return shed(head);
        }
        try {
            return answer(head, body);
        } finally {
            inFlight.release();
        }
    }

    private ApiResponse shed(ApiRequest request) {
        long shedSoFar = shedRequests.incrementAndGet();
        long now = System.nanoTime();
        long last = lastShedLog.get();
        if (now - last >= SHED_LOG_EVERY.toNanos() && lastShedLog.compareAndSet(last, now)) {
            log.warn(
                    "overloaded: {} requests in progress, answering {} {} with 503 ({} shed since start)",
                    maxConcurrentRequests,
                    request.method(),
                    request.path(),
                    shedSoFar);
        }
        return problem(
                503,
                "Overloaded",
                maxConcurrentRequests + " requests are in progress on this server (maxConcurrentRequests); try"
                        + " again in a second or another instance",
                List.of(),
                Map.of("Retry-After", "1"));
    }

    private ApiResponse answer(ApiRequest request, RequestBody body) throws IOException {
        try {
            return dispatch(request, body);
        } catch (ApiException e) {
            return problem(e.status(), e.title(), e.getMessage(), e.errors(), e.headers());
        } catch (JobValidationException e) {
            return problem(
                    400,
                    "Invalid request",
                    "nothing was changed: the request has invalid fields",
                    e.errors(),
                    Map.of());
        } catch (JobNotFoundException e) {
            return problem(404, "Not found", e.getMessage(), List.of(), Map.of());
        } catch (WorkerIdTakenException e) {
            return problem(
                    409,
                    "Worker id taken",
                    e.getMessage(),
                    List.of(new FieldError("workerId", "belongs to another owner")),
                    Map.of());
        } catch (LeaseLostException e) {
            return problem(409, "Lease lost", e.getMessage() + "; stop working on this job", List.of(), Map.of());
        } catch (InvalidTransitionException e) {
            return problem(409, "Conflict", e.getMessage(), List.of(), Map.of());
        } catch (IdempotencyKeyReusedException e) {
            return problem(
                    422,
                    "Idempotency key reused",
                    e.getMessage(),
                    List.of(new FieldError(IDEMPOTENCY_KEY, "already used for job " + e.existingJobId())),
                    Map.of());
        } catch (StoreUnavailableException e) {
            log.warn(
                    "request {} {} failed: the store is unavailable: {}",
                    request.method(),
                    request.path(),
                    e.getMessage());
            return problem(
                    503,
                    "Store unavailable",
                    "the job store cannot be reached; try again shortly",
                    List.of(),
                    Map.of("Retry-After", "5"));
        } catch (StoreFailureException e) {
            // Not an outage: retrying would fail the same way. One line names it; the trace is for DEBUG.
            String incident = UUID.randomUUID().toString();
            log.error(
                    "request {} {} failed: the store refused it (incident {}): {}",
                    request.method(),
                    request.path(),
                    incident,
                    e.getMessage());
            log.debug("incident {}", incident, e);
            return problem(
                    500,
                    "Store failure",
                    "the job store refused the operation; incident " + incident + " is in the server's log",
                    List.of(),
                    Map.of());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return problem(503, "Shutting down", "the server is stopping; try another instance", List.of(), Map.of());
        } catch (RuntimeException e) {
            String incident = UUID.randomUUID().toString();
            log.error("request {} {} failed unexpectedly (incident {})", request.method(), request.path(), incident, e);
            return problem(
                    500,
                    "Internal error",
                    "the server failed; incident " + incident + " is in its log",
                    List.of(),
                    Map.of());
        }
    }

    private ApiResponse dispatch(ApiRequest head, RequestBody body) throws InterruptedException, IOException {
        ApiRequest request = head;
        requireHeadersWithinLimits(request);
        Route route = null;
        Matcher matcher = null;
        var allowed = new LinkedHashSet<String>();
        for (Route candidate : routes) {
            Matcher m = candidate.path.matcher(request.path());
            if (m.matches()) {
                allowed.add(candidate.method);
                if (route == null && candidate.method.equals(request.method())) {
                    route = candidate;
                    matcher = m;
                }
            }
        }
        if (allowed.isEmpty()) {
            throw new ApiException(404, "Not found", "no resource at " + request.path() + "; see /openapi.json");
        }
        if (route == null) {
            return problem(
                    405,
                    "Method not allowed",
                    request.method() + " is not allowed on " + request.path(),
                    List.of(),
                    Map.of("Allow", String.join(", ", allowed)));
        }
        Caller caller = route.role == null ? Caller.PUBLIC : authorize(request, route.role);
        // Read only now, having routed and authorized the request: one more byte than the limit,
        // enough to see an upload is too large.
        request = new ApiRequest(
                head.method(),
                head.path(),
                head.query(),
                head.headers(),
                body.read(maxBodyBytes + 1),
                head.remoteHost());
        if (request.body().length > maxBodyBytes) {
            throw new ApiException(413, "Body too large", bodyTooLarge());
        }
        if ((request.method().equals("POST") || request.method().equals("PUT")) && request.body().length > 0) {
            String type = request.header("Content-Type").orElse("");
            if (!type.toLowerCase(Locale.ROOT).startsWith(JSON)) {
                throw new ApiException(
                        415, "Unsupported media type", "send the body as " + JSON + ", not '" + type + "'");
            }
        }
        return route.handler.handle(request, new PathParameters(matcher), caller);
    }

    /**
     * The parameters of a route's path, matched on the raw path (so an encoded {@code /}, {@code %2F},
     * stays inside its parameter) and decoded one by one.
     */
    private record PathParameters(Matcher matched) {
        /** The {@code n}th parameter, decoded; a {@code +} stays a plus, as in any path. */
        String group(int n) {
            try {
                return URLDecoder.decode(matched.group(n).replace("+", "%2B"), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw ApiException.invalid(
                        List.of(new FieldError("path", "holds a malformed percent escape; encode '%' as %25")));
            }
        }
    }

    /** What a request past the header limits is told, whether the API or its server refused it. */
    private static final String HEADER_LIMITS =
            "send at most " + MAX_HEADERS + " headers of at most " + MAX_HEADER_BYTES + " bytes in all";

    /** What an upload past the body limit is told, whether the API or its server refused it. */
    private String bodyTooLarge() {
        return "the body exceeds " + maxBodyBytes + " bytes (maxBodyBytes)";
    }

    /** Checked here too, for hosts that carry the API on a server with laxer limits than ours. */
    private static void requireHeadersWithinLimits(ApiRequest request) {
        long count = 0;
        long bytes = 0;
        for (Map.Entry<String, List<String>> header : request.headers().entrySet()) {
            for (String value : header.getValue()) {
                count++;
                bytes += header.getKey().length() + value.length();
            }
        }
        if (count > MAX_HEADERS || bytes > MAX_HEADER_BYTES) {
            throw new ApiException(431, "Request header fields too large", HEADER_LIMITS);
        }
    }

    /** Who may call, once its token is checked: what it may do, and who it is. */
    private record Caller(Role role, String principal) {
        /** The caller of a route that needs no token. */
        static final Caller PUBLIC = new Caller(Role.READ, "anonymous");
    }

    private Caller authorize(ApiRequest request, Role needed) {
        Caller caller = authenticate(request);
        if (!caller.role().allows(needed)) {
            throw new ApiException(
                    403,
                    "Forbidden",
                    "this needs the " + needed.name().toLowerCase(Locale.ROOT) + " role; the token has "
                            + caller.role().name().toLowerCase(Locale.ROOT));
        }
        return caller;
    }

    /**
     * The caller of the request's bearer token, a static one or a JWT, or the anonymous role; 401
     * when it has none. A static token's caller is a fingerprint of it (never the token itself), a
     * JWT's is its subject.
     */
    private Caller authenticate(ApiRequest request) {
        Optional<String> header = request.header("Authorization");
        if (header.isEmpty()) {
            return anonymousRole
                    .map(role -> new Caller(role, "anonymous"))
                    .orElseThrow(() -> unauthorized("send 'Authorization: Bearer <token>'"));
        }
        String value = header.get();
        if (!value.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw unauthorized("only bearer tokens are accepted");
        }
        String token = value.substring(7).trim();
        Optional<Role> known = roleOf(token);
        if (known.isPresent()) {
            return new Caller(known.get(), "token:" + HexFormat.of().formatHex(sha256(token), 0, 8));
        }
        if (jwt.isPresent() && JwtVerifier.looksLikeJwt(token)) {
            JwtVerifier.Caller verified = jwt.get().verify(token);
            Role role = verified.role()
                    .orElseThrow(() -> new ApiException(
                            403,
                            "Forbidden",
                            "the token names no role: its '" + jwtRolesClaim
                                    + "' claim must name admin, worker or read"));
            return new Caller(role, verified.principal());
        }
        throw unauthorized("the token is not valid");
    }

    /** Compares the token's hash with every known hash, so timing tells nothing about any token. */
    private Optional<Role> roleOf(String token) {
        byte[] presented = sha256(token);
        Role found = null;
        for (KnownToken known : tokens) {
            if (MessageDigest.isEqual(presented, known.sha256())) {
                found = known.role();
            }
        }
        return Optional.ofNullable(found);
    }

    private static ApiException unauthorized(String detail) {
        return new ApiException(401, "Unauthorized", detail);
    }

    // ---- handlers ----

    private ApiResponse health() {
        try {
            engine.checkHealth();
            return new ApiResponse(
                    200, JSON, Map.of(), bytes(mapper.createObjectNode().put("status", "up")));
        } catch (RuntimeException e) {
            log.warn("health check: the store does not answer: {}", e.toString());
            return new ApiResponse(
                    503,
                    JSON,
                    Map.of(),
                    bytes(mapper.createObjectNode()
                            .put("status", "down")
                            .put("detail", "the job store or its dispatch queue does not answer")));
        }
    }

    private ApiResponse create(ApiRequest request) {
        Bodies.CreateJob body = bodies.read(request.body(), Bodies.CreateJob.class);
        var errors = new ArrayList<FieldError>();
        if (body.ref() != null) {
            errors.add(new FieldError("ref", "refs name jobs within a batch; use POST /api/jobs/batch"));
        }
        Specs.Parsed parsed = Specs.parse(body, "", Set.of(), errors);
        if (!errors.isEmpty()) {
            throw ApiException.invalid(errors);
        }
        JobSpec spec = parsed.spec();
        Optional<String> idempotencyKey = request.header(IDEMPOTENCY_KEY);
        if (idempotencyKey.isPresent()) {
            spec = spec.withIdempotencyKey(idempotencyKey.get());
        }
        Enqueued enqueued;
        try {
            enqueued = engine.submit(spec);
        } catch (JobValidationException e) {
            // The header is checked with the body's fields; name it the way the client sent it.
            throw ApiException.invalid(e.errors().stream()
                    .map(err ->
                            err.field().equals("idempotencyKey") ? new FieldError(IDEMPOTENCY_KEY, err.message()) : err)
                    .toList());
        }
        Job job = enqueued.job();
        // 201 for a new job; 200 for the job a unique or idempotency key returned instead.
        return new ApiResponse(
                enqueued.created() ? 201 : 200,
                JSON,
                Map.of("Location", "/api/jobs/" + job.id()),
                bytes(json.job(job)));
    }

    private ApiResponse batch(ApiRequest request) {
        if (request.header(IDEMPOTENCY_KEY).isPresent()) {
            throw ApiException.invalid(
                    IDEMPOTENCY_KEY, "is taken by POST /api/jobs only; a batch is already all or nothing");
        }
        Bodies.Batch body = bodies.read(request.body(), Bodies.Batch.class);
        var refs = new HashSet<String>();
        for (Bodies.CreateJob item : body.jobs()) {
            if (item.ref() != null) {
                refs.add(item.ref());
            }
        }
        var errors = new ArrayList<FieldError>();
        var graph = JobGraph.builder();
        var refOfItem = new ArrayList<String>();
        for (int i = 0; i < body.jobs().size(); i++) {
            Bodies.CreateJob item = body.jobs().get(i);
            Specs.Parsed parsed = Specs.parse(item, "jobs[" + i + "]", refs, errors);
            // Items without a ref get one no client can write, so they cannot clash with the client's.
            String ref = item.ref() != null ? item.ref() : "\u0000" + i;
            refOfItem.add(ref);
            graph.add(ref, parsed.spec(), parsed.dependsOnRefs().toArray(String[]::new));
        }
        if (!errors.isEmpty()) {
            throw ApiException.invalid(errors);
        }
        Map<String, Job> created;
        try {
            created = engine.graph(graph.build());
        } catch (JobValidationException e) {
            throw ApiException.invalid(e.errors().stream()
                    .map(err -> new FieldError(batchPath(err.field(), refOfItem), err.message()))
                    .toList());
        }
        var jobs = mapper.createArrayNode();
        refOfItem.forEach(ref -> jobs.add(json.job(created.get(ref))));
        ObjectNode response = mapper.createObjectNode();
        response.set("jobs", jobs);
        return new ApiResponse(201, JSON, Map.of(), bytes(response));
    }

    /** {@code nodes[ref].field} as {@code jobs[i].field}, the way the client wrote the batch. */
    private static String batchPath(String field, List<String> refOfItem) {
        Matcher m = Pattern.compile("nodes\\[(.*?)]((\\..*)?)", Pattern.DOTALL).matcher(field);
        if (m.matches()) {
            int index = refOfItem.indexOf(m.group(1));
            if (index >= 0) {
                return "jobs[" + index + "]" + m.group(2);
            }
        }
        return field.replace("\u0000", "");
    }

    private ApiResponse list(ApiRequest request) {
        Filters filters = filters(request, JobLimits.MAX_PAGE_SIZE);
        int limit = filters.limit().orElse(JobQuery.DEFAULT_LIMIT);
        return ApiResponse.streaming(200, JSON, Map.of(), new JobListing(engine, json, mapper, filters.query(), limit));
    }

    private ApiResponse csv(ApiRequest request) {
        Filters filters = filters(request, CsvExport.MAX_ROWS);
        return ApiResponse.streaming(
                200,
                "text/csv; charset=utf-8",
                Map.of("Content-Disposition", "attachment; filename=\"jobs.csv\""),
                new CsvExport(engine, filters.query(), filters.limit().orElse(CsvExport.MAX_ROWS)));
    }

    /** A listing's filters and cursor, and the {@code limit} the client asked for, if any. */
    private record Filters(JobQuery query, OptionalInt limit) {}

    /** The filters of {@code GET /api/jobs} and its CSV export, every bad one named at once. */
    private static Filters filters(ApiRequest request, int maxLimit) {
        JobQuery query = JobQuery.all();
        var errors = new ArrayList<FieldError>();
        var states = new ArrayList<JobState>();
        for (String state : request.params("state")) {
            try {
                states.add(JobState.valueOf(state.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                errors.add(new FieldError("state", "must be one of " + List.of(JobState.values())));
            }
        }
        if (!states.isEmpty()) {
            query = query.withStates(states.toArray(JobState[]::new));
        }
        if (!request.params("queue").isEmpty()) {
            query = query.withQueues(request.params("queue").toArray(String[]::new));
        }
        if (!request.params("type").isEmpty()) {
            query = query.withTypes(request.params("type").toArray(String[]::new));
        }
        Optional<String> since = request.param("since");
        if (since.isPresent()) {
            try {
                query = query.withSince(Instant.parse(since.get()));
            } catch (DateTimeParseException e) {
                errors.add(new FieldError("since", "must be an ISO-8601 instant such as 2026-01-31T09:00:00Z"));
            }
        }
        Optional<String> dependsOn = request.param("dependsOn");
        if (dependsOn.isPresent()) {
            try {
                query = query.withDependsOn(UUID.fromString(dependsOn.get()));
            } catch (IllegalArgumentException e) {
                errors.add(new FieldError("dependsOn", "must be a job id"));
            }
        }
        OptionalInt limit = OptionalInt.empty();
        Optional<String> limitText = request.param("limit");
        if (limitText.isPresent()) {
            limit = parseInt(limitText.get());
            if (limit.isEmpty() || limit.getAsInt() < 1 || limit.getAsInt() > maxLimit) {
                errors.add(new FieldError("limit", "must be a whole number 1 to " + maxLimit));
            }
        }
        Optional<String> cursor = request.param("cursor");
        if (cursor.isPresent()) {
            query = query.withCursor(cursor.get());
        }
        if (!errors.isEmpty()) {
            throw ApiException.invalid(errors);
        }
        return new Filters(query, limit);
    }

    private ApiResponse acquire(ApiRequest request, Caller caller) throws InterruptedException {
        Bodies.Acquire body = bodies.read(request.body(), Bodies.Acquire.class);
        Duration lease = durationMs("leaseMs", body.leaseMs(), DEFAULT_LEASE, JobLimits.MIN_LEASE, JobLimits.MAX_LEASE);
        Duration wait = durationMs("waitMs", body.waitMs(), Duration.ZERO, Duration.ZERO, JobLimits.MAX_ACQUIRE_WAIT);
        String owner = caller.principal();
        List<Job> jobs;
        // An acquire that may wait holds its request slot for as long: only a bounded share may.
        try (var waiting = wait.isZero() ? null : waitingAcquires.take(owner)) {
            jobs = engine.remoteWorkers()
                    .acquire(
                            body.workerId(),
                            owner,
                            request.remoteHost(),
                            Set.copyOf(body.queues()),
                            body.limit() == null ? 1 : body.limit(),
                            lease,
                            wait);
        }
        ObjectNode response = mapper.createObjectNode();
        var array = response.putArray("jobs");
        jobs.forEach(job -> array.add(json.leased(job)));
        return ok(response);
    }

    private ApiResponse heartbeat(ApiRequest request, Caller caller, UUID jobId) {
        Bodies.Heartbeat body = bodies.read(request.body(), Bodies.Heartbeat.class);
        Duration lease = durationMs("leaseMs", body.leaseMs(), DEFAULT_LEASE, JobLimits.MIN_LEASE, JobLimits.MAX_LEASE);
        HeartbeatResult result = engine.remoteWorkers()
                .heartbeat(
                        jobId,
                        body.leaseToken(),
                        caller.principal(),
                        lease,
                        body.progress() == null ? OptionalInt.empty() : OptionalInt.of(body.progress()),
                        Optional.ofNullable(body.message()));
        ObjectNode answer = mapper.createObjectNode()
                .put("leaseExpiresAt", result.leaseExpiresAt().toString())
                .put("cancelRequested", result.cancelRequested());
        result.cancelReason().ifPresent(reason -> answer.put("cancelReason", reason));
        return ok(answer);
    }

    private ApiResponse complete(ApiRequest request, Caller caller, UUID jobId) {
        Bodies.Complete body = bodies.read(request.body(), Bodies.Complete.class);
        Optional<JsonNode> result = Optional.ofNullable(body.result()).filter(r -> !r.isNull());
        return ok(json.job(engine.remoteWorkers().complete(jobId, body.leaseToken(), caller.principal(), result)));
    }

    private ApiResponse fail(ApiRequest request, Caller caller, UUID jobId) {
        Bodies.Fail body = bodies.read(request.body(), Bodies.Fail.class);
        Bodies.Error error = body.error();
        var jobError = new JobError(
                error.type() == null || error.type().isBlank() ? "RemoteError" : error.type(),
                Objects.requireNonNullElse(error.message(), ""),
                Objects.requireNonNullElse(error.stack(), ""));
        Optional<Duration> retryAfter = Optional.ofNullable(body.retryAfterMs()).map(Duration::ofMillis);
        boolean retryable = body.retryable() == null || body.retryable();
        return ok(json.job(engine.remoteWorkers()
                .fail(jobId, body.leaseToken(), caller.principal(), jobError, retryable, retryAfter)));
    }

    private ApiResponse queues(ApiRequest request) {
        int windowMinutes =
                positiveParam(request, "windowMinutes", DEFAULT_STATS_WINDOW_MINUTES, MAX_STATS_WINDOW_MINUTES);
        var statsByQueue = new HashMap<String, QueueStats>();
        engine.queueStats(engine.clock().instant().minus(Duration.ofMinutes(windowMinutes)))
                .forEach(stats -> statsByQueue.put(stats.queue(), stats));
        Map<String, QueueLimits> limits = engine.queueLimits();
        ObjectNode response = mapper.createObjectNode();
        response.put("windowMinutes", windowMinutes);
        var array = response.putArray("queues");
        for (QueueCounts counts : engine.counts()) {
            QueueStats stats =
                    statsByQueue.getOrDefault(counts.queue(), new QueueStats(counts.queue(), 0, 0, Optional.empty()));
            array.add(json.queue(
                    counts,
                    stats,
                    limits.getOrDefault(counts.queue(), QueueLimits.none()),
                    dispatchDepth(counts.queue())));
        }
        return ok(response);
    }

    /** The dispatch queue's view of a queue; left out, not an error, when Redis is down: the counts still stand. */
    private Optional<DispatchDepth> dispatchDepth(String queue) {
        try {
            return engine.dispatchDepth(queue);
        } catch (StoreUnavailableException e) {
            return Optional.empty();
        }
    }

    /** Jobs finished per minute over the last {@code minutes}, every minute present (zeros too), oldest first. */
    private ApiResponse throughput(ApiRequest request) {
        int minutes = positiveParam(request, "minutes", DEFAULT_THROUGHPUT_MINUTES, MAX_THROUGHPUT_MINUTES);
        Instant first = engine.clock().instant().truncatedTo(ChronoUnit.MINUTES).minus(Duration.ofMinutes(minutes - 1));
        var counted = new HashMap<Instant, FinishedInMinute>();
        engine.finishedPerMinute(first).forEach(minute -> counted.put(minute.minute(), minute));
        ObjectNode response = mapper.createObjectNode().put("minutes", minutes);
        var series = response.putArray("series");
        for (int i = 0; i < minutes; i++) {
            Instant minute = first.plus(Duration.ofMinutes(i));
            FinishedInMinute finished = counted.getOrDefault(minute, new FinishedInMinute(minute, 0, 0));
            series.addObject()
                    .put("minute", minute.toString())
                    .put("succeeded", finished.succeeded())
                    .put("failed", finished.failed());
        }
        return ok(response);
    }

    private ApiResponse pause(String queue, boolean paused) {
        if (paused) {
            engine.pauseQueue(queue);
        } else {
            engine.resumeQueue(queue);
        }
        return ok(mapper.createObjectNode().put("name", queue).put("paused", paused));
    }

    private ApiResponse limits(String queue) {
        requireQueueName(queue);
        return ok(json.limits(queue, engine.queueLimits().getOrDefault(queue, QueueLimits.none())));
    }

    private ApiResponse putLimits(ApiRequest request, String queue) {
        requireQueueName(queue);
        Bodies.PutQueueLimits body = bodies.read(request.body(), Bodies.PutQueueLimits.class);
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
        return ok(json.limits(queue, limits));
    }

    private ApiResponse deleteLimits(String queue) {
        requireQueueName(queue);
        engine.setQueueLimits(queue, QueueLimits.none());
        return new ApiResponse(204, JSON, Map.of(), new byte[0]);
    }

    private static void requireQueueName(String queue) {
        if (!QUEUE_NAME.matcher(queue).matches()) {
            throw ApiException.invalid(List.of(new FieldError("name", "must match " + JobLimits.QUEUE_PATTERN)));
        }
    }

    private ApiResponse recurringJobs() {
        ObjectNode response = mapper.createObjectNode();
        var array = response.putArray("recurring");
        engine.recurring().forEach(status -> array.add(json.recurring(status)));
        return ok(response);
    }

    private ApiResponse putRecurring(ApiRequest request, String name) {
        Bodies.PutRecurring body = bodies.read(request.body(), Bodies.PutRecurring.class);
        var errors = new ArrayList<FieldError>();
        RecurringJob recurring = Specs.recurring(name, body, errors).orElseThrow(() -> ApiException.invalid(errors));
        try {
            return ok(json.recurring(engine.putRecurring(recurring)));
        } catch (JobValidationException e) {
            // The engine names the job "template"; the wire format calls it "job".
            throw ApiException.invalid(e.errors().stream()
                    .map(err -> new FieldError(err.field().replaceFirst("^template\\.", "job."), err.message()))
                    .toList());
        }
    }

    private ApiResponse deleteRecurring(String name) {
        if (!engine.deleteRecurring(name)) {
            throw noRecurring(name);
        }
        return new ApiResponse(204, JSON, Map.of(), new byte[0]);
    }

    private static ApiException noRecurring(String name) {
        return new ApiException(404, "Not found", "there is no recurring job named '" + name + "'");
    }

    /** A page of the registry; the cursor is the page's last id in base64url, safe in a URL whatever the id. */
    private ApiResponse workers(ApiRequest request) {
        int limit = positiveParam(request, "limit", DEFAULT_WORKERS_PAGE, JobLimits.MAX_PAGE_SIZE);
        Optional<String> after = request.param("cursor").map(cursor -> {
            try {
                return new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw ApiException.invalid(
                        List.of(new FieldError("cursor", "was not issued by this server; start again without one")));
            }
        });
        WorkerPage page = engine.workers(after, limit);
        ObjectNode response = mapper.createObjectNode();
        var array = response.putArray("workers");
        page.workers().forEach(worker -> array.add(json.worker(worker)));
        page.nextCursor()
                .ifPresentOrElse(
                        last -> response.put(
                                "nextCursor",
                                Base64.getUrlEncoder()
                                        .withoutPadding()
                                        .encodeToString(last.getBytes(StandardCharsets.UTF_8))),
                        () -> response.putNull("nextCursor"));
        return ok(response);
    }

    /** A remote worker stopping cleanly: its jobs go back to their queues now, not when its leases lapse. */
    private ApiResponse stopWorker(Caller caller, String workerId) {
        StoppedWorker stopped = engine.remoteWorkers().stop(workerId, caller.principal());
        ObjectNode response = mapper.createObjectNode();
        response.set("worker", json.worker(stopped.worker()));
        var handedBack = response.putArray("handedBack");
        stopped.handedBack().forEach(job -> handedBack.add(job.id().toString()));
        return ok(response);
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
                        json,
                        mapper,
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

    // ---- helpers ----

    private Job find(String id) {
        UUID jobId = jobId(id);
        return engine.get(jobId).orElseThrow(() -> new JobNotFoundException(jobId));
    }

    /** A job id from the path; text that is no id names no job, so it is a 404 like an unknown id. */
    private static UUID jobId(String text) {
        try {
            return UUID.fromString(text);
        } catch (IllegalArgumentException e) {
            throw new ApiException(404, "Not found", "no job has the id '" + text + "'");
        }
    }

    private static Duration durationMs(String field, Long value, Duration fallback, Duration min, Duration max) {
        if (value == null) {
            return fallback;
        }
        if (value < min.toMillis() || value > max.toMillis()) {
            throw ApiException.invalid(field, "must be " + min.toMillis() + " to " + max.toMillis() + " milliseconds");
        }
        return Duration.ofMillis(value);
    }

    /** A whole-number query parameter, 1 to {@code max}; {@code fallback} when absent. */
    private static int positiveParam(ApiRequest request, String name, int fallback, int max) {
        Optional<String> text = request.param(name);
        if (text.isEmpty()) {
            return fallback;
        }
        OptionalInt value = parseInt(text.get());
        if (value.isEmpty() || value.getAsInt() < 1 || value.getAsInt() > max) {
            throw ApiException.invalid(name, "must be a whole number 1 to " + max);
        }
        return value.getAsInt();
    }

    private static OptionalInt parseInt(String text) {
        try {
            return OptionalInt.of(Integer.parseInt(text));
        } catch (NumberFormatException e) {
            return OptionalInt.empty();
        }
    }

    private ApiResponse ok(JsonNode body) {
        return new ApiResponse(200, JSON, Map.of(), bytes(body));
    }

    private ApiResponse problem(
            int status, String title, String detail, List<FieldError> errors, Map<String, String> headers) {
        ObjectNode problem = mapper.createObjectNode();
        problem.put("type", "about:blank");
        problem.put("title", title);
        problem.put("status", status);
        problem.put("detail", detail);
        var array = problem.putArray("errors");
        for (FieldError error : errors) {
            array.addObject().put("field", error.field()).put("message", error.message());
        }
        var allHeaders = new LinkedHashMap<>(headers);
        if (status == 401) {
            allHeaders.put("WWW-Authenticate", "Bearer");
        }
        return new ApiResponse(status, PROBLEM_JSON, allHeaders, bytes(problem));
    }

    private byte[] bytes(JsonNode node) {
        try {
            return mapper.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("could not write a response", e);
        }
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

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private void route(String method, String template, Role role, Handler handler) {
        routes.add(new Route(method, template, pathPattern(template), role, handler));
    }

    /** The template's text taken literally, each {@code {parameter}} matching one path segment. */
    private static Pattern pathPattern(String template) {
        var regex = new StringBuilder();
        Matcher parameter = Pattern.compile("\\{[a-z]+}").matcher(template);
        int last = 0;
        while (parameter.find()) {
            regex.append(Pattern.quote(template.substring(last, parameter.start())))
                    .append("([^/]+)");
            last = parameter.end();
        }
        regex.append(Pattern.quote(template.substring(last)));
        return Pattern.compile(regex.toString());
    }

    /** A configured token, kept only as its hash. */
    private record KnownToken(byte[] sha256, Role role) {}

    private record Route(String method, String template, Pattern path, Role role, Handler handler) {}

    @FunctionalInterface
    private interface Handler {
        ApiResponse handle(ApiRequest request, PathParameters path, Caller caller) throws InterruptedException;
    }

    /** Configures a {@link JobsHttpApi}; {@link #build()} checks the configuration. */
    public static final class Builder {
        private JobEngine engine;
        private final List<KnownToken> tokens = new ArrayList<>();
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
            tokens.add(new KnownToken(sha256(token), role));
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
