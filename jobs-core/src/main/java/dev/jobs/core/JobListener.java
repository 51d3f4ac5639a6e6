package dev.jobs.core;

import java.util.List;

/**
 * Receives job events, after the store has committed them, each job's in the order of its
 * lifecycle: never a job's start before its creation, nor its outcome before its start, however
 * many threads change it. Events of different jobs come in any order. A listener runs on the thread
 * of a change to the store: the one that made it, or, when the event had to wait for an earlier
 * event of the same job, the one that announced that. It is never called for one job on two
 * threads at once. Keep it fast and never block: hand slow work to another thread. An exception
 * from a listener is logged and does not affect the job or other listeners.
 *
 * <p>Only the changes this engine makes are heard; those of other engines sharing the store are
 * not, and the order of an operator's call racing a maintenance pass on the same job is not
 * promised.
 */
@FunctionalInterface
public interface JobListener {
    void onEvent(JobEvent event);

    /** The events of one store operation; override to handle a batch at once. */
    default void onEvents(List<JobEvent> events) {
        events.forEach(this::onEvent);
    }
}
