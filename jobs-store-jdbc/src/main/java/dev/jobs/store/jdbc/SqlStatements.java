package dev.jobs.store.jdbc;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The named SQL statements of one area of the store (claims, say), each written whole in a resource
 * file: {@code sql/<area>.sql} holds those every database runs alike, {@code sql/<database>/<area>.sql}
 * those a database runs its own way, and a statement named in both is the database's. A statement
 * starts at a line {@code -- name: <name>} and runs to the next; other lines starting {@code --} are
 * comments for the reader and are not sent. Table names are Jdbi's {@code <job>} (the prefixed
 * table) and lists {@code <queues>}; everything else is runnable as written. Immutable.
 */
final class SqlStatements {
    private static final String NAME = "-- name:";

    private final String source;
    private final Map<String, String> statements;

    private SqlStatements(String source, Map<String, String> statements) {
        this.source = source;
        this.statements = Map.copyOf(statements);
    }

    /** The statements of {@code area} as {@code dialect}'s database runs them. */
    static SqlStatements load(SqlDialect dialect, String area) {
        var statements = new LinkedHashMap<String, String>();
        String common = "sql/" + area + ".sql";
        String own = "sql/" + dialect.name() + "/" + area + ".sql";
        read(common).ifPresent(text -> statements.putAll(parse(common, text)));
        read(own).ifPresent(text -> statements.putAll(parse(own, text)));
        if (statements.isEmpty()) {
            throw new IllegalStateException(
                    "no statements in " + common + " or " + own + " beside " + SqlStatements.class);
        }
        return new SqlStatements(common + " and " + own, statements);
    }

    /** The statement named {@code name}; a missing one is a bug of the store's, said at once. */
    String get(String name) {
        String statement = statements.get(name);
        if (statement == null) {
            throw new IllegalStateException("no statement named '" + name + "' in " + source);
        }
        return statement;
    }

    /**
     * The statement named {@code name}, or, for a claim on one queue, its variant {@code
     * <name>-one-queue} where this database has one (it orders by the columns its index leads with).
     */
    String get(String name, boolean oneQueue) {
        return oneQueue ? find(name + "-one-queue").orElseGet(() -> get(name)) : get(name);
    }

    /** The statement named {@code name}, where this database has one. */
    Optional<String> find(String name) {
        return Optional.ofNullable(statements.get(name));
    }

    /** Every statement by name, for tests that hold them all to a rule. */
    Map<String, String> all() {
        return statements;
    }

    static Map<String, String> parse(String file, String text) {
        var statements = new LinkedHashMap<String, String>();
        String name = null;
        var statement = new StringBuilder();
        for (String line : text.split("\n", -1)) {
            String trimmed = line.strip();
            if (trimmed.startsWith(NAME)) {
                put(file, statements, name, statement);
                name = trimmed.substring(NAME.length()).strip();
                statement.setLength(0);
            } else if (!trimmed.isEmpty() && !trimmed.startsWith("--")) {
                if (name == null) {
                    throw new IllegalStateException(file + ": SQL before the first '" + NAME + "' line: " + trimmed);
                }
                statement.append(statement.isEmpty() ? "" : "\n").append(line.stripTrailing());
            }
        }
        put(file, statements, name, statement);
        return statements;
    }

    private static void put(String file, Map<String, String> statements, String name, StringBuilder statement) {
        if (name == null) {
            return;
        }
        if (statement.isEmpty()) {
            throw new IllegalStateException(file + ": statement '" + name + "' is empty");
        }
        if (statements.put(name, statement.toString()) != null) {
            throw new IllegalStateException(file + ": statement '" + name + "' is named twice");
        }
    }

    private static Optional<String> read(String resource) {
        try (InputStream in = SqlStatements.class.getResourceAsStream(resource)) {
            return in == null ? Optional.empty() : Optional.of(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + resource, e);
        }
    }
}
