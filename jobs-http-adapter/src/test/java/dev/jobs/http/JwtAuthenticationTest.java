package dev.jobs.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.Ed25519Signer;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.OctetKeyPairGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import dev.jobs.core.JobEngine;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * JSON Web Tokens from an identity provider whose key set is served on loopback, with keys made
 * here: each kind of key and role is accepted, and each attack and each failed check is a 401 that
 * says which check failed without echoing the token.
 */
class JwtAuthenticationTest {
    private static final String ISSUER = "https://id.test/realms/ops";
    private static final String AUDIENCE = "jobs";
    private static final String STATIC_ADMIN = "static-admin-token-0123456789";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final RSAKey rsa =
            generate(() -> new RSAKeyGenerator(2048).keyID("rsa-1").generate());
    private final ECKey ec =
            generate(() -> new ECKeyGenerator(Curve.P_256).keyID("ec-1").generate());
    private final OctetKeyPair ed = generate(
            () -> new OctetKeyPairGenerator(Curve.Ed25519).keyID("ed-1").generate());
    private final AtomicReference<JWKSet> served = new AtomicReference<>(new JWKSet(List.of(rsa, ec, ed)));
    private final AtomicInteger fetches = new AtomicInteger();
    private final JobEngine engine = JobEngine.builder().build();
    private HttpServer provider;
    private JobsHttpApi api;

    @BeforeEach
    void start() throws Exception {
        provider = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        provider.createContext("/jwks.json", exchange -> {
            fetches.incrementAndGet();
            byte[] body = served.get().toPublicJWKSet().toString().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        provider.start();
        api = JobsHttpApi.builder()
                .engine(engine)
                .token(STATIC_ADMIN, Role.ADMIN)
                .jwt(settings().build())
                .build();
    }

    @AfterEach
    void stop() {
        provider.stop(0);
        engine.close();
    }

    private JwtSettings.Builder settings() {
        return JwtSettings.builder()
                .jwksUrl(URI.create("http://127.0.0.1:" + provider.getAddress().getPort() + "/jwks.json"))
                .issuer(ISSUER)
                .audience(AUDIENCE);
    }

    @Test
    void eachKindOfKeyAndEachRoleIsAccepted() {
        assertThat(role(sign(rsa, JWSAlgorithm.RS256, claims("alice", "admin"))))
                .isEqualTo("admin");
        assertThat(role(sign(ec, JWSAlgorithm.ES256, claims("bob", "worker")))).isEqualTo("worker");
        assertThat(role(sign(ed, JWSAlgorithm.EdDSA, claims("carol", "read")))).isEqualTo("read");
        // The strongest role named wins; a scope-style string is read too.
        assertThat(role(sign(rsa, JWSAlgorithm.RS256, claims("dave", "read", "worker"))))
                .isEqualTo("worker");
        assertThat(fetches).as("the key set, fetched once at start").hasValue(1);
    }

    @Test
    void staticTokensKeepWorkingBesideJwts() {
        ApiResponse response = api.handle(request("GET", "/api/me", STATIC_ADMIN, Map.of()));
        assertThat(response.status()).isEqualTo(200);
        assertThat(body(response).path("role").asText()).isEqualTo("admin");
    }

    @Test
    void unsignedTokensAreRefused() {
        String none = new PlainJWT(claims("mallory", "admin").build()).serialize();
        assertRefused(none, "alg none");
    }

    @Test
    void anHs256TokenSignedWithThePublicKeyIsRefused() throws Exception {
        byte[] publicKey = rsa.toRSAPublicKey().getEncoded();
        String forged = sign(new MACSigner(publicKey), JWSAlgorithm.HS256, null, claims("mallory", "admin"));
        assertRefused(forged, "HS256");
    }

    @Test
    void expiredAndNotYetValidTokensAreRefused() {
        Instant now = Instant.now();
        assertRefused(
                sign(
                        rsa,
                        JWSAlgorithm.RS256,
                        claims("alice", "admin").expirationTime(Date.from(now.minusSeconds(600)))),
                "expired");
        assertRefused(
                sign(rsa, JWSAlgorithm.RS256, claims("alice", "admin").notBeforeTime(Date.from(now.plusSeconds(600)))),
                "not valid yet");
    }

    @Test
    void anotherIssuerOrAudienceIsRefused() {
        assertRefused(sign(rsa, JWSAlgorithm.RS256, claims("alice", "admin").issuer("https://evil.test")), "issuer");
        assertRefused(sign(rsa, JWSAlgorithm.RS256, claims("alice", "admin").audience("other")), "audience");
    }

    @Test
    void anUnknownKeyIdIsFetchedForAtMostTwiceAnIntervalThenRefused() throws Exception {
        RSAKey stranger = new RSAKeyGenerator(2048).keyID("not-served").generate();
        for (int i = 0; i < 20; i++) {
            assertRefused(sign(stranger, JWSAlgorithm.RS256, claims("mallory", "admin")), "no key");
        }
        // Once at start; then the rate limit lets through at most two fetches an interval, however
        // many tokens name key ids the set lacks.
        assertThat(fetches.get()).isBetween(2, 3);
    }

    @Test
    void aTamperedPayloadIsRefused() {
        String token = sign(rsa, JWSAlgorithm.RS256, claims("alice", "read"));
        String[] parts = token.split("\\.");
        String payload = new String(Base64URL.from(parts[1]).decode(), StandardCharsets.UTF_8);
        assertThat(payload).contains("\"read\"");
        String raised = Base64URL.encode(
                        payload.replace("\"read\"", "\"admin\"").getBytes(StandardCharsets.UTF_8))
                .toString();
        assertRefused(parts[0] + "." + raised + "." + parts[2], "signature");
    }

    @Test
    void aTokenInTheQueryStringIsNotAccepted() {
        String token = sign(rsa, JWSAlgorithm.RS256, claims("alice", "admin"));
        ApiResponse response = api.handle(request("GET", "/api/me", null, Map.of("access_token", List.of(token))));
        assertThat(response.status()).isEqualTo(401);
        assertThat(new String(response.body(), StandardCharsets.UTF_8)).doesNotContain(token);
    }

    @Test
    void aTokenWithoutARoleIsForbidden() {
        ApiResponse response =
                api.handle(request("GET", "/api/me", sign(rsa, JWSAlgorithm.RS256, claims("alice")), Map.of()));
        assertThat(response.status()).isEqualTo(403);
        assertThat(body(response).path("detail").asText()).contains("roles");
    }

    @Test
    void aRotatedKeyIsFetchedAndUsedWithoutARestart() throws Exception {
        RSAKey next = new RSAKeyGenerator(2048).keyID("rsa-2").generate();
        served.set(new JWKSet(List.of(next, ec, ed)));
        assertThat(role(sign(next, JWSAlgorithm.RS256, claims("alice", "admin"))))
                .isEqualTo("admin");
        assertThat(fetches).hasValue(2);
    }

    @Test
    void theSubjectIsTheCallerAWorkerIdIsBoundTo() {
        String aliceOne = sign(rsa, JWSAlgorithm.RS256, claims("alice", "worker"));
        String aliceTwo = sign(ec, JWSAlgorithm.ES256, claims("alice", "worker"));
        String bob = sign(rsa, JWSAlgorithm.RS256, claims("bob", "worker"));
        String acquire = "{\"workerId\":\"w-1\",\"queues\":[\"default\"]}";

        assertThat(api.handle(post("/api/jobs/acquire", aliceOne, acquire)).status())
                .isEqualTo(200);
        // Another token of the same subject holds the same worker id; another subject does not.
        assertThat(api.handle(post("/api/jobs/acquire", aliceTwo, acquire)).status())
                .isEqualTo(200);
        ApiResponse taken = api.handle(post("/api/jobs/acquire", bob, acquire));
        assertThat(taken.status()).isEqualTo(409);
    }

    @Test
    void anHs256TokenIsAcceptedWithASharedSecret() throws Exception {
        byte[] secret = "a shared secret of thirty-two bytes or more".getBytes(StandardCharsets.UTF_8);
        var withSecret = JobsHttpApi.builder()
                .engine(engine)
                .jwt(settings().hmacSecret(secret).build())
                .build();
        String token = sign(new MACSigner(secret), JWSAlgorithm.HS256, null, claims("alice", "admin"));
        ApiResponse response = withSecret.handle(request("GET", "/api/me", token, Map.of()));
        assertThat(response.status()).isEqualTo(200);
    }

    @Test
    void aKeySetThatCannotBeFetchedAtStartStopsTheBuild() {
        var unreachable = JwtSettings.builder()
                .jwksUrl(URI.create("http://127.0.0.1:1/jwks.json"))
                .issuer(ISSUER)
                .audience(AUDIENCE)
                .build();
        assertThatThrownBy(() ->
                        JobsHttpApi.builder().engine(engine).jwt(unreachable).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("could not fetch the JWT key set from http://127.0.0.1:1/jwks.json");
    }

    // ---- helpers ----

    private void assertRefused(String token, String saying) {
        ApiResponse response = api.handle(request("GET", "/api/me", token, Map.of()));
        String text = new String(response.body(), StandardCharsets.UTF_8);
        assertThat(response.status()).as(text).isEqualTo(401);
        assertThat(response.contentType()).isEqualTo("application/problem+json");
        assertThat(body(response).path("detail").asText()).as(text).contains(saying);
        assertThat(text).doesNotContain(token).doesNotContain(token.split("\\.")[0]);
    }

    private String role(String token) {
        ApiResponse response = api.handle(request("GET", "/api/me", token, Map.of()));
        assertThat(response.status())
                .as(new String(response.body(), StandardCharsets.UTF_8))
                .isEqualTo(200);
        return body(response).path("role").asText();
    }

    private static JWTClaimsSet.Builder claims(String subject, String... roles) {
        var claims = new JWTClaimsSet.Builder()
                .issuer(ISSUER)
                .audience(AUDIENCE)
                .subject(subject)
                .expirationTime(Date.from(Instant.now().plus(Duration.ofMinutes(5))));
        return roles.length == 0 ? claims : claims.claim("roles", List.of(roles));
    }

    private static String sign(JWK key, JWSAlgorithm algorithm, JWTClaimsSet.Builder claims) {
        try {
            JWSSigner signer = switch (key) {
                case RSAKey r -> new RSASSASigner(r);
                case ECKey e -> new ECDSASigner(e);
                case OctetKeyPair o -> new Ed25519Signer(o);
                default -> throw new IllegalArgumentException(key.getKeyType().toString());
            };
            return sign(signer, algorithm, key.getKeyID(), claims);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sign(JWSSigner signer, JWSAlgorithm algorithm, String keyId, JWTClaimsSet.Builder claims) {
        try {
            var header = new JWSHeader.Builder(algorithm)
                    .keyID(keyId)
                    .type(JOSEObjectType.JWT)
                    .build();
            var jwt = new SignedJWT(header, claims.build());
            jwt.sign(signer);
            return jwt.serialize();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static ApiRequest request(String method, String path, String token, Map<String, List<String>> query) {
        Map<String, List<String>> headers =
                token == null ? Map.of() : Map.of("Authorization", List.of("Bearer " + token));
        return new ApiRequest(method, path, query, headers, new byte[0], "127.0.0.1");
    }

    private static ApiRequest post(String path, String token, String body) {
        return new ApiRequest(
                "POST",
                path,
                Map.of(),
                Map.of("Authorization", List.of("Bearer " + token), "Content-Type", List.of("application/json")),
                body.getBytes(StandardCharsets.UTF_8),
                "127.0.0.1");
    }

    private static JsonNode body(ApiResponse response) {
        try {
            return JSON.readTree(response.body());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private interface KeyMaker<K> {
        K make() throws Exception;
    }

    private static <K> K generate(KeyMaker<K> maker) {
        try {
            return maker.make();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
