package dev.jobs.core.spi;

import dev.jobs.core.Job;
import java.time.Instant;
import java.util.Optional;

/** Decides what a job whose lease lapsed, or whose worker died, does next. */
@FunctionalInterface
public interface LapsedLeasePolicy {
    /** The instant to retry at, or empty to fail the job for good. */
    Optional<Instant> retryAt(Job lapsed);
}
