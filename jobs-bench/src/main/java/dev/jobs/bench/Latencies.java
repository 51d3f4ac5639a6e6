package dev.jobs.bench;

import java.time.Duration;
import org.HdrHistogram.Histogram;

/** Percentiles of enqueue→start times, in milliseconds. */
record Latencies(long count, double p50, double p95, double p99, double max) {

    /** From a histogram of nanoseconds. */
    static Latencies of(Histogram nanos) {
        return new Latencies(
                nanos.getTotalCount(),
                millis(nanos.getValueAtPercentile(50)),
                millis(nanos.getValueAtPercentile(95)),
                millis(nanos.getValueAtPercentile(99)),
                millis(nanos.getMaxValue()));
    }

    /** A histogram for enqueue→start times from a microsecond to a minute, at three significant digits. */
    static Histogram histogram() {
        return new Histogram(1_000, Duration.ofMinutes(1).toNanos(), 3);
    }

    private static double millis(long nanos) {
        return nanos / 1_000_000.0;
    }
}
