package dev.jobs.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the example server keeps secret: the data directory, the H2 database and the token file are
 * the owner's alone from their creation, the admin token is printed only the once it is made, and
 * a server nobody configured listens on the loopback address only.
 */
class ExampleServerSecretsTest {
    @TempDir
    Path parent;

    private ExampleServer start(Path dataDir, Map<String, String> environment) throws Exception {
        return ExampleServer.start(
                Settings.parse(List.of("--data-dir=" + dataDir, "--http-port=0", "--workers=0"), environment));
    }

    @Test
    void theDataIsTheOwnersAloneAndTheTokenIsPrintedOnlyWhenItIsMade() throws Exception {
        Path dataDir = parent.resolve("data");
        String token;
        try (ExampleServer server = start(dataDir, Map.of())) {
            token = server.apiToken();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dataDir)))
                    .isEqualTo("rwx------");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dataDir.resolve("api-token"))))
                    .isEqualTo("rw-------");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dataDir.resolve("jobs.mv.db"))))
                    .isEqualTo("rw-------");
            assertThat(Files.readString(dataDir.resolve("api-token")).trim()).isEqualTo(token);
            assertThat(server.banner()).contains(token).contains("not printed again");
        }
        try (Stream<Path> files = Files.list(dataDir)) {
            assertThat(files.toList())
                    .as("every file the server and H2 left in the data directory")
                    .isNotEmpty()
                    .allSatisfy(file -> assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                            .as(file.toString())
                            .endsWith("------"));
        }

        try (ExampleServer again = start(dataDir, Map.of())) {
            assertThat(again.apiToken()).isEqualTo(token);
            assertThat(again.banner()).doesNotContain(token).contains("in " + dataDir.resolve("api-token"));
        }

        String given = "given-token-0123456789";
        try (ExampleServer withGiven = start(parent.resolve("other"), Map.of("JOBS_API_TOKEN", given))) {
            assertThat(withGiven.apiToken()).isEqualTo(given);
            assertThat(withGiven.banner()).doesNotContain(given).contains("JOBS_API_TOKEN");
            assertThat(parent.resolve("other").resolve("api-token")).doesNotExist();
        }
    }

    @Test
    void anUnconfiguredServerListensOnTheLoopbackAddressOnly() throws Exception {
        try (ExampleServer server = start(parent.resolve("data"), Map.of())) {
            assertThat(server.address().getAddress().isLoopbackAddress()).isTrue();
            assertThat(server.banner()).contains("this machine only; set JOBS_HTTP_HOST=0.0.0.0");
            var health = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/health"))
                                    .build(),
                            BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
        }
        try (ExampleServer everywhere = start(parent.resolve("data"), Map.of("JOBS_HTTP_HOST", "0.0.0.0"))) {
            assertThat(everywhere.address().getAddress().isAnyLocalAddress()).isTrue();
            assertThat(everywhere.banner()).contains("keep the token secret");
        }
    }
}
