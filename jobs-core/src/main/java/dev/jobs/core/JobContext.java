package dev.jobs.core;

import java.util.UUID;

/**
 * What a handler sees of its job while it runs. Confined to the attempt it was given for; {@link
 * #progress} and {@link #isCancelled} may be called from any thread the handler starts.
 *
 * @param <T> the payload type
 */
public interface JobContext<T> {
    /** The payload, converted to the type the handler was registered with. */
    T payload();

    /** The job as it was when this attempt started. */
    Job job();

    default UUID jobId() {
        return job().id();
    }

    /** This attempt's number, 1 for the first. */
    default int attempt() {
        return job().attempt();
    }

    /** Records progress (0–100), shown to operators. */
    void progress(int percent);

    /** Records progress (0–100) with a message saying what the handler is doing. */
    void progress(int percent, String message);

    /**
     * Whether cancellation was asked for. A long handler checks this and stops early; one that does
     * not is interrupted after the engine's cancellation grace period.
     */
    boolean isCancelled();
}
