package dev.jobs.http.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import dev.jobs.core.JobValidationException.FieldError;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validation;
import jakarta.validation.Validator;
import java.io.IOException;
import java.util.Comparator;
import java.util.List;
import org.hibernate.validator.messageinterpolation.ParameterMessageInterpolator;

/**
 * Reads request bodies strictly: malformed JSON, unknown or duplicate fields, a value of the wrong
 * type (no quiet coercion of {@code "5"} to 5 or of 5 to {@code "5"}), and documents nested or
 * sized past the limits are refused with the offending field named; then the body is validated
 * with jakarta.validation. Thread-safe.
 */
public final class JsonBodies {
    /** Deeper nesting than this is refused: no job needs it, and it costs the parser stack. */
    static final int MAX_NESTING_DEPTH = 64;

    /** Longer numbers than this many digits are refused, before any costly parsing. */
    static final int MAX_NUMBER_LENGTH = 64;

    private final ObjectMapper mapper;
    private final Validator validator;

    public JsonBodies() {
        this.mapper = JsonMapper.builder()
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                .build();
        mapper.getFactory()
                .setStreamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(MAX_NESTING_DEPTH)
                        .maxNumberLength(MAX_NUMBER_LENGTH)
                        .build());
        for (LogicalType type : List.of(LogicalType.Integer, LogicalType.Float, LogicalType.Boolean)) {
            mapper.coercionConfigFor(type).setCoercion(CoercionInputShape.String, CoercionAction.Fail);
        }
        mapper.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        mapper.coercionConfigFor(LogicalType.Integer).setCoercion(CoercionInputShape.Float, CoercionAction.Fail);
        this.validator = Validation.byDefaultProvider()
                .configure()
                .messageInterpolator(new ParameterMessageInterpolator())
                .buildValidatorFactory()
                .getValidator();
    }

    public ObjectMapper mapper() {
        return mapper;
    }

    /**
     * The body as {@code type}, read and validated.
     *
     * @throws ApiException 400 naming every offending field
     */
    public <T> T read(byte[] body, Class<T> type) {
        if (body.length == 0) {
            throw ApiException.invalid("(body)", "a JSON object is required");
        }
        T value;
        try {
            value = mapper.readValue(body, type);
        } catch (UnrecognizedPropertyException e) {
            throw ApiException.invalid(
                    path(e), "is not a field of this request; the allowed fields are " + e.getKnownPropertyIds());
        } catch (StreamConstraintsException e) {
            throw ApiException.invalid("(body)", "exceeds a limit of the JSON reader: " + e.getOriginalMessage());
        } catch (JsonMappingException e) {
            throw ApiException.invalid(path(e), describe(e));
        } catch (JsonProcessingException e) {
            throw ApiException.invalid("(body)", "is not well-formed JSON: " + e.getOriginalMessage() + location(e));
        } catch (IOException e) {
            throw ApiException.invalid("(body)", "could not be read: " + e.getMessage());
        }
        if (value == null) {
            throw ApiException.invalid("(body)", "a JSON object is required, not null");
        }
        List<FieldError> violations = validator.validate(value).stream()
                .sorted(Comparator.comparing(v -> v.getPropertyPath().toString()))
                .map(JsonBodies::fieldError)
                .toList();
        if (!violations.isEmpty()) {
            throw ApiException.invalid(violations);
        }
        return value;
    }

    private static FieldError fieldError(ConstraintViolation<?> violation) {
        String path = violation.getPropertyPath().toString().replaceAll("\\.<[^>]+>", "");
        return new FieldError(path, violation.getMessage());
    }

    /** A field path such as {@code jobs[2].priority}, from where the reader stopped. */
    private static String path(JsonMappingException e) {
        var path = new StringBuilder();
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                if (!path.isEmpty()) {
                    path.append('.');
                }
                path.append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                path.append('[').append(ref.getIndex()).append(']');
            }
        }
        return path.isEmpty() ? "(body)" : path.toString();
    }

    /** The reader's complaint without its Java class names, which mean nothing to a client. */
    private static String describe(JsonMappingException e) {
        String message = e.getOriginalMessage();
        if (message.contains("Cannot coerce") || message.contains("Cannot deserialize value of type")) {
            return "has the wrong type: " + message.replaceAll("`[a-z]+(\\.[a-zA-Z0-9_$]+)+`", "this field");
        }
        if (message.contains("Duplicate field")) {
            return "appears twice";
        }
        return message.replaceAll("`[a-z]+(\\.[a-zA-Z0-9_$]+)+`", "this field") + location(e);
    }

    private static String location(JsonProcessingException e) {
        return e.getLocation() == null
                ? ""
                : " (line " + e.getLocation().getLineNr() + ", column "
                        + e.getLocation().getColumnNr() + ")";
    }
}
