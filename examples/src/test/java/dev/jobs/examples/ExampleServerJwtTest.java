package dev.jobs.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The example server set up for JWTs through its environment, against a key set on loopback. */
class ExampleServerJwtTest {
    private static final String ISSUER = "https://id.test/realms/ops";

    @TempDir
    Path dataDir;

    private final RSAKey key;
    private HttpServer provider;

    ExampleServerJwtTest() throws Exception {
        key = new RSAKeyGenerator(2048).keyID("ops-1").generate();
    }

    @BeforeEach
    void serveKeys() throws Exception {
        provider = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        provider.createContext("/certs", exchange -> {
            byte[] body = new JWKSet(key.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        provider.start();
    }

    @AfterEach
    void stop() {
        provider.stop(0);
    }

    @Test
    void aTokenFromTheConfiguredProviderIsAcceptedWithTheRoleItNames() throws Exception {
        Map<String, String> environment = Map.of(
                "JOBS_JWT_JWKS_URL",
                "http://127.0.0.1:" + provider.getAddress().getPort() + "/certs",
                "JOBS_JWT_ISSUER",
                ISSUER,
                "JOBS_JWT_AUDIENCE",
                "jobs",
                "JOBS_JWT_ROLES_CLAIM",
                "scope");
        try (ExampleServer server = ExampleServer.start(
                Settings.parse(List.of("--data-dir=" + dataDir, "--http-port=0", "--workers=0"), environment))) {
            assertThat(server.banner()).contains("JWTs:").contains(ISSUER);
            var claims = new JWTClaimsSet.Builder()
                    .issuer(ISSUER)
                    .audience("jobs")
                    .subject("worker-7")
                    .claim("scope", "openid worker")
                    .expirationTime(Date.from(Instant.now().plus(Duration.ofMinutes(5))))
                    .build();
            var jwt = new SignedJWT(
                    new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("ops-1").build(), claims);
            jwt.sign(new RSASSASigner(key));

            var me = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/me"))
                                    .header("Authorization", "Bearer " + jwt.serialize())
                                    .build(),
                            BodyHandlers.ofString());
            assertThat(me.statusCode()).as(me.body()).isEqualTo(200);
            assertThat(me.body()).contains("\"role\":\"worker\"");
        }
    }

    @Test
    void aKeySetThatCannotBeFetchedStopsTheStartSayingWhere() {
        Map<String, String> environment = Map.of(
                "JOBS_JWT_JWKS_URL", "http://127.0.0.1:1/certs",
                "JOBS_JWT_ISSUER", ISSUER,
                "JOBS_JWT_AUDIENCE", "jobs");
        assertThatThrownBy(() -> ExampleServer.start(
                        Settings.parse(List.of("--data-dir=" + dataDir, "--http-port=0", "--workers=0"), environment)))
                .hasMessageContaining("could not fetch the JWT key set from http://127.0.0.1:1/certs");
    }
}
