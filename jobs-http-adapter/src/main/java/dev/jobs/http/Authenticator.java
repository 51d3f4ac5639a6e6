package dev.jobs.http;

import dev.jobs.http.internal.ApiException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Who a request comes from and whether it may do what it asks: a static bearer token (kept only as
 * its hash), a JSON Web Token, or the anonymous role where one is allowed. Thread-safe.
 */
final class Authenticator {
    /** A configured token, kept only as its hash. */
    record KnownToken(byte[] sha256, Role role) {}

    private final List<KnownToken> tokens;
    private final Optional<Role> anonymousRole;
    private final Optional<JwtVerifier> jwt;
    private final String jwtRolesClaim;

    Authenticator(List<KnownToken> tokens, Optional<Role> anonymousRole, Optional<JwtSettings> jwt) {
        this.tokens = List.copyOf(tokens);
        this.anonymousRole = anonymousRole;
        this.jwt = jwt.map(JwtVerifier::new);
        this.jwtRolesClaim = jwt.map(JwtSettings::rolesClaim).orElse("");
    }

    /** The request's caller, if it holds {@code needed}; 401 without a valid token, 403 without the role. */
    Caller authorize(ApiRequest request, Role needed) {
        Caller caller = authenticate(request);
        if (!caller.role().allows(needed)) {
            throw new ApiException(
                    403,
                    "Forbidden",
                    "this needs the " + needed.name().toLowerCase(Locale.ROOT) + " role; the token has "
                            + caller.role().name().toLowerCase(Locale.ROOT));
        }
        return caller;
    }

    /**
     * The caller of the request's bearer token, a static one or a JWT, or the anonymous role; 401
     * when it has none. A static token's caller is a fingerprint of it (never the token itself), a
     * JWT's is its subject.
     */
    private Caller authenticate(ApiRequest request) {
        Optional<String> header = request.header("Authorization");
        if (header.isEmpty()) {
            return anonymousRole
                    .map(role -> new Caller(role, "anonymous"))
                    .orElseThrow(() -> unauthorized("send 'Authorization: Bearer <token>'"));
        }
        String value = header.get();
        if (!value.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw unauthorized("only bearer tokens are accepted");
        }
        String token = value.substring(7).trim();
        Optional<Role> known = roleOf(token);
        if (known.isPresent()) {
            return new Caller(known.get(), "token:" + HexFormat.of().formatHex(sha256(token), 0, 8));
        }
        if (jwt.isPresent() && JwtVerifier.looksLikeJwt(token)) {
            JwtVerifier.Caller verified = jwt.get().verify(token);
            Role role = verified.role()
                    .orElseThrow(() -> new ApiException(
                            403,
                            "Forbidden",
                            "the token names no role: its '" + jwtRolesClaim
                                    + "' claim must name admin, worker or read"));
            return new Caller(role, verified.principal());
        }
        throw unauthorized("the token is not valid");
    }

    /** Compares the token's hash with every known hash, so timing tells nothing about any token. */
    private Optional<Role> roleOf(String token) {
        byte[] presented = sha256(token);
        Role found = null;
        for (KnownToken known : tokens) {
            if (MessageDigest.isEqual(presented, known.sha256())) {
                found = known.role();
            }
        }
        return Optional.ofNullable(found);
    }

    private static ApiException unauthorized(String detail) {
        return new ApiException(401, "Unauthorized", detail);
    }

    static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
