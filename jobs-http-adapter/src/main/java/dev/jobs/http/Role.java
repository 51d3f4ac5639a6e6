package dev.jobs.http;

/** What a bearer token may do. Each role may do everything the ones before it may. */
public enum Role {
    /** Read jobs, queues, workers, events and metrics. */
    READ,
    /** Also acquire, heartbeat, complete and fail jobs: what a remote worker needs. */
    WORKER,
    /** Everything: also create, cancel and retry jobs, and pause and resume queues. */
    ADMIN;

    /** Whether a holder of this role may do what {@code needed} allows. */
    public boolean allows(Role needed) {
        return compareTo(needed) >= 0;
    }
}
