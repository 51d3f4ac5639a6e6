package dev.jobs.core.spi.support;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jobs.core.JobValidationException;
import java.math.BigDecimal;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

/**
 * What every store must keep exactly, and what reaches none. Checked once where values enter the
 * engine, so that no value reaches a database that would refuse or change it: PostgreSQL refuses
 * the NUL character in text and in JSON, a lone surrogate becomes {@code ?} on its way to UTF-8,
 * and a number beyond a double becomes {@code Infinity} on H2 and PostgreSQL. Labels (worker ids, keys) also reach log lines,
 * where a line break would forge a line, so they hold no control characters at all.
 *
 * <p>Each check answers why a value cannot be stored, or nothing; the {@code require…} forms throw
 * {@link JobValidationException} naming the field. Text the engine writes itself from an exception
 * goes through {@link #repaired} instead, since nobody could correct it.
 */
public final class Storable {
    private static final BigDecimal LARGEST = new BigDecimal(Double.MAX_VALUE);
    /** Half the smallest double: anything nearer zero reads back as 0. */
    private static final BigDecimal ROUNDS_TO_ZERO = new BigDecimal(Double.MIN_VALUE).divide(BigDecimal.TWO);

    /** Longest piece of a JSON key a message quotes. */
    private static final int QUOTED_KEY_CHARS = 40;

    private Storable() {}

    /** Text for people to read (messages, payload strings): anything but NUL and lone surrogates. */
    public static Optional<String> textProblem(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\u0000') {
                return Optional.of("holds the NUL character (U+0000) at index " + i + ", which no store keeps in text");
            }
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c)
                        && i + 1 < text.length()
                        && Character.isLowSurrogate(text.charAt(i + 1))) {
                    i++;
                } else {
                    return Optional.of("holds a lone surrogate (" + codePoint(c) + ") at index " + i
                            + "; text must be well-formed Unicode");
                }
            }
        }
        return Optional.empty();
    }

    /**
     * A label that reaches log lines (a worker id, a key, an error type): what {@link #textProblem}
     * refuses, and control characters and line separators too.
     */
    public static Optional<String> labelProblem(String label) {
        Optional<String> problem = textProblem(label);
        if (problem.isPresent()) {
            return problem;
        }
        for (int i = 0; i < label.length(); i++) {
            char c = label.charAt(i);
            if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                return Optional.of("holds the control character " + codePoint(c) + " at index " + i
                        + "; a label must be printable, since it is written to log lines");
            }
        }
        return Optional.empty();
    }

    /**
     * A JSON value: its strings and keys as {@linkplain #textProblem text}, its numbers within a
     * double's range. The problem names where it is as a JSON pointer ({@code at /items/3/name}).
     */
    public static Optional<String> jsonProblem(JsonNode value) {
        var pending = new ArrayDeque<Place>();
        pending.push(new Place(null, null, value));
        while (!pending.isEmpty()) {
            Place place = pending.pop();
            JsonNode node = place.node;
            Optional<String> problem = Optional.empty();
            if (node.isTextual()) {
                problem = textProblem(node.textValue());
            } else if (node.isNumber()) {
                problem = numberProblem(node);
            } else if (node.isObject()) {
                for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext(); ) {
                    Map.Entry<String, JsonNode> field = fields.next();
                    Optional<String> keyProblem = textProblem(field.getKey());
                    if (keyProblem.isPresent()) {
                        return Optional.of(place.where() + "a key " + keyProblem.get());
                    }
                    pending.push(new Place(place, field.getKey(), field.getValue()));
                }
            } else if (node.isArray()) {
                for (int i = node.size() - 1; i >= 0; i--) {
                    pending.push(new Place(place, Integer.toString(i), node.get(i)));
                }
            }
            if (problem.isPresent()) {
                return Optional.of(place.where() + "the value " + problem.get());
            }
        }
        return Optional.empty();
    }

    public static void requireText(String field, String text) {
        textProblem(text).ifPresent(problem -> {
            throw JobValidationException.of(field, problem);
        });
    }

    public static void requireLabel(String field, String label) {
        labelProblem(label).ifPresent(problem -> {
            throw JobValidationException.of(field, problem);
        });
    }

    public static void requireJson(String field, JsonNode value) {
        jsonProblem(value).ifPresent(problem -> {
            throw JobValidationException.of(field, problem);
        });
    }

    /**
     * Text the engine stores on its own account (an exception's message and stack trace), with each
     * NUL and lone surrogate replaced by U+FFFD: nobody could correct it, and the failure it
     * describes must still be recorded.
     */
    public static String repaired(String text) {
        if (textProblem(text).isEmpty()) {
            return text;
        }
        var out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                out.append(c).append(text.charAt(++i));
            } else if (c == '\u0000' || Character.isSurrogate(c)) {
                out.append('\uFFFD');
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /**
     * At most {@code max} characters of {@code text}, never ending in half of a surrogate pair
     * (which would make the rest unstorable).
     */
    public static String cut(String text, int max) {
        if (text.length() <= max) {
            return text;
        }
        int end = max > 0 && Character.isHighSurrogate(text.charAt(max - 1)) ? max - 1 : max;
        return text.substring(0, end);
    }

    /**
     * {@code text} as a message may quote it: at most {@code max} characters (then {@code …}), with
     * control characters, line separators and lone surrogates written as backslash-u escapes, so that
     * the message is safe in a log line and in every store.
     */
    public static String shown(String text, int max) {
        String kept = cut(text, max);
        var out = new StringBuilder(kept.length() + 8);
        for (int i = 0; i < kept.length(); i++) {
            char c = kept.charAt(i);
            boolean paired = Character.isHighSurrogate(c)
                            && i + 1 < kept.length()
                            && Character.isLowSurrogate(kept.charAt(i + 1))
                    || Character.isLowSurrogate(c) && i > 0 && Character.isHighSurrogate(kept.charAt(i - 1));
            if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029' || (Character.isSurrogate(c) && !paired)) {
                out.append(String.format("\\u%04X", (int) c));
            } else {
                out.append(c);
            }
        }
        return kept.length() < text.length() ? out.append('…').toString() : out.toString();
    }

    private static Optional<String> numberProblem(JsonNode number) {
        if (number.isDouble() || number.isFloat()) {
            double value = number.doubleValue();
            return Double.isFinite(value)
                    ? Optional.empty()
                    : Optional.of(value + " is not a finite number (was it beyond ±1.8e308?)");
        }
        if (number.isBigDecimal() || number.isBigInteger()) {
            BigDecimal magnitude = number.decimalValue().abs();
            if (magnitude.compareTo(LARGEST) > 0) {
                return Optional.of(abbreviated(number) + " is beyond the range of a double (±1.8e308)");
            }
            if (magnitude.signum() != 0 && magnitude.compareTo(ROUNDS_TO_ZERO) <= 0) {
                return Optional.of(abbreviated(number) + " is closer to zero than a double can be (4.9e-324)");
            }
        }
        return Optional.empty();
    }

    private static String abbreviated(JsonNode number) {
        String text = number.decimalValue().toString();
        return text.length() <= 40 ? text : text.substring(0, 20) + "… (" + text.length() + " characters)";
    }

    private static String codePoint(char c) {
        return String.format("U+%04X", (int) c);
    }

    /** A value inside a JSON tree, and the way to it. */
    private record Place(Place parent, String step, JsonNode node) {
        /**
         * {@code at /items/3/name, } (a JSON pointer, RFC 6901), or nothing for the whole value;
         * control characters and lone surrogates shown as escapes so that the message holding it is
         * itself safe to log and to store.
         */
        String where() {
            if (parent == null) {
                return "";
            }
            var steps = new ArrayDeque<String>();
            for (Place place = this; place.parent != null; place = place.parent) {
                steps.push(place.step);
            }
            var out = new StringBuilder();
            for (String s : steps) {
                out.append('/').append(shown(s.replace("~", "~0").replace("/", "~1"), QUOTED_KEY_CHARS));
            }
            return "at " + out + ", ";
        }
    }
}
