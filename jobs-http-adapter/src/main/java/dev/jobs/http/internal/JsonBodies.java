package dev.jobs.http.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import dev.jobs.core.JobValidationException.FieldError;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validation;
import jakarta.validation.Validator;
import java.io.IOException;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

    private static final Pattern SHAPE_IN_MESSAGE =
            Pattern.compile("(?:from|coerce) (String|Integer|Floating-point|Boolean|Array|Object) value");

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
            throw ApiException.invalid("(body)", beyondLimit(e));
        } catch (JsonMappingException e) {
            throw ApiException.invalid(path(e), describe(e));
        } catch (JsonProcessingException e) {
            throw ApiException.invalid(
                    "(body)", "is not well-formed JSON: " + plain(e.getOriginalMessage()) + location(e));
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

    /**
     * What was wrong with a field, in the client's terms: the JSON it should have sent and the JSON
     * it did send. The reader's own messages name Java classes and its settings, which mean nothing
     * to a client, so none of their words are passed on.
     */
    private static String describe(JsonMappingException e) {
        if (e.getCause() instanceof StreamConstraintsException limit) {
            return beyondLimit(limit);
        }
        if (e.getCause() instanceof InputCoercionException) {
            return "is out of range: must be a whole number from " + Long.MIN_VALUE + " to " + Long.MAX_VALUE;
        }
        if (e.getCause() instanceof JsonProcessingException unreadable
                && !(unreadable instanceof JsonMappingException)) {
            return "is not well-formed JSON: " + plain(unreadable.getOriginalMessage()) + location(unreadable);
        }
        if (e instanceof MismatchedInputException mismatch && mismatch.getTargetType() != null) {
            String sent = mismatch instanceof InvalidFormatException invalid
                    ? sent(invalid.getValue())
                    : shapeSent(mismatch.getOriginalMessage());
            return "must be " + expected(mismatch.getTargetType()) + (sent.isEmpty() ? "" : ", not " + sent);
        }
        return "has a value this field cannot take" + location(e);
    }

    /** Which of the reader's limits a document went past. */
    private static String beyondLimit(StreamConstraintsException e) {
        String message = e.getOriginalMessage();
        if (message.contains("nesting depth")) {
            return "is nested deeper than " + MAX_NESTING_DEPTH + " levels";
        }
        if (message.contains("Number value length")) {
            return "holds a number longer than " + MAX_NUMBER_LENGTH + " characters";
        }
        return "exceeds a limit of the JSON reader: " + plain(message);
    }

    /**
     * A parse error's message without the reader's references to its own settings and source,
     * such as {@code (start marker at [Source: REDACTED (`StreamReadFeature...` disabled); ...])}.
     */
    private static String plain(String message) {
        int reference = message.indexOf(" (start marker at");
        String text = reference < 0 ? message : message.substring(0, reference);
        return text.replaceAll("`[^`]*`", "it")
                .replaceAll("\\[Source:[^\\]]*\\]", "")
                .strip();
    }

    /** The JSON a Java type is read from. */
    private static String expected(Class<?> type) {
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "a whole number";
        }
        if (Number.class.isAssignableFrom(type) || type == double.class || type == float.class) {
            return "a number";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (type == UUID.class) {
            return "an id as a string";
        }
        if (CharSequence.class.isAssignableFrom(type) || type.isEnum()) {
            return "a string";
        }
        if (Collection.class.isAssignableFrom(type) || type.isArray()) {
            return "an array";
        }
        return "an object";
    }

    /** The JSON the client sent, by the value the reader read from it. */
    private static String sent(Object value) {
        return switch (value) {
            case String text -> "a string";
            case Boolean flag -> "a boolean";
            case Integer number -> "a whole number";
            case Long number -> "a whole number";
            case java.math.BigInteger number -> "a whole number";
            case Number number -> "a number with a fraction or exponent";
            case null, default -> "";
        };
    }

    /**
     * The JSON the client sent, by the shape the reader's message names ("from Array value",
     * "coerce String value"); only that word is taken from the message, never the rest of it.
     */
    private static String shapeSent(String message) {
        Matcher shape = SHAPE_IN_MESSAGE.matcher(message);
        if (!shape.find()) {
            return "";
        }
        return switch (shape.group(1)) {
            case "String" -> "a string";
            case "Integer" -> "a whole number";
            case "Floating-point" -> "a number with a fraction or exponent";
            case "Boolean" -> "a boolean";
            case "Array" -> "an array";
            default -> "an object";
        };
    }

    private static String location(JsonProcessingException e) {
        return e.getLocation() == null
                ? ""
                : " (line " + e.getLocation().getLineNr() + ", column "
                        + e.getLocation().getColumnNr() + ")";
    }
}
