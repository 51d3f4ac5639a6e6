package dev.jobs.core.spi;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jobs.core.Job;
import dev.jobs.core.JobState;
import dev.jobs.core.spi.support.JobTransitions;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * One successful attempt in a batch of completions ({@link JobStore#completeAll}).
 *
 * <p>{@code running} is the job as the worker holding its lease last saw it: as acquired, or as
 * returned by its last progress report. While that lease holds, nothing but heartbeats, progress
 * and a cancellation request can change the job, so a store may derive the success from this
 * snapshot ({@link JobTransitions#succeeded}) and write it with one conditional update, instead of
 * reading the row first. The lease token fences it as always.
 *
 * @param running the job under the lease that ran it
 * @param result the handler's result
 */
public record Completion(Job running, Optional<JsonNode> result) {
    public Completion {
        Objects.requireNonNull(running, "running");
        Objects.requireNonNull(result, "result");
        if (running.state() != JobState.RUNNING || running.leaseToken().isEmpty()) {
            throw new IllegalArgumentException("a completion needs the job as it runs under its lease, not "
                    + running.state() + " job " + running.id());
        }
    }

    public UUID jobId() {
        return running.id();
    }

    public UUID leaseToken() {
        return running.leaseToken().orElseThrow();
    }
}
