package dev.jobs.store.jdbc;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jobs.core.Job;
import dev.jobs.core.spi.NewJob;
import dev.jobs.core.spi.RecurringRecord;
import dev.jobs.core.spi.support.RecurringSave;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/**
 * The recurring jobs' definitions, each versioned, so that of the engine instances that read the
 * same version only one creates the next occurrences' jobs. Thread-safe.
 */
final class RecurringDefinitions {
    private final Transactions tx;
    private final JobRows rows;
    private final JobCreation creation;

    /** The database's {@code insert-if-absent} statements. */
    private final SqlStatements inserts;

    RecurringDefinitions(Transactions tx, SqlStatements inserts, JobRows rows, JobCreation creation) {
        this.tx = tx;
        this.inserts = inserts;
        this.rows = rows;
        this.creation = creation;
    }

    RecurringRecord saveRecurring(String name, String schedule, JsonNode definition, Instant upToIfNew) {
        String text = rows.json(definition);
        Instant upTo = JobRows.micros(upToIfNew);
        return tx.inTransaction(h -> {
            Instant now = tx.now();
            Optional<RecurringRecord> stored = lockRecurring(h, name);
            if (stored.isEmpty()) {
                RecurringRecord fresh = RecurringSave.over(stored, name, schedule, definition, upTo, now, r -> false)
                        .orElseThrow();
                int inserted = h.createUpdate(inserts.get("insert-recurring"))
                        .bind("key", name)
                        .bind("schedule", schedule)
                        .bind("definition", text)
                        .bind("up_to", JobRows.toColumn(fresh.upTo()))
                        .bind("updated_at", JobRows.toColumn(now))
                        .execute();
                if (inserted == 1) {
                    return fresh;
                }
                // Another instance saved it first: treat its row as the stored one.
                stored = lockRecurring(h, name);
            }
            Optional<RecurringRecord> saved = RecurringSave.over(
                    stored,
                    name,
                    schedule,
                    definition,
                    upTo,
                    now,
                    r -> rows.json(r.definition()).equals(text));
            if (saved.isEmpty()) {
                return stored.orElseThrow();
            }
            h.createUpdate("UPDATE <recurring> SET schedule = :schedule, definition = :definition, up_to = :up_to,"
                            + " version = version + 1, updated_at = :updated_at WHERE name = :name")
                    .bind("name", name)
                    .bind("schedule", schedule)
                    .bind("definition", text)
                    .bind("up_to", JobRows.toColumn(saved.get().upTo()))
                    .bind("updated_at", JobRows.toColumn(now))
                    .execute();
            return saved.get();
        });
    }

    private Optional<RecurringRecord> lockRecurring(Handle h, String name) {
        return h.createQuery("SELECT * FROM <recurring> WHERE name = :name FOR UPDATE")
                .bind("name", name)
                .map((rs, ctx) -> rows.readRecurring(rs))
                .findOne();
    }

    List<RecurringRecord> recurringJobs() {
        return tx.inTransaction(h -> h.createQuery("SELECT * FROM <recurring> ORDER BY name")
                .map((rs, ctx) -> rows.readRecurring(rs))
                .list());
    }

    Optional<RecurringRecord> recurringJob(String name) {
        return tx.inTransaction(h -> h.createQuery("SELECT * FROM <recurring> WHERE name = :name")
                .bind("name", name)
                .map((rs, ctx) -> rows.readRecurring(rs))
                .findOne());
    }

    boolean deleteRecurring(String name) {
        return tx.inTransaction(h -> h.createUpdate("DELETE FROM <recurring> WHERE name = :name")
                        .bind("name", name)
                        .execute())
                > 0;
    }

    /**
     * The compare-and-set on the version: instances that read the same version race here, the
     * first update holds the row until it commits, and the others then find the version moved and
     * update nothing, so only the winner creates the occurrences' jobs.
     */
    Optional<List<Job>> advanceRecurring(String name, long expectedVersion, Instant upTo, List<NewJob> jobs) {
        return tx.inTransaction(h -> {
            int moved = h.createUpdate("UPDATE <recurring> SET up_to = :up_to, version = version + 1"
                            + " WHERE name = :name AND version = :version")
                    .bind("name", name)
                    .bind("version", expectedVersion)
                    .bind("up_to", JobRows.toColumn(JobRows.micros(upTo)))
                    .execute();
            if (moved == 0) {
                return Optional.<List<Job>>empty();
            }
            return Optional.of(jobs.isEmpty() ? List.<Job>of() : creation.createOn(h, jobs));
        });
    }
}
