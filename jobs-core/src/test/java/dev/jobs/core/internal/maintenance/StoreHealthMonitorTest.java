package dev.jobs.core.internal.maintenance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jobs.core.internal.JobMetrics;
import dev.jobs.core.spi.JobStore;
import dev.jobs.core.spi.StoreHealth;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class StoreHealthMonitorTest {
    private final AtomicReference<Optional<StoreHealth>> reported = new AtomicReference<>(Optional.empty());
    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-12-01T10:00:00Z"));
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final StoreHealthMonitor monitor = new StoreHealthMonitor(
            storeReporting(reported), Optional.of(new JobMetrics(registry)), clock(), Duration.ofSeconds(30));

    @Test
    void samplesTheStoresTablesAndOldestSnapshotIntoGauges() {
        reported.set(Optional.of(new StoreHealth(
                List.of(
                        new StoreHealth.Table("jobs_job_live", 81_920, 40, 1_200),
                        new StoreHealth.Table("jobs_job_history", 9_000_000, 100_000, 0)),
                Duration.ofSeconds(95),
                Optional.empty())));

        monitor.runOnce();

        assertThat(registry.get("jobs.store.table.size")
                        .tag("table", "jobs_job_history")
                        .gauge()
                        .value())
                .isEqualTo(9_000_000);
        assertThat(registry.get("jobs.store.table.rows.dead")
                        .tag("table", "jobs_job_live")
                        .gauge()
                        .value())
                .isEqualTo(1_200);
        assertThat(registry.get("jobs.store.table.rows.live")
                        .tag("table", "jobs_job_live")
                        .gauge()
                        .value())
                .isEqualTo(40);
        assertThat(registry.get("jobs.store.oldest.snapshot.age").gauge().value())
                .isEqualTo(95);
        assertThat(monitor.warnings()).isZero();
    }

    @Test
    void warnsWhenVacuumIsHeldBackThenEveryFewMinutesWhileItLasts() {
        reported.set(heldBack());
        monitor.runOnce();
        assertThat(monitor.warnings()).isEqualTo(1);

        now.set(now.get().plusSeconds(30));
        monitor.runOnce();
        assertThat(monitor.warnings()).as("no warning on every sample").isEqualTo(1);

        now.set(now.get().plus(StoreHealthMonitor.WARN_EVERY));
        monitor.runOnce();
        assertThat(monitor.warnings()).as("repeated while it lasts").isEqualTo(2);

        reported.set(Optional.of(new StoreHealth(List.of(), Duration.ZERO, Optional.empty())));
        monitor.runOnce();
        reported.set(heldBack());
        monitor.runOnce();
        assertThat(monitor.warnings()).as("a new hold-back warns at once").isEqualTo(3);
    }

    @Test
    void aStoreWithNothingToSayRegistersNoTableGauges() {
        monitor.runOnce();

        assertThat(registry.find("jobs.store.table.size").gauges()).isEmpty();
        assertThat(monitor.warnings()).isZero();
    }

    private static Optional<StoreHealth> heldBack() {
        return Optional.of(new StoreHealth(
                List.of(), Duration.ofMinutes(12), Optional.of("pid 42 (idle in transaction) holds a snapshot")));
    }

    private Clock clock() {
        return new Clock() {
            @Override
            public ZoneOffset getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now.get();
            }
        };
    }

    /** A store that only answers {@link JobStore#health()}; nothing else may be called. */
    private static JobStore storeReporting(AtomicReference<Optional<StoreHealth>> health) {
        return (JobStore) Proxy.newProxyInstance(
                JobStore.class.getClassLoader(), new Class<?>[] {JobStore.class}, (proxy, method, args) -> {
                    if (method.getName().equals("health")) {
                        return health.get();
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }
}
