package dev.jobs.core.spi.support;

import dev.jobs.core.IdempotencyKeyReusedException;
import dev.jobs.core.Job;
import dev.jobs.core.JobState;
import dev.jobs.core.spi.IdempotencyKey;
import dev.jobs.core.spi.JobStore;
import dev.jobs.core.spi.JobTransaction;
import dev.jobs.core.spi.NewJob;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * {@link JobStore#create}, written once: checks the batch's dependencies and idempotency keys before
 * anything is written, answers a repeated request or a held unique key with the job that holds it,
 * works out every new job's state from its dependencies (in the batch, or stored and locked), and
 * inserts the batch in one call of the store's. Stateless.
 */
public final class BatchCreation {
    private BatchCreation() {}

    /**
     * Creates every job of the batch, or none.
     *
     * @return the stored jobs, in the order given: created ones as they now are, and for a member
     *     answered by a key, the job holding it
     */
    public static List<Job> create(JobTransaction t, List<NewJob> batch) {
        // Locking the existing dependencies keeps any of them from finishing unseen while this
        // transaction adds edges it could not yet find (its cascade waits for our commit).
        var known = new HashMap<>(t.lockAll(DependencyRule.outsideDependencies(batch)));
        DependencyRule.requireKnownDependencies(batch, known::containsKey);
        // Checked before any write, since a host's transaction may commit whatever we leave.
        requireMatching(batch, t.idempotencyKeyHolders(batch));
        var resultIds = new ArrayList<UUID>(batch.size());
        var replacedBy = new HashMap<UUID, UUID>();
        var created = new LinkedHashMap<UUID, Job>();
        for (NewJob spec : batch) {
            Optional<UUID> holder = spec.idempotencyKey().flatMap(key -> t.takeIdempotencyKey(key, spec.id()));
            if (holder.isEmpty()) {
                holder = spec.uniqueKey().flatMap(key -> t.takeUniqueKey(key, spec.id()));
                // A repeat must get the job this request got, even after it frees its unique key.
                holder.ifPresent(id -> spec.idempotencyKey().ifPresent(key -> t.answerIdempotencyKeyWith(key, id)));
            }
            if (holder.isPresent()) {
                replacedBy.put(spec.id(), holder.get());
                // The holder is an earlier member of this batch, or a stored unfinished job.
                known.computeIfAbsent(
                        holder.get(),
                        id -> Optional.ofNullable(created.get(id))
                                .or(() ->
                                        Optional.ofNullable(t.read(List.of(id)).get(id)))
                                .orElseThrow(() ->
                                        new IllegalStateException("job " + id + " holds a key but is not stored")));
                resultIds.add(holder.get());
                continue;
            }
            List<UUID> dependsOn = spec.dependsOn().stream()
                    .map(d -> replacedBy.getOrDefault(d, d))
                    .distinct()
                    .toList();
            created.put(spec.id(), JobTransitions.created(spec.withRunAt(t.stored(spec.runAt())), dependsOn, t.now()));
            resultIds.add(spec.id());
        }
        known.putAll(created);
        settleNewJobs(created, known, t.now());
        if (!created.isEmpty()) {
            var unfinished = new HashMap<UUID, Integer>();
            for (Job job : created.values()) {
                if (job.state() == JobState.PENDING) {
                    unfinished.put(job.id(), (int) DependencyCascade.states(job, known).stream()
                            .filter(state -> !state.isTerminal())
                            .count());
                }
            }
            t.insert(List.copyOf(created.values()), unfinished);
            for (NewJob spec : batch) {
                if (created.containsKey(spec.id()) && !spec.dependencyNames().isEmpty()) {
                    // Named as the job depends on it: a member replaced by a key's holder by the holder's id.
                    var names = new LinkedHashMap<UUID, String>();
                    spec.dependencyNames().forEach((id, name) -> names.put(replacedBy.getOrDefault(id, id), name));
                    t.nameDependencies(spec.id(), names);
                }
            }
        }
        return resultIds.stream().map(known::get).toList();
    }

    /**
     * Moves new pending jobs whose dependencies are already settled to their state, as {@link
     * DependencyRule} says. Repeats while a cancellation spreads, since a batch need not come in
     * dependency order.
     */
    private static void settleNewJobs(Map<UUID, Job> created, Map<UUID, Job> known, Instant now) {
        boolean changed = true;
        while (changed) {
            changed = false;
            for (Job job : List.copyOf(created.values())) {
                if (job.state() != JobState.PENDING) {
                    continue;
                }
                JobState target = DependencyRule.resolve(
                        DependencyCascade.states(job, known), job.onDependencyFailure(), job.runAt(), now);
                if (target != JobState.PENDING) {
                    Optional<Job> culprit = job.dependsOn().stream()
                            .map(known::get)
                            .filter(d -> d.state() == JobState.FAILED || d.state() == JobState.CANCELLED)
                            .findFirst();
                    Job settled = JobTransitions.settled(job, target, culprit, now);
                    created.put(job.id(), settled);
                    known.put(job.id(), settled);
                    changed = true;
                }
            }
        }
    }

    /**
     * Refuses a batch, before a store changes anything, if a member reuses a key that a stored job
     * or an earlier member holds for a different request.
     *
     * @param held the stored holder of each key the batch names (others may be present)
     * @throws IdempotencyKeyReusedException for the first mismatch
     */
    private static void requireMatching(List<NewJob> batch, Map<String, IdempotencyKey.Holder> held) {
        var inBatch = new HashMap<String, IdempotencyKey.Holder>();
        for (NewJob job : batch) {
            if (job.idempotencyKey().isEmpty()) {
                continue;
            }
            IdempotencyKey key = job.idempotencyKey().get();
            IdempotencyKey.Holder holder = held.get(key.key());
            if (holder == null) {
                holder =
                        inBatch.computeIfAbsent(key.key(), k -> new IdempotencyKey.Holder(job.id(), key.fingerprint()));
            }
            holder.requireMatches(key);
        }
    }
}
