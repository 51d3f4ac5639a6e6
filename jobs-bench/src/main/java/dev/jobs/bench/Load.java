package dev.jobs.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/** How the Java subjects drive a system: calls in parallel, at a steady rate, and the waits. */
final class Load {
    /** Longest any one measurement may take before the benchmark gives up on it. */
    static final Duration PATIENCE = Duration.ofMinutes(10);

    private Load() {}

    /** A call that may throw, made with its index. */
    @FunctionalInterface
    interface Call {
        void make(int index) throws Exception;
    }

    /** Makes {@code calls} calls from {@code threads} threads at once; the time they all took. */
    static Duration concurrently(int calls, int threads, Call call) throws Exception {
        try (ExecutorService callers = Executors.newFixedThreadPool(threads)) {
            var next = new AtomicInteger();
            var lanes = new ArrayList<Future<?>>();
            long start = System.nanoTime();
            for (int t = 0; t < threads; t++) {
                lanes.add(callers.submit(() -> {
                    for (int i = next.getAndIncrement(); i < calls; i = next.getAndIncrement()) {
                        call.make(i);
                    }
                    return null;
                }));
            }
            for (Future<?> lane : lanes) {
                lane.get();
            }
            return Duration.ofNanos(System.nanoTime() - start);
        }
    }

    /** Makes {@code calls} calls at a steady {@code perSecond}, each at its slot in time. */
    static void paced(int calls, int perSecond, Call call) throws Exception {
        long period = 1_000_000_000L / perSecond;
        long slot = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            LockSupport.parkNanos(slot - System.nanoTime());
            slot += period;
            call.make(i);
        }
    }

    /** Waits for a latch, failing the run if it takes longer than {@link #PATIENCE}. */
    static void await(CountDownLatch latch, String what) throws InterruptedException {
        if (!latch.await(PATIENCE.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException(latch.getCount() + " " + what + " after " + PATIENCE);
        }
    }

    /** A connection pool on one of the servers, as the peers are given one. */
    static HikariDataSource pool(Servers.Database db, int size, String name) {
        var config = new HikariConfig();
        config.setJdbcUrl(db.url());
        config.setUsername(db.user());
        config.setPassword(db.password());
        config.setMaximumPoolSize(size);
        config.setPoolName(name);
        return new HikariDataSource(config);
    }

    /**
     * Enqueue→start times of a latency run, from handlers on any thread. The first tenth of the jobs
     * warm the system up and are not counted.
     */
    static final class LatencyRecorder {
        private final Histogram nanos = Latencies.histogram();
        private final CountDownLatch started;
        private final int warmUp;
        private final AtomicInteger seen = new AtomicInteger();

        LatencyRecorder(int jobs) {
            this.started = new CountDownLatch(jobs);
            this.warmUp = jobs / 10;
        }

        /** A job enqueued at {@code sentAtNanos} ({@link System#nanoTime()}) has started. */
        void started(long sentAtNanos) {
            long took = System.nanoTime() - sentAtNanos;
            if (seen.getAndIncrement() >= warmUp) {
                synchronized (nanos) {
                    nanos.recordValue(took);
                }
            }
            started.countDown();
        }

        /** Waits until every job has started, then gives the percentiles. */
        Latencies await() throws InterruptedException {
            Load.await(started, "jobs had not started");
            synchronized (nanos) {
                return Latencies.of(nanos);
            }
        }
    }
}
