package dev.jobs.http.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class FairShareTest {
    private final FairShare share =
            new FairShare("streams", 256, "maxStreams", 64, "maxStreamsPerToken", Duration.ofSeconds(2));

    @Test
    void manyTakingAtOnceGetExactlyTheShareThereIs() throws Exception {
        var permits = new ConcurrentLinkedQueue<FairShare.Permit>();
        var refused = new AtomicInteger();
        var start = new CountDownLatch(1);
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 300; i++) {
                String token = "token-" + (i % 5); // 60 each: within every token's share
                threads.submit(() -> {
                    start.await();
                    try {
                        permits.add(share.take(token));
                    } catch (ApiException e) {
                        assertThat(e.status()).isEqualTo(503);
                        refused.incrementAndGet();
                    }
                    return null;
                });
            }
            start.countDown();
        }
        assertThat(permits).hasSize(256);
        assertThat(refused).hasValue(44);
        assertThat(share.total()).isEqualTo(256);
        permits.forEach(FairShare.Permit::close);
        assertThat(share.total()).isZero();
    }

    @Test
    void oneTokenGetsItsShareAndThenA429NamingTheSetting() {
        List<FairShare.Permit> mine = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            mine.add(share.take("greedy"));
        }
        assertThatThrownBy(() -> share.take("greedy")).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.status()).isEqualTo(429);
            assertThat(e.getMessage()).contains("64").contains("maxStreamsPerToken");
            assertThat(e.headers()).containsEntry("Retry-After", "2");
        });
        // Another token still gets its own.
        share.take("other").close();
        mine.get(0).close();
        share.take("greedy").close();
    }

    @Test
    void aPermitClosedTwiceIsGivenBackOnce() {
        FairShare.Permit permit = share.take("t");
        share.take("t");
        permit.close();
        permit.close();
        assertThat(share.total()).isEqualTo(1);
    }
}
