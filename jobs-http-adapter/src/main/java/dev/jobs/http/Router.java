package dev.jobs.http;

import dev.jobs.core.JobValidationException.FieldError;
import dev.jobs.http.internal.ApiException;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds a request's route by method and path template, has its caller authorized for the route's
 * role, and only then reads its body, within the limit and as JSON. Routes are added while the API
 * is built; then it is thread-safe.
 */
final class Router {
    /** Answers a routed request. */
    @FunctionalInterface
    interface Handler {
        ApiResponse handle(ApiRequest request, PathParameters path, Caller caller) throws InterruptedException;
    }

    private record Route(String method, String template, Pattern path, Role role, Handler handler) {}

    private final List<Route> routes = new ArrayList<>();
    private final Authenticator authenticator;
    private final Problems problems;
    private final Responses responses;
    private final int maxBodyBytes;

    Router(Authenticator authenticator, Problems problems, Responses responses, int maxBodyBytes) {
        this.authenticator = authenticator;
        this.problems = problems;
        this.responses = responses;
        this.maxBodyBytes = maxBodyBytes;
    }

    /** Adds a route; {@code role} null for one anyone may call without a token. */
    void route(String method, String template, Role role, Handler handler) {
        routes.add(new Route(method, template, pathPattern(template), role, handler));
    }

    /** The method and path template of every route. */
    List<String> routes() {
        return routes.stream().map(r -> r.method + " " + r.template).toList();
    }

    ApiResponse dispatch(ApiRequest head, RequestBody body) throws InterruptedException, IOException {
        requireHeadersWithinLimits(head);
        Route route = null;
        Matcher matcher = null;
        var allowed = new LinkedHashSet<String>();
        for (Route candidate : routes) {
            Matcher m = candidate.path.matcher(head.path());
            if (m.matches()) {
                allowed.add(candidate.method);
                if (route == null && candidate.method.equals(head.method())) {
                    route = candidate;
                    matcher = m;
                }
            }
        }
        if (allowed.isEmpty()) {
            throw new ApiException(404, "Not found", "no resource at " + head.path() + "; see /openapi.json");
        }
        if (route == null) {
            return responses.problem(
                    405,
                    "Method not allowed",
                    head.method() + " is not allowed on " + head.path(),
                    List.of(),
                    Map.of("Allow", String.join(", ", allowed)));
        }
        Caller caller = route.role == null ? Caller.PUBLIC : authenticator.authorize(head, route.role);
        // Read only now, having routed and authorized the request: one more byte than the limit,
        // enough to see an upload is too large.
        var request = new ApiRequest(
                head.method(),
                head.path(),
                head.query(),
                head.headers(),
                body.read(maxBodyBytes + 1),
                head.remoteHost());
        if (request.body().length > maxBodyBytes) {
            throw new ApiException(413, "Body too large", problems.bodyTooLarge());
        }
        if ((request.method().equals("POST") || request.method().equals("PUT")) && request.body().length > 0) {
            String type = request.header("Content-Type").orElse("");
            if (!type.toLowerCase(Locale.ROOT).startsWith(Responses.JSON)) {
                throw new ApiException(
                        415, "Unsupported media type", "send the body as " + Responses.JSON + ", not '" + type + "'");
            }
        }
        return route.handler.handle(request, new PathParameters(matcher), caller);
    }

    /**
     * The parameters of a route's path, matched on the raw path (so an encoded {@code /}, {@code %2F},
     * stays inside its parameter) and decoded one by one.
     */
    record PathParameters(Matcher matched) {
        /** The {@code n}th parameter, decoded; a {@code +} stays a plus, as in any path. */
        String group(int n) {
            try {
                return URLDecoder.decode(matched.group(n).replace("+", "%2B"), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw ApiException.invalid(
                        List.of(new FieldError("path", "holds a malformed percent escape; encode '%' as %25")));
            }
        }
    }

    /** Checked here too, for hosts that carry the API on a server with laxer limits than ours. */
    private static void requireHeadersWithinLimits(ApiRequest request) {
        long count = 0;
        long bytes = 0;
        for (Map.Entry<String, List<String>> header : request.headers().entrySet()) {
            for (String value : header.getValue()) {
                count++;
                bytes += header.getKey().length() + value.length();
            }
        }
        if (count > JobsHttpApi.MAX_HEADERS || bytes > JobsHttpApi.MAX_HEADER_BYTES) {
            throw new ApiException(431, "Request header fields too large", Problems.HEADER_LIMITS);
        }
    }

    /** The template's text taken literally, each {@code {parameter}} matching one path segment. */
    private static Pattern pathPattern(String template) {
        var regex = new StringBuilder();
        Matcher parameter = Pattern.compile("\\{[a-z]+}").matcher(template);
        int last = 0;
        while (parameter.find()) {
            regex.append(Pattern.quote(template.substring(last, parameter.start())))
                    .append("([^/]+)");
            last = parameter.end();
        }
        regex.append(Pattern.quote(template.substring(last)));
        return Pattern.compile(regex.toString());
    }
}
