package dev.jobs.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jobs.core.JobEngine;
import dev.jobs.core.JobValidationException;
import dev.jobs.core.JobValidationException.FieldError;
import dev.jobs.core.RecurringJob;
import dev.jobs.http.internal.ApiException;
import dev.jobs.http.internal.Bodies;
import dev.jobs.http.internal.Specs;
import java.util.ArrayList;

/** {@code /api/recurring}: the recurring jobs every engine on the store runs, listed, saved and deleted. */
final class RecurringRoutes {
    private final RouteContext context;
    private final JobEngine engine;

    RecurringRoutes(RouteContext context) {
        this.context = context;
        this.engine = context.engine();
    }

    void addTo(Router router) {
        router.route("GET", "/api/recurring", Role.READ, (r, m, c) -> list());
        router.route("GET", "/api/recurring/{name}", Role.READ, (r, m, c) -> get(m.group(1)));
        router.route("PUT", "/api/recurring/{name}", Role.ADMIN, (r, m, c) -> put(r, m.group(1)));
        router.route("DELETE", "/api/recurring/{name}", Role.ADMIN, (r, m, c) -> delete(m.group(1)));
    }

    private ApiResponse list() {
        ObjectNode response = context.responses().object();
        var array = response.putArray("recurring");
        engine.recurring().forEach(status -> array.add(context.json().recurring(status)));
        return context.responses().ok(response);
    }

    private ApiResponse get(String name) {
        return context.responses()
                .ok(context.json().recurring(engine.recurring(name).orElseThrow(() -> noRecurring(name))));
    }

    private ApiResponse put(ApiRequest request, String name) {
        Bodies.PutRecurring body = context.bodies().read(request.body(), Bodies.PutRecurring.class);
        var errors = new ArrayList<FieldError>();
        RecurringJob recurring = Specs.recurring(name, body, errors).orElseThrow(() -> ApiException.invalid(errors));
        try {
            return context.responses().ok(context.json().recurring(engine.putRecurring(recurring)));
        } catch (JobValidationException e) {
            // The engine names the job "template"; the wire format calls it "job".
            throw ApiException.invalid(e.errors().stream()
                    .map(err -> new FieldError(err.field().replaceFirst("^template\\.", "job."), err.message()))
                    .toList());
        }
    }

    private ApiResponse delete(String name) {
        if (!engine.deleteRecurring(name)) {
            throw noRecurring(name);
        }
        return context.responses().noContent();
    }

    private static ApiException noRecurring(String name) {
        return new ApiException(404, "Not found", "there is no recurring job named '" + name + "'");
    }
}
