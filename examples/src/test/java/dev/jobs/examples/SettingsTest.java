package dev.jobs.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Settings come from the environment or flags, and a bad one is one line naming it. */
class SettingsTest {
    @Test
    void defaultsAreTheEmbeddedServerOnPort8080() throws Exception {
        Settings settings = Settings.parse(List.of(), Map.of());

        assertThat(settings.httpPort()).isEqualTo(8080);
        assertThat(settings.httpHost()).as("this machine only").isEqualTo("127.0.0.1");
        assertThat(settings.jdbcUrl()).isEmpty();
        assertThat(settings.redisUrl()).isEmpty();
        assertThat(settings.dataDir()).isEqualTo(Path.of("data").toAbsolutePath());
        assertThat(settings.workers()).isEqualTo(Settings.DEFAULT_WORKERS);
        assertThat(settings.apiToken()).isEmpty();
        assertThat(settings.demo()).isFalse();
    }

    @Test
    void flagsWinOverTheEnvironmentInBothSpellings() throws Exception {
        Settings settings = Settings.parse(
                List.of("--http-port=9000", "--workers", "0", "--demo", "--redis-url=redis://cache:6379"),
                Map.of(
                        "JOBS_HTTP_PORT",
                        "7000",
                        "JOBS_JDBC_URL",
                        "jdbc:postgresql://db/jobs",
                        "JOBS_JDBC_USER",
                        "app"));

        assertThat(settings.httpPort()).isEqualTo(9000);
        assertThat(settings.workers()).isZero();
        assertThat(settings.demo()).isTrue();
        assertThat(settings.jdbcUrl()).hasValue("jdbc:postgresql://db/jobs");
        assertThat(settings.jdbcUser()).isEqualTo("app");
        assertThat(settings.redisUrl()).hasValue("redis://cache:6379");
    }

    @Test
    void theListeningAddressIsAHostNameOrAnIpAddress() throws Exception {
        assertThat(Settings.parse(List.of("--http-host=0.0.0.0"), Map.of()).httpHost())
                .isEqualTo("0.0.0.0");
        assertThat(Settings.parse(List.of(), Map.of("JOBS_HTTP_HOST", "[::1]")).httpHost())
                .isEqualTo("::1");
        assertThat(Settings.parse(List.of(), Map.of("JOBS_HTTP_HOST", "jobs.internal"))
                        .httpHost())
                .isEqualTo("jobs.internal");
    }

    @Test
    void eachBadSettingIsNamedWithWhatIsAllowed() {
        assertThatThrownBy(() -> Settings.parse(List.of(), Map.of("JOBS_HTTP_PORT", "eighty")))
                .hasMessage("JOBS_HTTP_PORT must be a whole number 0 to 65535, was 'eighty'");
        assertThatThrownBy(() -> Settings.parse(List.of(), Map.of("JOBS_HTTP_HOST", "localhost:8080")))
                .hasMessageStartingWith("JOBS_HTTP_HOST must be a host name or an IP address to listen on")
                .hasMessageEndingWith("was 'localhost:8080'");
        assertThatThrownBy(() -> Settings.parse(List.of("--http-host=http://x"), Map.of()))
                .hasMessageStartingWith("JOBS_HTTP_HOST must be");
        assertThatThrownBy(() -> Settings.parse(List.of("--workers=-1"), Map.of()))
                .hasMessageStartingWith("JOBS_WORKERS must be a whole number 0 to 1000");
        assertThatThrownBy(() -> Settings.parse(List.of(), Map.of("JOBS_API_TOKEN", "short")))
                .hasMessageStartingWith("JOBS_API_TOKEN must be at least 16 characters");
        assertThatThrownBy(() -> Settings.parse(List.of(), Map.of("JOBS_JDBC_URL", "postgres://db")))
                .hasMessageStartingWith("JOBS_JDBC_URL must be a PostgreSQL, MariaDB/MySQL or H2 JDBC URL");
        assertThatThrownBy(() -> Settings.parse(List.of(), Map.of("JOBS_JDBC_USER", "app")))
                .hasMessageContaining("go with JOBS_JDBC_URL");
        assertThatThrownBy(() -> Settings.parse(List.of(), Map.of("JOBS_REDIS_URL", "localhost:6379")))
                .hasMessage("JOBS_REDIS_URL must be a Redis URL starting with one of [redis://, rediss://,"
                        + " redis-sentinel://] (as in redis://localhost:6379), was 'localhost:6379'");
        assertThatThrownBy(() -> Settings.parse(List.of("--port=1"), Map.of()))
                .hasMessageStartingWith("unknown option '--port=1'")
                .hasMessageContaining("JOBS_HTTP_PORT / --http-port");
        assertThatThrownBy(() -> Settings.parse(List.of("--data-dir"), Map.of()))
                .hasMessage("--data-dir needs a value, as in --data-dir=...");
        assertThatThrownBy(() -> Settings.parse(List.of(), Map.of("JOBS_JWT_JWKS_URL", "id.example.com/keys")))
                .hasMessageStartingWith("JOBS_JWT_JWKS_URL must be the identity provider's key set URL");
        assertThatThrownBy(() -> Settings.parse(
                        List.of(), Map.of("JOBS_JWT_JWKS_URL", "https://id.example.com/keys", "JOBS_JWT_ISSUER", "x")))
                .hasMessageStartingWith("JOBS_JWT_AUDIENCE is required with JOBS_JWT_JWKS_URL");
        assertThatThrownBy(() -> Settings.parse(List.of(), Map.of("JOBS_JWT_AUDIENCE", "jobs")))
                .hasMessage("JOBS_JWT_AUDIENCE goes with JOBS_JWT_JWKS_URL, which is not set");
    }

    @Test
    void jwtSettingsComeTogether() throws Exception {
        Settings settings = Settings.parse(
                List.of("--jwt-audience=jobs"),
                Map.of(
                        "JOBS_JWT_JWKS_URL",
                        "https://id.example.com/certs",
                        "JOBS_JWT_ISSUER",
                        "https://id.example.com"));

        assertThat(settings.jwt())
                .contains(new Settings.Jwt(
                        java.net.URI.create("https://id.example.com/certs"),
                        "https://id.example.com",
                        "jobs",
                        "roles"));
        assertThat(Settings.parse(List.of(), Map.of()).jwt()).isEmpty();
    }
}
