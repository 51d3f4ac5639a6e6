package dev.jobs.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jobs.core.JobEngine;
import dev.jobs.http.internal.JobJson;
import dev.jobs.http.internal.JsonBodies;

/** What every class of routes answers with: the engine, the bodies' reader, the JSON of jobs, the answers. */
record RouteContext(JobEngine engine, JsonBodies bodies, JobJson json, Responses responses) {
    ObjectMapper mapper() {
        return responses.mapper();
    }
}
