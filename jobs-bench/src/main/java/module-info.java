/**
 * The benchmarks behind BENCHMARKS.md: this engine on each of its stores, and the engines it is
 * measured against. An application module, exporting nothing; it runs shaded into one jar.
 */
module dev.jobs.bench {
    // JobRunr finds and calls the benchmark's jobs reflectively; Jackson writes the figures.
    opens dev.jobs.bench to
            org.jobrunr.core,
            com.fasterxml.jackson.databind;

    requires dev.jobs.core;
    requires dev.jobs.queue.redis;
    requires dev.jobs.store.jdbc;
    requires com.github.kagkarlsson.scheduler;
    requires com.zaxxer.hikari;
    requires java.desktop;
    requires java.management;
    requires jdk.management;
    requires lettuce.core;
    requires org.jfree.jfreechart;
    requires org.jobrunr.core;
    requires HdrHistogram;
}
