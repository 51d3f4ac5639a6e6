package dev.jobs.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jobs.core.JobEngine;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Starting and stopping the server a host runs the API on. */
class JobsHttpServerTest {
    private final JobEngine engine = JobEngine.builder().build();
    private final JobsHttpApi api = JobsHttpApi.builder()
            .engine(engine)
            .token("admin-token-0123456789", Role.ADMIN)
            .build();

    @AfterEach
    void stop() {
        engine.close();
    }

    @Test
    void aPortInUseFailsAtOnceNamingTheAddressAndWhy() {
        try (var first = JobsHttpServer.start(api, new InetSocketAddress("127.0.0.1", 0))) {
            var taken = new InetSocketAddress("127.0.0.1", first.port());

            assertThatThrownBy(() -> JobsHttpServer.start(api, taken))
                    .isInstanceOf(UncheckedIOException.class)
                    .hasMessageContaining("could not listen on")
                    .hasMessageContaining(Integer.toString(first.port()))
                    .hasMessageContaining("in use");
        }
    }

    @Test
    void itListensOnTheAddressGiven() {
        try (var server = JobsHttpServer.start(api, new InetSocketAddress("127.0.0.1", 0))) {
            assertThat(server.address().getAddress().isLoopbackAddress()).isTrue();
            assertThat(server.address().getPort()).isEqualTo(server.port()).isPositive();
        }
    }
}
