package dev.jobs.core.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jobs.core.JobSpec;
import dev.jobs.core.JobValidationException.FieldError;
import dev.jobs.core.spi.support.Storable;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validation;
import jakarta.validation.Validator;
import jakarta.validation.ValidatorFactory;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.hibernate.validator.HibernateValidator;
import org.hibernate.validator.messageinterpolation.ParameterMessageInterpolator;

/**
 * Checks job specs at the engine's boundary: the constraints declared on {@link JobSpec}'s fields
 * (through Hibernate Validator) plus the payload size limit, which is the engine's setting.
 * Thread-safe.
 */
public final class SpecValidator implements AutoCloseable {
    private final ValidatorFactory factory;
    private final Validator validator;
    private final ObjectMapper mapper;
    private final int maxPayloadBytes;

    public SpecValidator(ObjectMapper mapper, int maxPayloadBytes) {
        // The parameter interpolator fills {min}/{max} without an expression-language runtime, so hosts
        // need no jakarta.el on their class path.
        this.factory = Validation.byProvider(HibernateValidator.class)
                .configure()
                .messageInterpolator(new ParameterMessageInterpolator())
                .buildValidatorFactory();
        this.validator = factory.getValidator();
        this.mapper = mapper;
        this.maxPayloadBytes = maxPayloadBytes;
    }

    /**
     * Every problem with one spec, each field prefixed with {@code fieldPrefix} (such as {@code
     * [3].} for the fourth job of a batch).
     */
    public List<FieldError> validate(JobSpec spec, String fieldPrefix) {
        var errors = new ArrayList<FieldError>();
        validator.validate(spec).stream()
                .sorted(Comparator.comparing(
                        (ConstraintViolation<JobSpec> v) -> v.getPropertyPath().toString()))
                .forEach(v -> errors.add(new FieldError(fieldPrefix + v.getPropertyPath(), describe(v))));
        storableProblems(spec, fieldPrefix, errors);
        if (spec.payload() != null) {
            int size = payloadSize(spec);
            if (size > maxPayloadBytes) {
                errors.add(new FieldError(
                        fieldPrefix + "payload",
                        "is " + size + " bytes of JSON; the limit is " + maxPayloadBytes + " bytes"));
            }
        }
        return errors;
    }

    /** What no store could hold: see {@link Storable}. */
    private static void storableProblems(JobSpec spec, String fieldPrefix, List<FieldError> errors) {
        if (spec.payload() != null) {
            Storable.jsonProblem(spec.payload())
                    .ifPresent(problem -> errors.add(new FieldError(fieldPrefix + "payload", problem)));
        }
        label(fieldPrefix + "uniqueKey", spec.uniqueKey(), errors);
        label(fieldPrefix + "concurrencyKey", spec.concurrencyKey(), errors);
        label(fieldPrefix + "idempotencyKey", spec.idempotencyKey(), errors);
        if (spec.metadata() != null) {
            spec.metadata().forEach((key, value) -> {
                if (key == null) {
                    return; // the declared constraints report it
                }
                Optional<String> keyProblem = Storable.labelProblem(key);
                if (keyProblem.isPresent()) {
                    errors.add(new FieldError(fieldPrefix + "metadata", "a key " + keyProblem.get()));
                } else if (value != null) {
                    Storable.textProblem(value)
                            .ifPresent(problem -> errors.add(new FieldError(
                                    fieldPrefix + "metadata", "the value of key '" + key + "' " + problem)));
                }
            });
        }
        if (spec.retryPolicy().isPresent()) {
            for (String type : spec.retryPolicy().get().nonRetryable()) {
                label(fieldPrefix + "retryPolicy.nonRetryable", Optional.of(type), errors);
            }
        }
    }

    private static void label(String field, Optional<String> value, List<FieldError> errors) {
        value.flatMap(Storable::labelProblem).ifPresent(problem -> errors.add(new FieldError(field, problem)));
    }

    /**
     * What keeps a value a handler records (a step's result) from being stored: what no store could
     * hold, or more bytes of JSON than a payload may have. Empty when it may be stored.
     */
    public Optional<String> valueProblem(JsonNode value) {
        Optional<String> problem = Storable.jsonProblem(value);
        if (problem.isPresent()) {
            return problem;
        }
        int size = size(value);
        return size > maxPayloadBytes
                ? Optional.of(
                        "is " + size + " bytes of JSON; the limit is " + maxPayloadBytes + " bytes, as for payloads")
                : Optional.empty();
    }

    private int payloadSize(JobSpec spec) {
        return size(spec.payload());
    }

    private int size(JsonNode value) {
        try {
            return mapper.writeValueAsBytes(value).length;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree could not be written back as JSON", e);
        }
    }

    private static String describe(ConstraintViolation<JobSpec> violation) {
        Object value = violation.getInvalidValue();
        String shown = value == null ? "null" : Storable.shown(String.valueOf(value), 77);
        return violation.getMessage() + " (was " + shown + ")";
    }

    @Override
    public void close() {
        factory.close();
    }
}
