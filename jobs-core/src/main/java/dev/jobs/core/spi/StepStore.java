package dev.jobs.core.spi;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jobs.core.JobStep;
import java.util.List;
import java.util.UUID;

/**
 * The durable steps of jobs ({@link dev.jobs.core.JobContext#step}): each recorded once, under the
 * lease of the attempt that ran it, and read back by later attempts. Part of {@link JobStore}.
 *
 * <p>This SPI may change between minor versions.
 */
public interface StepStore {
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
}
