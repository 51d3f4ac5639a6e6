package dev.jobs.http;

import dev.jobs.http.internal.ApiException;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One HTTP request as {@link JobsHttpApi} sees it, whatever server received it.
 *
 * @param method the request method, upper case
 * @param path the raw path, still percent-encoded, such as {@code /api/workers/py%2F1/stop}: routes
 *     match it as sent, so an encoded {@code /} stays inside its parameter, and each parameter is
 *     decoded after
 * @param query the decoded query parameters; a parameter may repeat
 * @param headers the request headers; names compare case-insensitively
 * @param body the request body, already cut at the configured limit by the server
 * @param remoteHost the client's address, for the worker registry
 */
public record ApiRequest(
        String method,
        String path,
        Map<String, List<String>> query,
        Map<String, List<String>> headers,
        byte[] body,
        String remoteHost) {
    public ApiRequest {
        method = method.toUpperCase(Locale.ROOT);
        Objects.requireNonNull(path, "path");
        query = Map.copyOf(query);
        var caseless = new TreeMap<String, List<String>>(String.CASE_INSENSITIVE_ORDER);
        headers.forEach((name, values) -> caseless.put(name, List.copyOf(values)));
        headers = Collections.unmodifiableMap(caseless);
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(remoteHost, "remoteHost");
    }

    /** The first value of a header. */
    public Optional<String> header(String name) {
        return Optional.ofNullable(headers.get(name))
                .flatMap(values -> values.stream().findFirst());
    }

    /** Every value of a query parameter, in order. */
    public List<String> params(String name) {
        return query.getOrDefault(name, List.of());
    }

    /**
     * The one value of a query parameter. Given twice with the same value it is still one value;
     * given with different values it is ambiguous, and the request is refused naming it.
     */
    public Optional<String> param(String name) {
        List<String> values = params(name);
        if (values.stream().distinct().count() > 1) {
            throw ApiException.invalid(name, "was given more than once with different values; give it once");
        }
        return values.stream().findFirst();
    }
}
