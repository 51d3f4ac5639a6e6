package dev.jobs.core;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One page of a listing.
 *
 * @param jobs the jobs, newest first
 * @param nextCursor pass to {@link JobQuery#withCursor} for the next page; empty on the last page
 */
public record JobPage(List<Job> jobs, Optional<String> nextCursor) {
    public JobPage {
        jobs = List.copyOf(jobs);
        Objects.requireNonNull(nextCursor, "nextCursor");
    }
}
