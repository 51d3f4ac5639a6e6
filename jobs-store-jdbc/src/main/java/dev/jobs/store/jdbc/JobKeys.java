package dev.jobs.store.jdbc;

import dev.jobs.core.IdempotencyKeyReusedException;
import dev.jobs.core.Job;
import dev.jobs.core.spi.IdempotencyKey;
import dev.jobs.core.spi.NewJob;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Handle;

/**
 * The keys a job may hold: a unique key, held while the job is unfinished, and an idempotency key,
 * held for as long as the job is kept, which answers a repeated request with the job it created.
 * Thread-safe.
 */
final class JobKeys {
    private final SqlDialect dialect;

    /** The database's {@code insert-if-absent} statements. */
    private final SqlStatements inserts;

    JobKeys(SqlDialect dialect, SqlStatements inserts) {
        this.dialect = dialect;
        this.inserts = inserts;
    }

    /** The database's {@code insert-if-absent} statements, which the worker registry shares. */
    SqlStatements inserts() {
        return inserts;
    }

    /**
     * Takes the unique key for {@code jobId} unless an unfinished job holds it.
     *
     * @return the holder, when it is another job
     */
    Optional<UUID> claimUniqueKey(Handle h, String key, UUID jobId) {
        h.createUpdate(inserts.get("take-unique-key"))
                .bind("key", key)
                .bind("job_id", dialect.uuid(jobId))
                .execute();
        UUID holder = h.createQuery("SELECT job_id FROM <unique_key> WHERE unique_key = :key")
                .bind("key", key)
                .map((rs, ctx) -> UUID.fromString(rs.getString("job_id")))
                .one();
        return holder.equals(jobId) ? Optional.empty() : Optional.of(holder);
    }

    /** A finished job gives up its unique key, so a new job may take it. */
    void releaseUniqueKey(Handle h, Job finished) {
        if (finished.uniqueKey().isPresent()) {
            h.createUpdate("DELETE FROM <unique_key> WHERE unique_key = :key AND job_id = :job_id")
                    .bind("key", finished.uniqueKey().get())
                    .bind("job_id", dialect.uuid(finished.id()))
                    .execute();
        }
    }

    /** The stored holders of the batch's idempotency keys. */
    Map<String, IdempotencyKey.Holder> heldIdempotencyKeys(Handle h, List<NewJob> batch) {
        List<String> keys = batch.stream()
                .flatMap(job -> job.idempotencyKey().stream())
                .map(IdempotencyKey::key)
                .distinct()
                .toList();
        var held = new HashMap<String, IdempotencyKey.Holder>();
        for (List<String> chunk : chunks(keys, 500)) {
            h.createQuery("SELECT idempotency_key, job_id, fingerprint FROM <idempotency_key>"
                            + " WHERE idempotency_key IN (<keys>)")
                    .bindList("keys", chunk)
                    .map((rs, ctx) -> Map.entry(
                            rs.getString("idempotency_key"),
                            new IdempotencyKey.Holder(
                                    UUID.fromString(rs.getString("job_id")), rs.getString("fingerprint"))))
                    .forEach(entry -> held.put(entry.getKey(), entry.getValue()));
        }
        return held;
    }

    /**
     * Takes the idempotency key for {@code jobId} unless a job holds it already. A concurrent
     * creator with the same key waits here on the key's row until the first one commits.
     *
     * @return the holder, when it is another job
     * @throws IdempotencyKeyReusedException if the holder came from a different request
     */
    Optional<UUID> claimIdempotencyKey(Handle h, IdempotencyKey key, UUID jobId) {
        h.createUpdate(inserts.get("take-idempotency-key"))
                .bind("key", key.key())
                .bind("job_id", dialect.uuid(jobId))
                .bind("fingerprint", key.fingerprint())
                .execute();
        IdempotencyKey.Holder holder = h.createQuery(
                        "SELECT job_id, fingerprint FROM <idempotency_key> WHERE idempotency_key = :key")
                .bind("key", key.key())
                .map((rs, ctx) ->
                        new IdempotencyKey.Holder(UUID.fromString(rs.getString("job_id")), rs.getString("fingerprint")))
                .one();
        holder.requireMatches(key);
        return holder.jobId().equals(jobId) ? Optional.empty() : Optional.of(holder.jobId());
    }

    /** Points a key this request just took at the job it was answered with instead. */
    void answerIdempotencyKeyWith(Handle h, IdempotencyKey key, UUID jobId) {
        h.createUpdate("UPDATE <idempotency_key> SET job_id = :job_id WHERE idempotency_key = :key")
                .bind("key", key.key())
                .bind("job_id", dialect.uuid(jobId))
                .execute();
    }

    private static <T> List<List<T>> chunks(List<T> all, int size) {
        var chunks = new ArrayList<List<T>>();
        for (int i = 0; i < all.size(); i += size) {
            chunks.add(all.subList(i, Math.min(all.size(), i + size)));
        }
        return chunks;
    }
}
