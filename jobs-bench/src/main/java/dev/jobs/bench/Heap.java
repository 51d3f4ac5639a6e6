package dev.jobs.bench;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/** The JVM's used heap after collections, for the memory scenario. */
final class Heap {
    private Heap() {}

    /** Used heap, in bytes, once repeated full collections stop freeing more than a mebibyte. */
    static long usedAfterGc() {
        long used = Long.MAX_VALUE;
        for (int round = 0; round < 10; round++) {
            System.gc();
            LockSupport.parkNanos(Duration.ofMillis(200).toNanos()); // let reference processing finish
            long now = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            if (Math.abs(used - now) < 1024 * 1024) {
                return now;
            }
            used = now;
        }
        return used;
    }

    /** Lets an idle engine run its loops a while (poll, listen, report) before it is weighed. */
    static void settle() {
        LockSupport.parkNanos(Duration.ofSeconds(5).toNanos());
    }

    static double mib(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }
}
