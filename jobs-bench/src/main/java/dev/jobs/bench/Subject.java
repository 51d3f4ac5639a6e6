package dev.jobs.bench;

import java.time.Duration;

/**
 * A job system the scenarios measure: our engine on one store, or a peer. Each call starts from
 * empty tables (or an empty Redis) and leaves nothing running. Jobs are no-ops: what is measured is
 * the engine, not the work.
 */
interface Subject {

    /** How the report names it, e.g. {@code jobs · PostgreSQL}. */
    String name();

    /** The one of ours it is compared with, or empty for ours. */
    default String comparedWith() {
        return "";
    }

    /** Creates {@code jobs} jobs in batches of {@code batchSize}, as fast as it can; the time it took. */
    Duration enqueueBatched(int jobs, int batchSize) throws Exception;

    /** Creates {@code jobs} jobs one call (and commit) each, from {@code threads} threads at once. */
    Duration enqueueSingly(int jobs, int threads) throws Exception;

    /**
     * Creates {@code jobs} jobs (not timed), then starts {@code workers} workers and times them until
     * every job is recorded as done in the store.
     */
    Duration drain(int jobs, int workers) throws Exception;

    /**
     * With an idle worker running on one instance, another instance creates {@code jobs} jobs at a
     * steady {@code perSecond}; returns the time from each create call to its handler starting. The
     * first tenth warm the system up and are not counted.
     */
    Latencies latency(int jobs, int perSecond) throws Exception;
}
