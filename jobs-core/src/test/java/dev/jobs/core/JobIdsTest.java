package dev.jobs.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jobs.core.spi.support.JobIds;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class JobIdsTest {

    @Test
    void idsAreVersion7AndStrictlyIncreasingEvenWithinOneMillisecond() {
        var ids = new JobIds(Clock.fixed(Instant.parse("2030-01-01T00:00:00Z"), ZoneOffset.UTC));
        var made = new ArrayList<UUID>();
        for (int i = 0; i < 10_000; i++) {
            made.add(ids.next());
        }
        for (int i = 1; i < made.size(); i++) {
            assertThat(JobIds.ORDER.compare(made.get(i - 1), made.get(i))).isNegative();
        }
        assertThat(made).allSatisfy(id -> {
            assertThat(id.version()).isEqualTo(7);
            assertThat(id.variant()).isEqualTo(2);
        });
    }

    @Test
    void idsCarryTheirMillisecond() {
        Instant at = Instant.parse("2031-05-06T07:08:09.123Z");
        UUID id = new JobIds(Clock.fixed(at, ZoneOffset.UTC)).next();
        assertThat(id.getMostSignificantBits() >>> 16).isEqualTo(at.toEpochMilli());
    }
}
