package dev.jobs.http.internal;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jobs.core.Job;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobPage;
import dev.jobs.core.JobQuery;
import dev.jobs.http.ApiResponse.StreamingBody;
import java.io.IOException;
import java.io.OutputStream;

/**
 * A page of {@code GET /api/jobs}, {@code {"jobs":[...],"nextCursor":...}}, written as it is read
 * from the store a few jobs at a time: a page of 500 jobs with large payloads is never in memory
 * whole, neither as jobs nor as JSON. The first jobs are read before anything is sent, so a store
 * that cannot answer is still a proper error response; one that fails later cuts the response off,
 * which a client sees as a broken body, never as a shorter page.
 */
public final class JobListing implements StreamingBody {
    /**
     * Jobs read from the store at once. With payloads and results up to the largest a request can
     * carry (about 1 MiB each), one listing holds at most this many at a time.
     */
    public static final int CHUNK = 20;

    private final JobEngine engine;
    private final JobJson json;
    private final ObjectMapper mapper;
    private final JobQuery query;
    private final int limit;
    private final JobPage first;

    /**
     * Reads the first jobs now; an unreachable store throws here, before any byte is sent.
     *
     * @param limit how many jobs the page has at most
     */
    public JobListing(JobEngine engine, JobJson json, ObjectMapper mapper, JobQuery query, int limit) {
        this.engine = engine;
        this.json = json;
        this.mapper = mapper;
        this.query = query;
        this.limit = limit;
        this.first = engine.list(query.withLimit(Math.min(CHUNK, limit)));
    }

    @Override
    public void writeTo(OutputStream out) throws IOException {
        try (JsonGenerator generator = mapper.getFactory().createGenerator(out, JsonEncoding.UTF8)) {
            generator.writeStartObject();
            generator.writeArrayFieldStart("jobs");
            JobPage page = first;
            int written = 0;
            while (true) {
                for (Job job : page.jobs()) {
                    mapper.writeTree(generator, json.job(job));
                    written++;
                }
                generator.flush();
                if (page.nextCursor().isEmpty() || written >= limit) {
                    break;
                }
                page = engine.list(
                        query.withCursor(page.nextCursor().get()).withLimit(Math.min(CHUNK, limit - written)));
            }
            generator.writeEndArray();
            if (page.nextCursor().isPresent()) {
                generator.writeStringField("nextCursor", page.nextCursor().get());
            } else {
                generator.writeNullField("nextCursor");
            }
            generator.writeEndObject();
        }
    }
}
