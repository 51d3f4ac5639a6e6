package dev.jobs.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jobs.core.Enqueued;
import dev.jobs.core.Job;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobGraph;
import dev.jobs.core.JobLimits;
import dev.jobs.core.JobNotFoundException;
import dev.jobs.core.JobQuery;
import dev.jobs.core.JobSpec;
import dev.jobs.core.JobState;
import dev.jobs.core.JobStep;
import dev.jobs.core.JobValidationException;
import dev.jobs.core.JobValidationException.FieldError;
import dev.jobs.http.internal.ApiException;
import dev.jobs.http.internal.Bodies;
import dev.jobs.http.internal.CsvExport;
import dev.jobs.http.internal.JobListing;
import dev.jobs.http.internal.Specs;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code /api/jobs}: creating jobs one by one and in batches, listing and exporting them, cancel and retry. */
final class JobRoutes {
    static final String IDEMPOTENCY_KEY = "Idempotency-Key";

    private final RouteContext context;
    private final JobEngine engine;

    JobRoutes(RouteContext context) {
        this.context = context;
        this.engine = context.engine();
    }

    void addTo(Router router) {
        router.route("POST", "/api/jobs", Role.ADMIN, (r, m, c) -> create(r));
        router.route("GET", "/api/jobs", Role.READ, (r, m, c) -> list(r));
        router.route("GET", "/api/jobs.csv", Role.READ, (r, m, c) -> csv(r));
        router.route("POST", "/api/jobs/batch", Role.ADMIN, (r, m, c) -> batch(r));
        router.route("GET", "/api/jobs/{id}", Role.READ, (r, m, c) -> ok(find(Params.jobId(m.group(1)))));
        router.route("GET", "/api/jobs/{id}/steps", Role.READ, (r, m, c) -> steps(Params.jobId(m.group(1))));
        router.route(
                "POST", "/api/jobs/{id}/cancel", Role.ADMIN, (r, m, c) -> ok(engine.cancel(Params.jobId(m.group(1)))));
        router.route(
                "POST", "/api/jobs/{id}/retry", Role.ADMIN, (r, m, c) -> ok(engine.retry(Params.jobId(m.group(1)))));
    }

    private ApiResponse ok(Job job) {
        return context.responses().ok(context.json().job(job));
    }

    /** A job's durable steps and last checkpoint, for people watching it. */
    private ApiResponse steps(UUID jobId) {
        find(jobId);
        List<JobStep> steps = engine.steps(jobId);
        ObjectNode response = context.responses().object();
        var array = response.putArray("steps");
        for (int i = 0; i < steps.size(); i++) {
            array.add(context.json().step(i, steps.get(i)));
        }
        engine.checkpoint(jobId)
                .ifPresentOrElse(
                        checkpoint -> response.set("checkpoint", context.json().checkpoint(checkpoint)),
                        () -> response.putNull("checkpoint"));
        return context.responses().ok(response);
    }

    private Job find(UUID jobId) {
        return engine.get(jobId).orElseThrow(() -> new JobNotFoundException(jobId));
    }

    private ApiResponse create(ApiRequest request) {
        Bodies.CreateJob body = context.bodies().read(request.body(), Bodies.CreateJob.class);
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
        return context.responses()
                .json(
                        enqueued.created() ? 201 : 200,
                        Map.of("Location", "/api/jobs/" + job.id()),
                        context.json().job(job));
    }

    private ApiResponse batch(ApiRequest request) {
        if (request.header(IDEMPOTENCY_KEY).isPresent()) {
            throw ApiException.invalid(
                    IDEMPOTENCY_KEY, "is taken by POST /api/jobs only; a batch is already all or nothing");
        }
        Bodies.Batch body = context.bodies().read(request.body(), Bodies.Batch.class);
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
        var jobs = context.mapper().createArrayNode();
        refOfItem.forEach(ref -> jobs.add(context.json().job(created.get(ref))));
        ObjectNode response = context.responses().object();
        response.set("jobs", jobs);
        return context.responses().json(201, Map.of(), response);
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
        return ApiResponse.streaming(
                200,
                Responses.JSON,
                Map.of(),
                new JobListing(engine, context.json(), context.mapper(), filters.query(), limit));
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
            limit = Params.positive(limitText.get(), maxLimit);
            if (limit.isEmpty()) {
                errors.add(new FieldError("limit", Params.positiveRule(maxLimit)));
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
}
