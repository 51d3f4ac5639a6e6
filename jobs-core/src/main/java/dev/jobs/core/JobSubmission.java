package dev.jobs.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jobs.core.JobValidationException.FieldError;
import dev.jobs.core.internal.ObservedJobStore;
import dev.jobs.core.internal.SpecFingerprint;
import dev.jobs.core.internal.SpecValidator;
import dev.jobs.core.spi.HostTransactionStore;
import dev.jobs.core.spi.IdempotencyKey;
import dev.jobs.core.spi.JobStore;
import dev.jobs.core.spi.NewJob;
import dev.jobs.core.spi.support.JobIds;
import dev.jobs.core.spi.support.Storable;
import java.sql.Connection;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The engine's creation of jobs: specs validated (every bad field named, nothing stored), given
 * ids and their run time, and created in the store, alone, in a batch, as a graph, or in the host's
 * transaction. Thread-safe.
 */
final class JobSubmission {
    private static final Pattern BATCH_FIELD = Pattern.compile("^\\[(\\d+)]\\.(.*)$");

    private final SpecValidator validator;
    private final JobIds ids;
    private final Clock clock;
    private final ObservedJobStore store;
    private final ObjectMapper mapper;

    JobSubmission(SpecValidator validator, JobIds ids, Clock clock, ObservedJobStore store, ObjectMapper mapper) {
        this.validator = validator;
        this.ids = ids;
        this.clock = clock;
        this.store = store;
        this.mapper = mapper;
    }

    Enqueued submit(JobSpec spec) {
        NewJob prepared = prepare(List.of(spec)).get(0);
        Job job = create(List.of(prepared), "").get(0);
        return new Enqueued(job, job.id().equals(prepared.id()));
    }

    /** The spec of a job of this type with this payload, converted with the engine's mapper. */
    JobSpec spec(String type, Object payload) {
        JsonNode json = payload instanceof JsonNode node ? node : mapper.valueToTree(payload);
        return JobSpec.of(type, json);
    }

    List<Job> enqueueAll(List<JobSpec> specs) {
        return create(prepare(specs), specs.size() == 1 ? "" : null);
    }

    List<Job> enqueueIn(Connection connection, List<JobSpec> specs) {
        JobStore stored = store.delegate();
        if (!(stored instanceof HostTransactionStore host)) {
            throw new UnsupportedOperationException(
                    "the engine's store, " + stored.getClass().getSimpleName()
                            + ", cannot create jobs in the host's transaction; run the engine on a JdbcJobStore");
        }
        return host.createIn(connection, prepare(specs));
    }

    /** Validates jobs and gives them ids without storing them; nothing is stored when one is refused. */
    List<NewJob> prepare(List<JobSpec> specs) {
        var errors = new ArrayList<FieldError>();
        if (specs.isEmpty()) {
            errors.add(new FieldError("jobs", "at least one job is needed"));
        } else if (specs.size() > JobLimits.MAX_BATCH_SIZE) {
            errors.add(new FieldError("jobs", "at most " + JobLimits.MAX_BATCH_SIZE + " jobs per call"));
        }
        boolean single = specs.size() == 1;
        // Past a hundred errors a batch is plainly wrong; more lines would bury the first ones.
        for (int i = 0; i < specs.size() && errors.size() < 100; i++) {
            errors.addAll(validator.validate(specs.get(i), single ? "" : "[" + i + "]."));
        }
        if (!errors.isEmpty()) {
            throw new JobValidationException(errors);
        }
        Instant now = clock.instant();
        return specs.stream()
                .map(spec -> newJob(spec, ids.next(), List.copyOf(spec.dependsOn()), Map.of(), now))
                .toList();
    }

    Map<String, Job> graph(JobGraph graph) {
        var errors = new ArrayList<FieldError>();
        for (JobGraph.Node node : graph.nodes()) {
            errors.addAll(validator.validate(node.spec(), "nodes[" + node.ref() + "]."));
            // A ref another node depends on becomes the name its results are read by: stored, so held to a label's
            // rules.
            for (String ref : node.dependsOnRefs()) {
                refProblem(ref)
                        .ifPresent(problem ->
                                errors.add(new FieldError("nodes[" + node.ref() + "].dependsOn", "ref " + problem)));
            }
        }
        if (!errors.isEmpty()) {
            throw new JobValidationException(errors);
        }
        Instant now = clock.instant();
        var idByRef = new HashMap<String, UUID>();
        var newJobs = new ArrayList<NewJob>();
        for (JobGraph.Node node : graph.nodes()) {
            UUID id = ids.next();
            idByRef.put(node.ref(), id);
            var dependsOn = new ArrayList<>(node.spec().dependsOn());
            var names = new LinkedHashMap<UUID, String>();
            for (String ref : node.dependsOnRefs()) {
                UUID parent = idByRef.get(ref);
                if (names.putIfAbsent(parent, ref) == null && !dependsOn.contains(parent)) {
                    dependsOn.add(parent);
                }
            }
            newJobs.add(newJob(node.spec(), id, dependsOn, names, now));
        }
        List<Job> created;
        try {
            created = store.create(newJobs);
        } catch (JobValidationException e) {
            throw new JobValidationException(
                    e.errors().stream().map(error -> renameByRef(error, graph)).toList());
        }
        var byRef = new LinkedHashMap<String, Job>();
        for (int i = 0; i < created.size(); i++) {
            byRef.put(graph.nodes().get(i).ref(), created.get(i));
        }
        return byRef;
    }

    /** Why a ref cannot name a parent, if it cannot. */
    private static Optional<String> refProblem(String ref) {
        if (ref.length() > JobLimits.MAX_REF_LENGTH) {
            return Optional.of(
                    "'" + Storable.shown(ref, 77) + "' is longer than " + JobLimits.MAX_REF_LENGTH + " characters");
        }
        return Storable.labelProblem(ref);
    }

    /** A store error about {@code [i].field} becomes {@code nodes[ref].field}. */
    private static FieldError renameByRef(FieldError error, JobGraph graph) {
        var matcher = BATCH_FIELD.matcher(error.field());
        if (!matcher.matches()) {
            return error;
        }
        String ref = graph.nodes().get(Integer.parseInt(matcher.group(1))).ref();
        return new FieldError("nodes[" + ref + "]." + matcher.group(2), error.message());
    }

    private List<Job> create(List<NewJob> newJobs, String singlePrefix) {
        try {
            return store.create(newJobs);
        } catch (JobValidationException e) {
            if (singlePrefix == null) {
                throw e;
            }
            // One job: report its fields without the batch index the store uses.
            throw new JobValidationException(e.errors().stream()
                    .map(err -> new FieldError(err.field().replaceFirst("^\\[0]\\.", singlePrefix), err.message()))
                    .toList());
        }
    }

    private static NewJob newJob(
            JobSpec spec, UUID id, List<UUID> dependsOn, Map<UUID, String> dependencyNames, Instant now) {
        Instant runAt = spec.runAt().orElseGet(() -> spec.delay().map(now::plus).orElse(now));
        return new NewJob(
                id,
                spec.queue(),
                spec.type(),
                spec.payload(),
                spec.priority(),
                runAt,
                spec.maxAttempts(),
                spec.timeout(),
                dependsOn,
                spec.onDependencyFailure(),
                spec.uniqueKey(),
                spec.concurrencyKey(),
                spec.idempotencyKey().map(key -> new IdempotencyKey(key, SpecFingerprint.of(spec))),
                spec.metadata(),
                spec.retryPolicy(),
                dependencyNames);
    }
}
