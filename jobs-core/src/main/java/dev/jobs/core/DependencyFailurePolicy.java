package dev.jobs.core;

/** What happens to a job when one of the jobs it depends on fails or is cancelled. */
public enum DependencyFailurePolicy {
    /** Cancel this job, and transitively every job that waits on it with the same policy. */
    CANCEL,
    /** Run this job anyway once every dependency has finished, whatever their outcome. */
    RUN
}
