package dev.jobs.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * CPU time spent by this JVM and by local server processes (PostgreSQL, MariaDB, Redis, Node),
 * read from {@code /proc} where there is one. On a shared two-core machine wall-clock figures
 * swing by a fifth between runs; CPU time per job says where the work goes.
 */
final class CpuMeter {
    private static final long TICKS_PER_SECOND = 100; // USER_HZ on Linux

    /** CPU nanoseconds of this JVM and of the servers, at one instant. */
    record Reading(long jvmNanos, long serverNanos) {
        /** Microseconds per job of each between two readings. */
        String perJob(Reading later, int jobs) {
            return String.format(
                    "CPU per job: JVM %.0f µs, servers %.0f µs",
                    (later.jvmNanos - jvmNanos) / 1e3 / jobs, (later.serverNanos - serverNanos) / 1e3 / jobs);
        }
    }

    private CpuMeter() {}

    static Reading read() {
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        return new Reading(os.getProcessCpuTime(), serverNanos());
    }

    /** Processes that exit in between (a closed connection's backend) drop out: a small undercount. */
    private static long serverNanos() {
        Path proc = Path.of("/proc");
        if (!Files.isDirectory(proc)) {
            return 0;
        }
        long ticks = 0;
        try (Stream<Path> entries = Files.list(proc)) {
            for (Path entry : entries.filter(
                            p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
                    .toList()) {
                ticks += serverTicks(entry);
            }
        } catch (IOException e) {
            return 0;
        }
        return ticks * 1_000_000_000L / TICKS_PER_SECOND;
    }

    private static long serverTicks(Path process) {
        try {
            String name = Files.readString(process.resolve("comm")).trim();
            if (!(name.equals("postgres")
                    || name.equals("mariadbd")
                    || name.startsWith("redis-server")
                    || name.equals("node"))) {
                return 0;
            }
            String stat = Files.readString(process.resolve("stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime
        } catch (IOException | RuntimeException e) {
            return 0; // gone, or not ours to read
        }
    }
}
