package dev.jobs.core;

import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Creating jobs and watching them: what application code needs of the engine. {@link JobEngine} is
 * one; a host can hand this face to the code that only submits work, and a test can stand in for
 * it.
 */
public interface JobClient {
    /**
     * Creates one job.
     *
     * @return the job, or the unfinished job already holding its unique key
     * @throws JobValidationException naming every rejected field; nothing is stored
     */
    Job enqueue(JobSpec spec);

    /**
     * Creates one job, as {@link #enqueue(JobSpec)}, and says whether this call created it or an
     * existing job was returned for its unique or idempotency key.
     *
     * @throws JobValidationException naming every rejected field; nothing is stored
     * @throws IdempotencyKeyReusedException if its idempotency key created a different job
     */
    Enqueued submit(JobSpec spec);

    /**
     * Creates a job of this type with this payload and every default: the one-line enqueue. The
     * payload is converted with the engine's object mapper.
     */
    Job enqueue(String type, Object payload);

    /**
     * Creates many jobs at once: all of them, or none if any is rejected.
     *
     * @throws JobValidationException naming every rejected field as {@code [index].field}
     */
    List<Job> enqueueAll(List<JobSpec> specs);

    /**
     * Creates jobs inside the host's own transaction on {@code connection} (transactional enqueue):
     * they exist only if the host commits it, and vanish with a rollback. Their creation is
     * announced once the host has committed, within a fifth of a second, by whichever engine on the
     * store sees it first: their {@code CREATED} events, their metrics, their publication to a
     * dispatch queue (Redis); a rolled-back job is never announced. Idle workers reading the store
     * hear of them on commit (on PostgreSQL through NOTIFY), elsewhere at their next poll. The
     * connection is left open and its transaction untouched.
     *
     * @throws JobValidationException naming every rejected field; nothing is written
     * @throws UnsupportedOperationException if the engine's store cannot write in a host's
     *     transaction (only the JDBC store can)
     */
    List<Job> enqueueIn(Connection connection, List<JobSpec> specs);

    /**
     * Creates every node of a graph, or none.
     *
     * @return each node's job by its ref, in dependency order
     * @throws JobValidationException naming every rejected field as {@code nodes[ref].field}
     */
    Map<String, Job> graph(JobGraph graph);

    Optional<Job> get(UUID jobId);

    /**
     * A page of jobs, newest first.
     *
     * @throws JobValidationException if a queue or type filter could name no job (a malformed name
     *     says the caller has a bug; an empty page would hide it)
     */
    JobPage list(JobQuery query);

    /**
     * Adds a listener while the engine runs, such as a client watching a stream of events, and
     * returns the handle that removes it. The listener hears the changes this engine makes (its own
     * workers, its remote workers, its callers), not those other engines sharing the store make.
     */
    Subscription subscribe(JobListener listener);

    /**
     * Waits until the job finishes (succeeds, fails for good, or is cancelled).
     *
     * @return the finished job
     * @throws JobNotFoundException if there is no such job
     * @throws JobsException if it has not finished within {@code timeout}
     */
    Job await(UUID jobId, Duration timeout);

    /** Ends a {@link #subscribe} listener's subscription; closing it twice does nothing more. */
    @FunctionalInterface
    interface Subscription extends AutoCloseable {
        @Override
        void close();
    }
}
