package dev.jobs.core.internal.worker;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jobs.core.JobContext;
import dev.jobs.core.JobState;
import dev.jobs.core.JobStep;
import dev.jobs.core.JobValidationException;
import dev.jobs.core.JobsException;
import dev.jobs.core.LeaseLostException;
import dev.jobs.core.ParentResult;
import dev.jobs.core.StepOrderException;
import dev.jobs.core.internal.SpecValidator;
import dev.jobs.core.spi.JobStore;
import dev.jobs.core.spi.support.JobLifecycle;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The durable work of one attempt: its steps ({@link JobContext#step}), the job's recorded ones read
 * from the store when the handler asks for its first and replayed in order, each one past them run
 * and its result recorded under the attempt's lease before the handler goes on; and its
 * checkpoints ({@link JobContext#checkpoint}), saved under the lease at once. Steps are confined to
 * the handler's thread, as they are called in order; checkpoints may be saved from any thread.
 */
final class DurableWork {
    private final JobStore store;
    private final Execution execution;
    private final ObjectMapper mapper;
    private final SpecValidator validator;
    private List<JobStep> recorded;
    private int next;

    DurableWork(JobStore store, Execution execution, ObjectMapper mapper, SpecValidator validator) {
        this.store = store;
        this.execution = execution;
        this.mapper = mapper;
        this.validator = validator;
    }

    <R> R step(String name, Class<R> type, JobContext.StepWork<R> work) throws Exception {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(work, "work");
        if (recorded == null) {
            recorded = new ArrayList<>(store.steps(execution.job.id()));
        }
        int index = next;
        if (index < recorded.size()) {
            JobStep step = recorded.get(index);
            if (!step.name().equals(name)) {
                throw StepOrderException.of(execution.job.id(), index, name, recorded);
            }
            next++;
            return replayed(step, type);
        }
        JobLifecycle.requireStep(index, name);
        R value = work.run();
        JsonNode result = json("result", "the result of step '" + name + "'", value);
        JobStep step;
        try {
            step = store.recordStep(execution.job.id(), execution.leaseToken, index, name, result);
        } catch (LeaseLostException e) {
            execution.leaseLost = true;
            throw e;
        }
        recorded.add(step);
        next++;
        return value;
    }

    /** A step whose result is JSON on every attempt. */
    JsonNode step(String name, JobContext.StepWork<?> work) throws Exception {
        Objects.requireNonNull(work, "work");
        return step(name, JsonNode.class, () -> json("result", "the result of step '" + name + "'", work.run()));
    }

    private <R> R replayed(JobStep step, Class<R> type) {
        if (type == JsonNode.class) {
            return type.cast(step.result());
        }
        try {
            return mapper.treeToValue(step.result(), type);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new JobsException(
                    "the result recorded for step '" + step.name() + "' of job " + execution.job.id()
                            + " does not fit " + type.getName() + " (" + e.getMessage() + ")"
                            + ": the step's result type changed under a running job",
                    e);
        }
    }

    /** Saves the attempt's checkpoint under its lease, at once. */
    void checkpoint(Object state) {
        Objects.requireNonNull(state, "state");
        JsonNode json = json("checkpoint", "the checkpoint", state);
        try {
            store.saveCheckpoint(execution.job.id(), execution.leaseToken, json);
        } catch (LeaseLostException e) {
            execution.leaseLost = true;
            throw e;
        }
    }

    /** The job's last checkpoint, read as {@code type}; empty when none was saved. */
    <S> Optional<S> lastCheckpoint(Class<S> type) {
        Objects.requireNonNull(type, "type");
        return store.checkpoint(execution.job.id()).map(checkpoint -> {
            try {
                return mapper.treeToValue(checkpoint.state(), type);
            } catch (JsonProcessingException | IllegalArgumentException e) {
                throw new JobsException(
                        "the last checkpoint of job " + execution.job.id() + " does not fit " + type.getName() + " ("
                                + e.getMessage() + "): the checkpoint's type changed under a running job",
                        e);
            }
        });
    }

    List<ParentResult> parentResults() {
        return store.parentResults(execution.job.id());
    }

    <R> Optional<R> parentResult(String name, Class<R> type) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        List<ParentResult> parents = parentResults();
        ParentResult parent = parents.stream()
                .filter(p -> p.name().filter(name::equals).isPresent())
                .findFirst()
                .orElseThrow(() -> new JobsException("job " + execution.job.id() + " has no parent named '" + name
                        + "'; its parents are named "
                        + parents.stream()
                                .flatMap(p -> p.name().stream())
                                .map(n -> "'" + n + "'")
                                .toList()));
        if (parent.state().filter(JobState.SUCCEEDED::equals).isEmpty()) {
            throw new JobsException("parent '" + name + "' (" + parent.id() + ") of job " + execution.job.id()
                    + " has not succeeded: it is "
                    + parent.state().map(Enum::name).orElse("purged"));
        }
        return parent.result().map(result -> {
            try {
                return mapper.treeToValue(result, type);
            } catch (JsonProcessingException | IllegalArgumentException e) {
                throw new JobsException(
                        "the result of parent '" + name + "' does not fit " + type.getName() + " (" + e.getMessage()
                                + ")",
                        e);
            }
        });
    }

    /** A value as JSON a store can hold; a refusal names {@code field} and says what the value was. */
    private JsonNode json(String field, String what, Object value) {
        JsonNode json;
        try {
            json = value == null
                    ? mapper.nullNode()
                    : value instanceof JsonNode node ? node : mapper.valueToTree(value);
        } catch (IllegalArgumentException e) {
            throw JobValidationException.of(
                    field, what + " is a " + value.getClass().getName() + ", which cannot be written as JSON");
        }
        validator.valueProblem(json).ifPresent(problem -> {
            throw JobValidationException.of(field, what + " cannot be stored: " + problem);
        });
        return json;
    }
}
