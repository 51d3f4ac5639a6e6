package dev.jobs.http.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jobs.core.Job;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobError;
import dev.jobs.core.JobPage;
import dev.jobs.core.JobQuery;
import dev.jobs.http.ApiResponse.StreamingBody;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Jobs as CSV (RFC 4180), written page by page as the store gives them, so an export of any size
 * holds one page in memory. The first page is read before anything is sent, so a store that cannot
 * answer is still a proper error response. Payloads and results are left out: they can be large,
 * and {@code GET /api/jobs/{id}} has them.
 *
 * <p>Every cell is quoted, and text a spreadsheet would run as a formula (starting with {@code = +
 * - @}, tab or carriage return) is prefixed with {@code '}, so an export of hostile job data is
 * safe to open whichever separator the spreadsheet splits on.
 */
public final class CsvExport implements StreamingBody {
    /** The most rows one export writes; narrow the filters for more. */
    public static final int MAX_ROWS = 1_000_000;

    /** Jobs read from the store at once: it reads their payloads too, though the export leaves them out. */
    private static final int PAGE_SIZE = JobListing.CHUNK;
    /** First characters that make a spreadsheet read a cell as a formula. */
    private static final String FORMULA_STARTS = "=+-@\t\r";

    private static final ObjectMapper METADATA = new ObjectMapper();
    private static final List<String> HEADER = List.of(
            "id",
            "queue",
            "type",
            "state",
            "priority",
            "attempt",
            "maxAttempts",
            "progress",
            "progressMessage",
            "runAt",
            "createdAt",
            "startedAt",
            "finishedAt",
            "updatedAt",
            "leaseOwner",
            "cancelRequested",
            "uniqueKey",
            "dependsOn",
            "lastErrorType",
            "lastErrorMessage",
            "metadata");

    private final JobEngine engine;
    private final JobQuery query;
    private final int maxRows;
    private final JobPage firstPage;

    /** Reads the first page now; an unreachable store throws here, before any byte is sent. */
    public CsvExport(JobEngine engine, JobQuery query, int maxRows) {
        this.engine = engine;
        this.query = query.withLimit(Math.min(PAGE_SIZE, maxRows));
        this.maxRows = maxRows;
        this.firstPage = engine.list(this.query);
    }

    @Override
    public void writeTo(OutputStream out) throws IOException {
        Writer writer = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 64 * 1024);
        writeRow(writer, HEADER);
        JobPage page = firstPage;
        int written = 0;
        while (true) {
            for (Job job : page.jobs()) {
                if (written == maxRows) {
                    writer.flush();
                    return;
                }
                writeRow(writer, row(job));
                written++;
            }
            if (page.nextCursor().isEmpty() || written == maxRows) {
                writer.flush();
                return;
            }
            writer.flush();
            page = engine.list(query.withCursor(page.nextCursor().get()));
        }
    }

    private static List<String> row(Job job) {
        return List.of(
                job.id().toString(),
                job.queue(),
                job.type(),
                job.state().name(),
                Integer.toString(job.priority()),
                Integer.toString(job.attempt()),
                Integer.toString(job.maxAttempts()),
                Integer.toString(job.progress()),
                job.progressMessage().orElse(""),
                job.runAt().toString(),
                job.createdAt().toString(),
                instant(job.startedAt()),
                instant(job.finishedAt()),
                job.updatedAt().toString(),
                job.leaseOwner().orElse(""),
                Boolean.toString(job.cancelRequested()),
                job.uniqueKey().orElse(""),
                job.dependsOn().stream().map(UUID::toString).collect(Collectors.joining(" ")),
                job.lastError().map(JobError::type).orElse(""),
                job.lastError().map(JobError::message).orElse(""),
                metadata(job.metadata()));
    }

    private static String instant(Optional<Instant> value) {
        return value.map(Instant::toString).orElse("");
    }

    /** Metadata as a JSON object in key order: unambiguous whatever the keys and values hold. */
    private static String metadata(Map<String, String> metadata) {
        if (metadata.isEmpty()) {
            return "";
        }
        try {
            return METADATA.writeValueAsString(new TreeMap<>(metadata));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a string map always serialises", e);
        }
    }

    private static void writeRow(Writer writer, List<String> cells) throws IOException {
        for (int i = 0; i < cells.size(); i++) {
            if (i > 0) {
                writer.write(',');
            }
            writer.write(cell(cells.get(i)));
        }
        writer.write("\r\n");
    }

    /**
     * One cell, always quoted: a spreadsheet that splits on {@code ;} or tabs instead of commas then
     * still sees the whole value as one text cell, never the start of a new cell it could run.
     * Inside the quotes, text a spreadsheet would run as a formula is defused with a leading
     * {@code '} as well, for a spreadsheet that drops the quotes.
     */
    static String cell(String value) {
        String text = value;
        if (!text.isEmpty() && FORMULA_STARTS.indexOf(text.charAt(0)) >= 0) {
            text = "'" + text;
        }
        return '"' + text.replace("\"", "\"\"") + '"';
    }
}
