package dev.jobs.store.jdbc;

import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.StatementContext;
import org.jdbi.v3.core.statement.StatementException;
import org.jdbi.v3.core.statement.StatementExceptions;

/**
 * How a failed statement describes itself: the database's message and which statement it was,
 * never the values bound to it. Jdbi's default puts every bound argument into the message, and so
 * into every log line and stack trace that carries it: for a failed group completion, each job's
 * result, attempt and worker, for a failed enqueue each payload. A job's data is the host's to log
 * or not; the store logs none of it.
 */
final class StatementErrors {
    /** Enough of a statement's text to tell which one it was. */
    static final int NAME_LENGTH = 80;

    private StatementErrors() {}

    /** Has {@code jdbi} describe failed statements without their bound values. */
    static void withoutBoundValues(Jdbi jdbi) {
        jdbi.getConfig(StatementExceptions.class).setMessageRendering(StatementErrors::message);
    }

    private static String message(StatementException e) {
        StatementContext context = e.getStatementContext();
        if (context == null || context.getRawSql() == null) {
            return e.getShortMessage();
        }
        return e.getShortMessage() + " [statement: " + name(context.getRawSql()) + "]";
    }

    /**
     * The start of the statement as written in the store's code, before any value is bound or
     * template filled: it names the statement and carries no data.
     */
    static String name(String rawSql) {
        String text = rawSql.strip().replaceAll("\\s+", " ");
        return text.length() <= NAME_LENGTH ? text : text.substring(0, NAME_LENGTH) + "…";
    }
}
