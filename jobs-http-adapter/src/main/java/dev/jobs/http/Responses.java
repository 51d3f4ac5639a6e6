package dev.jobs.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jobs.core.JobValidationException.FieldError;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The API's answers written as JSON: a body, an empty answer, an RFC 9457 problem. Thread-safe. */
final class Responses {
    static final String JSON = "application/json";
    private static final String PROBLEM_JSON = "application/problem+json";

    private final ObjectMapper mapper;

    Responses(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    ObjectMapper mapper() {
        return mapper;
    }

    ObjectNode object() {
        return mapper.createObjectNode();
    }

    ApiResponse ok(JsonNode body) {
        return json(200, Map.of(), body);
    }

    ApiResponse json(int status, Map<String, String> headers, JsonNode body) {
        return new ApiResponse(status, JSON, headers, bytes(body));
    }

    ApiResponse noContent() {
        return new ApiResponse(204, JSON, Map.of(), new byte[0]);
    }

    ApiResponse problem(int status, String title, String detail, List<FieldError> errors, Map<String, String> headers) {
        ObjectNode problem = mapper.createObjectNode();
        problem.put("type", "about:blank");
        problem.put("title", title);
        problem.put("status", status);
        problem.put("detail", detail);
        var array = problem.putArray("errors");
        for (FieldError error : errors) {
            array.addObject().put("field", error.field()).put("message", error.message());
        }
        var allHeaders = new LinkedHashMap<>(headers);
        if (status == 401) {
            allHeaders.put("WWW-Authenticate", "Bearer");
        }
        return new ApiResponse(status, PROBLEM_JSON, allHeaders, bytes(problem));
    }

    private byte[] bytes(JsonNode node) {
        try {
            return mapper.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("could not write a response", e);
        }
    }
}
