package dev.jobs.core;

import java.util.List;

/**
 * Receives job events, after the store has committed them, on the thread that made the change.
 * Keep it fast and never block: hand slow work to another thread. An exception from a listener is
 * logged and does not affect the job or other listeners.
 */
@FunctionalInterface
public interface JobListener {
    void onEvent(JobEvent event);

    /** The events of one store operation; override to handle a batch at once. */
    default void onEvents(List<JobEvent> events) {
        events.forEach(this::onEvent);
    }
}
