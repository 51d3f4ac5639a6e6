package dev.jobs.core;

import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The states of a job and the one table of transitions between them. Every store enforces this
 * table; nothing else in the project decides which move is legal.
 *
 * <pre>
 *  create ─► PENDING ─(deps ok)─► READY ◄─(runAt reached)─ SCHEDULED ◄─ create with runAt
 *               │                    │ acquire
 *               ▼                    ▼
 *           CANCELLED ◄─ cancel ─ RUNNING ─► SUCCEEDED
 *                                    ├─► RETRYING ─► acquire again
 *                                    └─► FAILED
 *  FAILED / CANCELLED ─(operator retry)─► READY
 * </pre>
 *
 * <p>A due {@link #SCHEDULED} job may be acquired before promotion has shown it as {@link #READY};
 * a running job can be snoozed back to {@link #SCHEDULED} or, when its worker shuts down, given back
 * as {@link #READY}. Immutable and thread-safe.
 */
public enum JobState {
    /** Waiting for the jobs it depends on. */
    PENDING,
    /** Waiting for its {@code runAt} instant. */
    SCHEDULED,
    /** Can be acquired now. */
    READY,
    /** Leased to a worker that is running it. */
    RUNNING,
    /** Its last attempt failed; it runs again at {@code runAt}. */
    RETRYING,
    /** Done: the handler returned a result. */
    SUCCEEDED,
    /** Done: the last attempt failed and no attempt is left, or the failure was final. */
    FAILED,
    /** Done: cancelled by an operator, its handler, or a failed dependency. */
    CANCELLED;

    private static final Map<JobState, Set<JobState>> TRANSITIONS = transitions();

    private static Map<JobState, Set<JobState>> transitions() {
        var table = new EnumMap<JobState, Set<JobState>>(JobState.class);
        table.put(PENDING, EnumSet.of(READY, SCHEDULED, CANCELLED));
        table.put(SCHEDULED, EnumSet.of(READY, RUNNING, CANCELLED));
        table.put(READY, EnumSet.of(RUNNING, CANCELLED));
        table.put(RUNNING, EnumSet.of(SUCCEEDED, RETRYING, FAILED, CANCELLED, SCHEDULED, READY));
        table.put(RETRYING, EnumSet.of(RUNNING, CANCELLED));
        table.put(SUCCEEDED, EnumSet.noneOf(JobState.class));
        // Operator retry; a cancelled job whose dependencies are unresolved goes back to waiting.
        table.put(FAILED, EnumSet.of(READY));
        table.put(CANCELLED, EnumSet.of(READY, PENDING));
        table.replaceAll((state, targets) -> Collections.unmodifiableSet(targets));
        return Collections.unmodifiableMap(table);
    }

    /** The states this state may move to. */
    public Set<JobState> successors() {
        return TRANSITIONS.get(this);
    }

    /** Whether the table allows moving from this state to {@code target}. */
    public boolean canTransitionTo(JobState target) {
        return TRANSITIONS.get(this).contains(target);
    }

    /**
     * Refuses a move the table does not allow.
     *
     * @throws InvalidTransitionException naming the job, both states and {@code whatToDo}
     */
    public void requireTransitionTo(JobState target, UUID jobId, String whatToDo) {
        if (!canTransitionTo(target)) {
            throw new InvalidTransitionException(jobId, this, "cannot move to " + target + "; " + whatToDo);
        }
    }

    /** A finished job: nothing happens to it unless an operator retries it. */
    public boolean isTerminal() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }

    /** A job in this state may be acquired once its {@code runAt} has come. */
    public boolean isClaimable() {
        return this == READY || this == SCHEDULED || this == RETRYING;
    }
}
