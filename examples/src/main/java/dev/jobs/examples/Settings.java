package dev.jobs.examples;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The example server's settings: each from its environment variable, or from the matching flag,
 * which wins ({@code JOBS_HTTP_PORT} or {@code --http-port=8080}). A bad one stops start-up with
 * one line that names it and says what is allowed.
 *
 * @param httpHost the address the HTTP API listens on: the loopback address unless set, so a new
 *     server is reachable from this machine only; {@code 0.0.0.0} for every interface
 * @param httpPort the port of the HTTP API; 0 picks a free one
 * @param jdbcUrl PostgreSQL or MariaDB instead of the embedded H2 file database
 * @param jdbcUser the database user, with {@code jdbcUrl}
 * @param jdbcPassword the database password, with {@code jdbcUrl}
 * @param redisUrl a Redis to dispatch through, in front of the database
 * @param apiToken the admin token; empty to use the one saved in the data directory, or a new one
 * @param dataDir where the H2 database and the generated token live
 * @param workers jobs run at once in this process; 0 for an API-only server
 * @param demo enqueue the demo jobs at start
 * @param jwt JSON Web Tokens from an identity provider, accepted beside the admin token
 */
record Settings(
        String httpHost,
        int httpPort,
        Optional<String> jdbcUrl,
        String jdbcUser,
        String jdbcPassword,
        Optional<String> redisUrl,
        Optional<String> apiToken,
        Path dataDir,
        int workers,
        boolean demo,
        Optional<Jwt> jwt) {

    /**
     * Where JWTs are checked: the provider's key set, the issuer and audience every token must
     * name, and the claim that carries its roles.
     */
    record Jwt(URI jwksUrl, String issuer, String audience, String rolesClaim) {}

    /** Each setting's flag and the environment variable behind it. */
    static final Map<String, String> VARIABLE_OF_FLAG = orderedMap(
            "--http-host", "JOBS_HTTP_HOST",
            "--http-port", "JOBS_HTTP_PORT",
            "--jdbc-url", "JOBS_JDBC_URL",
            "--jdbc-user", "JOBS_JDBC_USER",
            "--jdbc-password", "JOBS_JDBC_PASSWORD",
            "--redis-url", "JOBS_REDIS_URL",
            "--api-token", "JOBS_API_TOKEN",
            "--data-dir", "JOBS_DATA_DIR",
            "--workers", "JOBS_WORKERS",
            "--jwt-jwks-url", "JOBS_JWT_JWKS_URL",
            "--jwt-issuer", "JOBS_JWT_ISSUER",
            "--jwt-audience", "JOBS_JWT_AUDIENCE",
            "--jwt-roles-claim", "JOBS_JWT_ROLES_CLAIM");

    static final String DEFAULT_HOST = "127.0.0.1";
    static final int DEFAULT_PORT = 8080;
    static final int DEFAULT_WORKERS = 8;
    static final int MAX_WORKERS = 1000;
    static final int MIN_TOKEN_LENGTH = 16;

    /** A host name or an IPv4 or IPv6 address (IPv6 with or without brackets). */
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.-]+|\\[?[0-9A-Fa-f:.]+(%[A-Za-z0-9]+)?]?");

    private static final List<String> REDIS_PREFIXES = List.of("redis://", "rediss://", "redis-sentinel://");

    private static final List<String> JDBC_PREFIXES =
            List.of("jdbc:postgresql:", "jdbc:mariadb:", "jdbc:mysql:", "jdbc:h2:");

    /** A setting that cannot be used; the message is the one line the user sees. */
    static final class Invalid extends Exception {
        private static final long serialVersionUID = 1L;

        Invalid(String message) {
            super(message);
        }
    }

    static Settings parse(List<String> args, Map<String, String> environment) throws Invalid {
        var values = new HashMap<String, String>();
        VARIABLE_OF_FLAG.forEach((flag, variable) -> {
            String value = environment.get(variable);
            if (value != null && !value.isBlank()) {
                values.put(variable, value.trim());
            }
        });
        boolean demo = false;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (arg.equals("--demo")) {
                demo = true;
                continue;
            }
            if (arg.equals("--help") || arg.equals("-h")) {
                throw new Invalid(usage());
            }
            int eq = arg.indexOf('=');
            String flag = eq < 0 ? arg : arg.substring(0, eq);
            String variable = VARIABLE_OF_FLAG.get(flag);
            if (variable == null) {
                throw new Invalid("unknown option '" + arg + "'; " + usage());
            }
            String value;
            if (eq >= 0) {
                value = arg.substring(eq + 1);
            } else if (i + 1 < args.size()) {
                value = args.get(++i);
            } else {
                throw new Invalid(flag + " needs a value, as in " + flag + "=...");
            }
            values.put(variable, value.trim());
        }

        Optional<String> redisUrl = Optional.ofNullable(values.get("JOBS_REDIS_URL"));
        if (redisUrl.isPresent() && REDIS_PREFIXES.stream().noneMatch(redisUrl.get()::startsWith)) {
            throw new Invalid("JOBS_REDIS_URL must be a Redis URL starting with one of " + REDIS_PREFIXES
                    + " (as in redis://localhost:6379), was '" + redisUrl.get() + "'");
        }
        String host = values.getOrDefault("JOBS_HTTP_HOST", DEFAULT_HOST);
        if (!HOST.matcher(host).matches()) {
            throw new Invalid("JOBS_HTTP_HOST must be a host name or an IP address to listen on, such as "
                    + DEFAULT_HOST + " (this machine only, the default) or 0.0.0.0 (every interface), was '"
                    + host + "'");
        }
        int port = integer(values, "JOBS_HTTP_PORT", DEFAULT_PORT, 0, 65535);
        int workers = integer(values, "JOBS_WORKERS", DEFAULT_WORKERS, 0, MAX_WORKERS);
        Optional<String> jdbcUrl = Optional.ofNullable(values.get("JOBS_JDBC_URL"));
        if (jdbcUrl.isPresent() && JDBC_PREFIXES.stream().noneMatch(jdbcUrl.get()::startsWith)) {
            throw new Invalid("JOBS_JDBC_URL must be a PostgreSQL, MariaDB/MySQL or H2 JDBC URL (starting with one of "
                    + JDBC_PREFIXES + "), was '" + jdbcUrl.get() + "'");
        }
        if (jdbcUrl.isEmpty() && (values.containsKey("JOBS_JDBC_USER") || values.containsKey("JOBS_JDBC_PASSWORD"))) {
            throw new Invalid("JOBS_JDBC_USER and JOBS_JDBC_PASSWORD go with JOBS_JDBC_URL, which is not set");
        }
        Optional<String> token = Optional.ofNullable(values.get("JOBS_API_TOKEN"));
        if (token.isPresent() && token.get().length() < MIN_TOKEN_LENGTH) {
            throw new Invalid("JOBS_API_TOKEN must be at least " + MIN_TOKEN_LENGTH
                    + " characters, so it cannot be guessed; leave it unset to have one generated");
        }
        Optional<Jwt> jwt = jwt(values);
        Path dataDir = Path.of(values.getOrDefault("JOBS_DATA_DIR", "data"))
                .toAbsolutePath()
                .normalize();
        return new Settings(
                host.replaceAll("^\\[|]$", ""),
                port,
                jdbcUrl,
                values.getOrDefault("JOBS_JDBC_USER", ""),
                values.getOrDefault("JOBS_JDBC_PASSWORD", ""),
                redisUrl,
                token,
                dataDir,
                workers,
                demo,
                jwt);
    }

    /** The JWT settings: none, or a key set URL with the issuer and audience its tokens must name. */
    private static Optional<Jwt> jwt(Map<String, String> values) throws Invalid {
        String url = values.get("JOBS_JWT_JWKS_URL");
        if (url == null) {
            for (String other : List.of("JOBS_JWT_ISSUER", "JOBS_JWT_AUDIENCE", "JOBS_JWT_ROLES_CLAIM")) {
                if (values.containsKey(other)) {
                    throw new Invalid(other + " goes with JOBS_JWT_JWKS_URL, which is not set");
                }
            }
            return Optional.empty();
        }
        URI jwksUrl;
        try {
            jwksUrl = new URI(url);
        } catch (URISyntaxException e) {
            jwksUrl = null;
        }
        if (jwksUrl == null
                || !("https".equals(jwksUrl.getScheme()) || "http".equals(jwksUrl.getScheme()))
                || jwksUrl.getHost() == null) {
            throw new Invalid(
                    "JOBS_JWT_JWKS_URL must be the identity provider's key set URL (https://...), was '" + url + "'");
        }
        for (String required : List.of("JOBS_JWT_ISSUER", "JOBS_JWT_AUDIENCE")) {
            if (!values.containsKey(required)) {
                throw new Invalid(required + " is required with JOBS_JWT_JWKS_URL: every token must name it");
            }
        }
        return Optional.of(new Jwt(
                jwksUrl,
                values.get("JOBS_JWT_ISSUER"),
                values.get("JOBS_JWT_AUDIENCE"),
                values.getOrDefault("JOBS_JWT_ROLES_CLAIM", "roles")));
    }

    private static int integer(Map<String, String> values, String variable, int fallback, int min, int max)
            throws Invalid {
        String text = values.get(variable);
        if (text == null) {
            return fallback;
        }
        try {
            int value = Integer.parseInt(text);
            if (value >= min && value <= max) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new Invalid(variable + " must be a whole number " + min + " to " + max + ", was '" + text + "'");
    }

    static String usage() {
        var text = new StringBuilder("settings (environment variable, or flag): ");
        VARIABLE_OF_FLAG.forEach((flag, variable) ->
                text.append(variable).append(" / ").append(flag).append(", "));
        return text.append("and --demo to enqueue the demo jobs").toString();
    }

    private static Map<String, String> orderedMap(String... pairs) {
        var map = new LinkedHashMap<String, String>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put(pairs[i], pairs[i + 1]);
        }
        return Collections.unmodifiableMap(map);
    }
}
