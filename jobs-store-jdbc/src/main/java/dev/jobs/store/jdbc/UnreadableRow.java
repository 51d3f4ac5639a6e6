package dev.jobs.store.jdbc;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import dev.jobs.core.JobError;
import dev.jobs.core.spi.support.Storable;
import java.util.UUID;

/**
 * A job row with a column that is not what the store writes: edited by hand, or written by another
 * version. The store mends such a row where it meets it ({@code JdbcJobStore#mend}): the column gets
 * a value it can read, the stored text is kept where a person can find it, and the job ends with
 * {@link #TYPE} as its error, so one bad row never stops claims, listings or maintenance for the
 * rest.
 */
final class UnreadableRow extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The error type a mended job carries. */
    static final String TYPE = "UnreadableRow";

    /** How much of the stored text an error message quotes. */
    private static final int QUOTED_CHARS = 1000;

    private final UUID jobId;
    private final String column;
    private final String stored;

    UnreadableRow(UUID jobId, String column, String stored, RuntimeException cause) {
        super(
                "job " + jobId + ": its stored " + column + " cannot be read (" + Storable.shown(firstLine(cause), 200)
                        + ")",
                cause);
        this.jobId = jobId;
        this.column = column;
        this.stored = stored;
    }

    /** The first line of the innermost explanation: a JSON parser's, say, not the wrapper's. */
    private static String firstLine(Throwable failure) {
        String message = String.valueOf(failure.getMessage());
        for (Throwable t = failure.getCause(); t != null; t = t.getCause()) {
            if (t.getMessage() != null) {
                message = t.getMessage();
            }
        }
        int end = message.indexOf('\n');
        return end < 0 ? message : message.substring(0, end);
    }

    UUID jobId() {
        return jobId;
    }

    String column() {
        return column;
    }

    /** Whether the unreadable column is the state, which the mended row must then be given. */
    boolean isState() {
        return column.equals("state");
    }

    /**
     * What the column holds once mended: for a payload or result, the stored text as a JSON string,
     * so nothing is lost; for the others, the value a new job has.
     */
    String replacement() {
        return switch (column) {
            case "payload", "result" -> asJsonString();
            case "metadata" -> "{}";
            case "attempts" -> "[]";
            case "depends_on" -> "";
            case "on_dependency_failure" -> "CANCEL";
            case "state" -> "CANCELLED";
            default -> null; // retry_policy (the engine's default), lease_token (no lease)
        };
    }

    /** The error the mended job ends with, saying what was wrong and where the stored text went. */
    JobError error() {
        String kept = column.equals("payload") || column.equals("result")
                ? "it is kept, as a JSON string, as the " + column
                : "it was: " + Storable.shown(String.valueOf(stored), QUOTED_CHARS);
        return JobError.of(TYPE, getMessage() + "; " + kept);
    }

    private String asJsonString() {
        return '"'
                + new String(JsonStringEncoder.getInstance().quoteAsString(Storable.repaired(String.valueOf(stored))))
                + '"';
    }
}
