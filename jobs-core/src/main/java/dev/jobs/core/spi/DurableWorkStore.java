package dev.jobs.core.spi;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jobs.core.JobCheckpoint;
import dev.jobs.core.JobStep;
import dev.jobs.core.ParentResult;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The durable work of jobs, part of {@link JobStore}: their steps ({@link
 * dev.jobs.core.JobContext#step}), each recorded once under the lease of the attempt that ran it,
 * and their checkpoints ({@link dev.jobs.core.JobContext#checkpoint}), the last state a handler
 * saved; both read back by later attempts, and deleted with their job.
 *
 * <p>This SPI may change between minor versions.
 */
public interface DurableWorkStore {
    /** The steps recorded for a job, in the order they ran; empty when none were (or there is no such job). */
    List<JobStep> steps(UUID jobId);

    /**
     * Records the job's step number {@code index} (from 0), as {@link
     * dev.jobs.core.spi.support.JobLifecycle#recordStep} says: fenced by the lease, in order, at
     * most {@link dev.jobs.core.JobLimits#MAX_STEPS} of them.
     *
     * @return the step as recorded
     * @throws dev.jobs.core.LeaseLostException if {@code leaseToken} is not the job's current lease
     * @throws dev.jobs.core.StepOrderException if the job has a different step at {@code index}, or
     *     fewer than {@code index} steps
     * @throws dev.jobs.core.JobValidationException if the name or the result cannot be stored, or
     *     the job has as many steps as it may
     */
    JobStep recordStep(UUID jobId, UUID leaseToken, int index, String name, JsonNode result);

    /** The job's last checkpoint; empty when none was saved (or there is no such job). */
    Optional<JobCheckpoint> checkpoint(UUID jobId);

    /**
     * Saves a running job's checkpoint under its lease, replacing the one before, as {@link
     * dev.jobs.core.spi.support.JobLifecycle#saveCheckpoint} says.
     *
     * @return the checkpoint as saved
     * @throws dev.jobs.core.LeaseLostException if {@code leaseToken} is not the job's current lease
     * @throws dev.jobs.core.JobValidationException if the state cannot be stored
     */
    JobCheckpoint saveCheckpoint(UUID jobId, UUID leaseToken, JsonNode state);

    /**
     * What each of a job's dependencies came to, in the order the job lists them, each with the name
     * the job has for it (its ref in the graph that created them); empty for a job with none, or no
     * such job.
     */
    List<ParentResult> parentResults(UUID jobId);
}
