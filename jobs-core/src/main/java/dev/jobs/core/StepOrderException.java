package dev.jobs.core;

import dev.jobs.core.spi.support.Storable;
import java.util.List;
import java.util.UUID;

/**
 * A handler asked for its steps in another order than an earlier attempt of the same job recorded
 * them: the code changed under a job that was running, so its recorded results cannot be matched
 * to the steps asked for. The attempt fails; it is not retried, since it would fail the same way.
 */
public class StepOrderException extends JobsException {
    private static final long serialVersionUID = 1L;

    public StepOrderException(String message) {
        super(message);
    }

    /**
     * The refusal of step number {@code index} (from 0), named {@code asked}, of a job whose
     * recorded steps are {@code recorded}.
     */
    public static StepOrderException of(UUID jobId, int index, String asked, List<JobStep> recorded) {
        return new StepOrderException(
                "job " + jobId + " asked for step " + (index + 1) + " '" + Storable.shown(asked, 77)
                        + "', but "
                        + (index < recorded.size()
                                ? "an earlier attempt recorded '"
                                        + Storable.shown(recorded.get(index).name(), 77) + "' there"
                                : "only " + recorded.size() + " steps are recorded")
                        + ": the handler's steps changed under a running job; let it finish (or cancel it) before"
                        + " changing the order of its steps");
    }
}
