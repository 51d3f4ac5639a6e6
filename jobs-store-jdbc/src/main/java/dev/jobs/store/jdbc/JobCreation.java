package dev.jobs.store.jdbc;

import dev.jobs.core.Job;
import dev.jobs.core.spi.NewJob;
import dev.jobs.core.spi.support.BatchCreation;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import org.jdbi.v3.core.Handle;

/**
 * Creates jobs with core's {@link BatchCreation}, in the store's transaction, the host's, or a
 * single statement that commits on its own where the database writes a batch of jobs that need no
 * locks in one. Thread-safe.
 */
final class JobCreation {
    private final Transactions tx;
    private final JobTable table;
    private final Unannounced unannounced;

    JobCreation(Transactions tx, JobTable table, Unannounced unannounced) {
        this.tx = tx;
        this.table = table;
        this.unannounced = unannounced;
    }

    List<Job> create(List<NewJob> batch) {
        if (table.insertsInOneStatement() && batch.stream().allMatch(JobCreation::standsAlone)) {
            // Jobs with no dependencies and no keys are written, and announced, by createOn's one
            // statement, which commits on its own: a single round trip for a single job.
            return tx.inOneStatement(h -> createOn(h, batch));
        }
        return tx.inTransaction(h -> createOn(h, batch));
    }

    /** A new job that reads nothing else and holds no key, so creating it needs no locks. */
    private static boolean standsAlone(NewJob job) {
        return job.dependsOn().isEmpty()
                && job.uniqueKey().isEmpty()
                && job.idempotencyKey().isEmpty();
    }

    /**
     * Creates jobs inside the host's own transaction on {@code connection}: they exist only if the
     * host commits it, and so do their notes in {@link Unannounced}, from which an engine announces
     * them once committed. The connection is left open and its transaction untouched.
     */
    List<Job> createIn(Connection connection, List<NewJob> jobs) {
        return tx.onHostConnection(connection, h -> {
            List<Job> stored = createOn(h, jobs);
            var created = new ArrayList<Job>();
            for (int i = 0; i < stored.size(); i++) {
                // A job returned for a key another job holds was announced when that one was made.
                if (stored.get(i).id().equals(jobs.get(i).id())) {
                    created.add(stored.get(i));
                }
            }
            unannounced.note(h, created);
            return stored;
        });
    }

    /** Creates the batch in the transaction {@code h} is in, as core's one creation does. */
    List<Job> createOn(Handle h, List<NewJob> batch) {
        return BatchCreation.create(table.in(h, tx.now()), batch);
    }
}
