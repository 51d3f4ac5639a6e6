package dev.jobs.bench;

import java.util.function.LongConsumer;

/**
 * The jobs JobRunr runs in the benchmarks. JobRunr calls public static methods of a public class by
 * reflection, so they live here and report to static hooks that {@link JobRunrSubject} sets.
 */
public final class JobRunrJobs {
    static volatile Runnable onNoop = () -> {};
    static volatile LongConsumer onLatency = sentAt -> {};

    private JobRunrJobs() {}

    /** A no-op that counts. */
    public static void noop() {
        onNoop.run();
    }

    /** The batch-enqueued form of {@link #noop()}, which JobRunr calls with the stream's item. */
    public static void noop(int item) {
        onNoop.run();
    }

    /** The latency job: reports when it was enqueued. */
    public static void started(long sentAt) {
        onLatency.accept(sentAt);
    }
}
