package dev.jobs.http.internal;

import dev.jobs.http.ApiResponse;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;

/**
 * The dashboard's static files, read from the jar once. The page itself holds no data and needs
 * no token: it asks the user for one and calls the API with it, like any other client. A policy
 * lets the page load only its own scripts and styles and talk only to this server.
 */
public final class Dashboard {
    private static final Map<String, String> TYPES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "app.js", "text/javascript; charset=utf-8",
            "app.css", "text/css; charset=utf-8");

    private static final Map<String, String> HEADERS = Map.of(
            "Content-Security-Policy",
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:;"
                    + " base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            "Referrer-Policy",
            "no-referrer");

    private final Map<String, byte[]> files;

    public Dashboard() {
        var read = new HashMap<String, byte[]>();
        TYPES.keySet().forEach(name -> read.put(name, read(name)));
        files = Map.copyOf(read);
    }

    /** {@code GET /}: the page. */
    public ApiResponse page() {
        return file("index.html");
    }

    /** {@code GET /dashboard/{asset}}: its script or style; anything else is not found. */
    public ApiResponse asset(String name) {
        if (name.equals("index.html") || !files.containsKey(name)) {
            throw new ApiException(404, "Not found", "the dashboard has no file '" + name + "'");
        }
        return file(name);
    }

    private ApiResponse file(String name) {
        return new ApiResponse(200, TYPES.get(name), HEADERS, files.get(name));
    }

    private static byte[] read(String name) {
        try (InputStream in = Dashboard.class.getResourceAsStream("/dev/jobs/http/dashboard/" + name)) {
            if (in == null) {
                throw new IllegalStateException("dashboard/" + name + " is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("could not read dashboard/" + name, e);
        }
    }
}
