package dev.jobs.http;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.crypto.Ed25519Verifier;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.ImmutableSecret;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.jwk.source.OutageTolerantJWKSetSource;
import com.nimbusds.jose.jwk.source.RateLimitReachedException;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.BadJWSException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.events.Event;
import com.nimbusds.jwt.EncryptedJWT;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.jobs.core.spi.support.Storable;
import dev.jobs.http.internal.ApiException;
import java.net.MalformedURLException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.ParseException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verifies JSON Web Tokens as {@link JwtSettings} say, with Nimbus JOSE+JWT: parsing, signatures,
 * key sets and claims are the library's; this class chooses which of its checks apply and says in
 * a client's words which one a token failed, never echoing the token. Thread-safe.
 */
final class JwtVerifier {
    private static final Logger log = LoggerFactory.getLogger(JwtVerifier.class);

    /** Signatures checked against public keys; EdDSA under both its names. */
    private static final Set<JWSAlgorithm> PUBLIC_KEY_ALGORITHMS =
            Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256, JWSAlgorithm.EdDSA, JWSAlgorithm.Ed25519);

    /** How long fetched keys are used before they are fetched again in the background. */
    private static final Duration KEY_SET_LIFETIME = Duration.ofMinutes(5);

    /** How long a fetch may take before a token waiting for it is refused. */
    private static final Duration KEY_SET_FETCH_TIMEOUT = Duration.ofSeconds(15);

    /** How long the last keys fetched stay in use while the provider cannot be reached. */
    private static final Duration KEY_SET_OUTAGE_TOLERANCE = Duration.ofDays(7);

    /** How often a provider that cannot be reached is logged, at most. */
    private static final Duration FETCH_FAILURE_LOG_EVERY = Duration.ofMinutes(1);

    private static final String NO_KEY =
            "no key with the token's key id (kid) is known, and fetching the keys again found none";

    /** A caller: the strongest role its token names, and its subject as the API knows it. */
    record Caller(Optional<Role> role, String principal) {}

    /**
     * The token types accepted: {@code JWT}, none, and {@code at+jwt}, which identity providers
     * following RFC 9068 put on access tokens.
     */
    private static final DefaultJOSEObjectTypeVerifier<SecurityContext> TYPES =
            new DefaultJOSEObjectTypeVerifier<>(JOSEObjectType.JWT, new JOSEObjectType("at+jwt"), null);

    private final Optional<DefaultJWTProcessor<SecurityContext>> publicKeys;
    private final Optional<JWKSource<SecurityContext>> edDsaKeys;
    private final DefaultJWTClaimsVerifier<SecurityContext> claimsVerifier;
    private final Optional<DefaultJWTProcessor<SecurityContext>> sharedSecret;
    private final String rolesClaim;
    private final AtomicLong lastFetchFailureLog =
            new AtomicLong(System.nanoTime() - FETCH_FAILURE_LOG_EVERY.toNanos());

    /**
     * @throws IllegalStateException when the key set cannot be fetched or read: a server that could
     *     verify no token should not start
     */
    JwtVerifier(JwtSettings settings) {
        this.rolesClaim = settings.rolesClaim();
        var claims = new DefaultJWTClaimsVerifier<SecurityContext>(
                Set.of(settings.audience()),
                new JWTClaimsSet.Builder().issuer(settings.issuer()).build(),
                Set.of("sub", "exp"),
                Set.of());
        claims.setMaxClockSkew((int) settings.clockSkew().toSeconds());
        Optional<JWKSource<SecurityContext>> keys = settings.jwksUrl()
                .map(url -> fetched(url, settings.refetchInterval()))
                .or(() -> settings.keys().map(JwtVerifier::fixed));
        keys.ifPresent(source -> requireKeys(source, settings));
        this.publicKeys = keys.map(source -> processor(PUBLIC_KEY_ALGORITHMS, source, claims));
        this.edDsaKeys = keys;
        this.claimsVerifier = claims;
        this.sharedSecret = settings.hmacSecret()
                .map(secret -> processor(Set.of(JWSAlgorithm.HS256), new ImmutableSecret<>(secret), claims));
    }

    /** Whether {@code token} has a JWT's shape (three parts, or five when encrypted). */
    static boolean looksLikeJwt(String token) {
        long dots = token.chars().filter(c -> c == '.').count();
        return (dots == 2 || dots == 4) && token.startsWith("ey");
    }

    /**
     * @throws ApiException {@code 401} naming the check the token failed
     */
    Caller verify(String token) {
        JWT jwt;
        try {
            jwt = JWTParser.parse(token);
        } catch (ParseException e) {
            throw refused("the token is not a well-formed JWT");
        }
        if (jwt instanceof PlainJWT) {
            throw refused("unsigned tokens (alg none) are not accepted");
        }
        if (jwt instanceof EncryptedJWT || !(jwt instanceof SignedJWT signed)) {
            throw refused("encrypted tokens are not accepted; send a signed one");
        }
        JWSAlgorithm algorithm = signed.getHeader().getAlgorithm();
        DefaultJWTProcessor<SecurityContext> processor;
        if (JWSAlgorithm.HS256.equals(algorithm)) {
            processor = sharedSecret.orElseThrow(
                    () -> refused("HS256 tokens are not accepted: this server holds no shared secret"));
        } else if (PUBLIC_KEY_ALGORITHMS.contains(algorithm)) {
            processor = publicKeys.orElseThrow(
                    () -> refused(algorithm + " tokens are not accepted: this server holds no public keys"));
        } else {
            throw refused("tokens signed with " + algorithm + " are not accepted; use RS256, ES256, EdDSA or HS256");
        }
        JWTClaimsSet claims;
        try {
            claims = JWSAlgorithm.Family.ED.contains(algorithm) ? verifyEdDsa(signed) : processor.process(signed, null);
        } catch (BadJWTException e) {
            throw refused(claimFailure(e.getMessage()));
        } catch (BadJWSException e) {
            throw refused("the token's signature does not verify");
        } catch (BadJOSEException | RateLimitReachedException e) {
            throw refused(NO_KEY);
        } catch (KeySourceException e) {
            throw refused("the identity provider's keys could not be fetched to check the token");
        } catch (JOSEException e) {
            throw refused("the token's signature could not be checked");
        } catch (ParseException e) {
            throw refused("the token's claims are not a JSON object");
        }
        return new Caller(role(claims), principal(claims.getSubject()));
    }

    /**
     * An EdDSA token: Nimbus's key selector hands its processor Java keys, and an Ed25519 key (an
     * octet key pair) has none, so here the key set is asked for the header's keys and each is
     * tried with Nimbus's Ed25519 verifier; then the same claim checks apply.
     */
    private JWTClaimsSet verifyEdDsa(SignedJWT jwt) throws BadJOSEException, JOSEException, ParseException {
        List<JWK> candidates = edDsaKeys
                .orElseThrow(() -> new BadJOSEException("no keys"))
                .get(new JWKSelector(JWKMatcher.forJWSHeader(jwt.getHeader())), null);
        if (candidates.isEmpty()) {
            throw new BadJOSEException("no matching key");
        }
        TYPES.verify(jwt.getHeader().getType(), null);
        for (JWK candidate : candidates) {
            if (candidate instanceof OctetKeyPair key && jwt.verify(new Ed25519Verifier(key.toPublicJWK()))) {
                JWTClaimsSet claims = jwt.getJWTClaimsSet();
                claimsVerifier.verify(claims, null);
                return claims;
            }
        }
        throw new BadJWSException("invalid signature");
    }

    /** Nimbus's claim checks, each in a client's words; its own words may quote claim values. */
    private static String claimFailure(String message) {
        String m = message == null ? "" : message.toLowerCase(Locale.ROOT);
        if (m.contains("expired")) {
            return "the token has expired";
        }
        if (m.contains("before use")) {
            return "the token is not valid yet (its nbf is in the future)";
        }
        if (m.contains("missing required")) {
            return "the token lacks a required claim: it must carry iss, aud, sub and exp";
        }
        if (m.contains("aud claim")) {
            return "the token is not for this server (wrong audience)";
        }
        if (m.contains("iss claim")) {
            return "the token is from another issuer";
        }
        return "the token's claims were refused";
    }

    /** The strongest role the claim names; none when it names none. */
    private Optional<Role> role(JWTClaimsSet claims) {
        Object value = claims.getClaim(rolesClaim);
        List<String> names;
        if (value instanceof String text) {
            names = List.of(text.trim().split("\\s+"));
        } else if (value instanceof List<?> list) {
            names = list.stream()
                    .filter(String.class::isInstance)
                    .map(String.class::cast)
                    .toList();
        } else {
            names = List.of();
        }
        Role strongest = null;
        for (String name : names) {
            for (Role role : Role.values()) {
                if (role.name().equalsIgnoreCase(name) && (strongest == null || role.allows(strongest))) {
                    strongest = role;
                }
            }
        }
        return Optional.ofNullable(strongest);
    }

    /** {@code jwt:} and the subject; a subject that is no printable label, by its fingerprint. */
    private static String principal(String subject) {
        String principal = "jwt:" + subject;
        if (Storable.labelProblem(principal).isEmpty() && principal.length() <= 200) {
            return principal;
        }
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(subject.getBytes(StandardCharsets.UTF_8));
            return "jwt-sha256:" + HexFormat.of().formatHex(hash, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static ApiException refused(String detail) {
        return new ApiException(401, "Unauthorized", detail);
    }

    private static DefaultJWTProcessor<SecurityContext> processor(
            Set<JWSAlgorithm> algorithms,
            JWKSource<SecurityContext> keys,
            DefaultJWTClaimsVerifier<SecurityContext> claims) {
        var processor = new DefaultJWTProcessor<SecurityContext>();
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(algorithms, keys));
        processor.setJWTClaimsSetVerifier(claims);
        processor.setJWSTypeVerifier(TYPES);
        return processor;
    }

    /**
     * The provider's keys, cached; fetched again when a token names a key id they lack, at most as
     * often as the rate limit lets through (a burst of unknown key ids costs the provider a couple
     * of fetches an interval, not one each); kept while the provider cannot be reached.
     */
    private JWKSource<SecurityContext> fetched(URI url, Duration refetchInterval) {
        try {
            return JWKSourceBuilder.<SecurityContext>create(url.toURL())
                    .cache(KEY_SET_LIFETIME.toMillis(), KEY_SET_FETCH_TIMEOUT.toMillis())
                    .rateLimited(refetchInterval.toMillis())
                    .outageTolerant(KEY_SET_OUTAGE_TOLERANCE.toMillis(), event -> logFetchFailure(url, event))
                    .build();
        } catch (MalformedURLException | IllegalArgumentException e) {
            throw new IllegalStateException("the JWT key set URL " + url + " is not a URL: " + e.getMessage(), e);
        }
    }

    /** One line a minute at most while the provider cannot be reached; the cached keys stay in use. */
    private void logFetchFailure(URI url, Event<?, SecurityContext> event) {
        long now = System.nanoTime();
        long last = lastFetchFailureLog.get();
        if (now - last >= FETCH_FAILURE_LOG_EVERY.toNanos() && lastFetchFailureLog.compareAndSet(last, now)) {
            String why =
                    event instanceof OutageTolerantJWKSetSource.OutageEvent<?> outage && outage.getException() != null
                            ? outage.getException().getMessage()
                            : "unreachable";
            log.warn("the JWT key set at {} could not be fetched; the keys fetched before stay in use: {}", url, why);
        }
    }

    private static JWKSource<SecurityContext> fixed(String jwkSetJson) {
        try {
            return new ImmutableJWKSet<>(JWKSet.parse(jwkSetJson).toPublicJWKSet());
        } catch (ParseException e) {
            throw new IllegalStateException("the JWT keys are not a JSON Web Key Set: " + e.getMessage(), e);
        }
    }

    /** Fetches the keys once now, so that a server that could verify no token fails at start. */
    private static void requireKeys(JWKSource<SecurityContext> source, JwtSettings settings) {
        String where = settings.jwksUrl().map(u -> "from " + u).orElse("given");
        try {
            if (source.get(new JWKSelector(new JWKMatcher.Builder().build()), null)
                    .isEmpty()) {
                throw new IllegalStateException("the JWT key set " + where + " holds no keys");
            }
        } catch (KeySourceException e) {
            throw new IllegalStateException("could not fetch the JWT key set " + where + ": " + e.getMessage(), e);
        }
    }
}
