package dev.jobs.core.internal;

import dev.jobs.core.Job;
import dev.jobs.core.JobEvent;
import dev.jobs.core.JobEvent.Kind;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Hands each job's events to the listeners in the order of the job's lifecycle, though the store
 * calls that make them run on many threads at once. A call's events exist only once its store call
 * returned, after its commit, and in the moment between another thread can commit the job's next
 * step and announce it first: a worker starts a job whose creator has not yet said it was created,
 * or a retry whose failed attempt is not yet reported. So no thread waits; an event that may have
 * an unannounced predecessor is held, and the call that announces the predecessor delivers it after.
 *
 * <p>An event waits, in its job's line of events, behind:
 *
 * <ul>
 *   <li>every call in flight that names the job before it reaches the store (a create, a fail, a
 *       cancel: {@link #begin(Role, Collection)} with its ids), since that call may have committed
 *       the job's previous step;
 *   <li>for {@code STARTED} of a job that something else made ready (a dependency finished, its
 *       time came, a lapsed lease was reclaimed), every {@linkplain Role#READYING readying} call
 *       that began before the start's call returned, since the job's {@code DEPENDENCIES_MET},
 *       {@code PROMOTED} or {@code RETRYING} may be in one of them;
 *   <li>for {@code CANCEL_REQUESTED}, every {@linkplain Role#STARTING starting} call that began
 *       before the cancel returned, since the job's {@code STARTED} may be in one of them.
 * </ul>
 *
 * <p>Events that were held together are put in lifecycle order, whatever order their calls
 * returned in: by attempt (the job's {@code startedAt}), then by step within it ({@link #step}).
 *
 * <p>A job's events are delivered by one thread at a time, in the line's order, in batches that may
 * span many jobs. A listener still runs on a thread of a store call, as before, and a held event is
 * delivered by the call that released it. What this cannot order: calls in other processes (their
 * events are not heard here), and an operator's call on a job racing a maintenance pass on it.
 *
 * <p>Thread-safe: every decision is made under one lock, held for bookkeeping only, never while a
 * listener runs.
 */
final class EventOrder {
    /** What a store call may do to jobs it does not name before it runs. */
    enum Role {
        /** Makes jobs claimable it finds as it runs (promotion, reclaiming, a dependency ending). */
        READYING,
        /** Starts jobs (an acquire). */
        STARTING,
        /** Neither. */
        OTHER
    }

    /** A store call in flight, from {@link #begin} to {@link #end}. */
    static final class Call {
        private final long number;
        private final Role role;
        private final List<UUID> named;

        private Call(long number, Role role, List<UUID> named) {
            this.number = number;
            this.role = role;
            this.named = named;
        }
    }

    /**
     * An event, where it stands in its job's lifecycle, and the calls it waits for: those of
     * {@code awaited} numbered below {@code before}.
     */
    private record Held(JobEvent event, Instant attempt, int step, Role awaited, long before) {
        /** Whether this event comes before {@code other} in their job's lifecycle. */
        boolean precedes(Held other) {
            int byAttempt = attempt.compareTo(other.attempt);
            return byAttempt < 0 || byAttempt == 0 && step < other.step;
        }
    }

    private final Consumer<List<JobEvent>> deliver;
    private final Object lock = new Object();
    private long nextNumber;
    private final TreeSet<Long> readying = new TreeSet<>();
    private final TreeSet<Long> starting = new TreeSet<>();
    private final Map<UUID, Integer> openCalls = new HashMap<>();
    /** Each job's events not yet delivered, in lifecycle order; a job is here only while it has some. */
    private final Map<UUID, ArrayList<Held>> lines = new LinkedHashMap<>();

    private final Set<UUID> delivering = new HashSet<>();

    /** @param deliver hands a batch of events to the listeners; called on the thread of a store call */
    EventOrder(Consumer<List<JobEvent>> deliver) {
        this.deliver = deliver;
    }

    /** Before a store call: {@code named} are the jobs it will change, as far as it knows them. */
    Call begin(Role role, Collection<UUID> named) {
        synchronized (lock) {
            var call = new Call(nextNumber++, role, List.copyOf(named));
            switch (role) {
                case READYING -> readying.add(call.number);
                case STARTING -> starting.add(call.number);
                case OTHER -> {}
            }
            for (UUID id : call.named) {
                openCalls.merge(id, 1, Integer::sum);
            }
            return call;
        }
    }

    /**
     * After a store call, whether it succeeded or not: its events join their jobs' lines, and every
     * event that waits for nothing any more is delivered, on this thread.
     */
    void end(Call call, List<JobEvent> events) {
        List<JobEvent> batch;
        synchronized (lock) {
            switch (call.role) {
                case READYING -> readying.remove(call.number);
                case STARTING -> starting.remove(call.number);
                case OTHER -> {}
            }
            for (UUID id : call.named) {
                openCalls.computeIfPresent(id, (job, open) -> open == 1 ? null : open - 1);
            }
            long returned = nextNumber;
            boolean someHeld = !lines.isEmpty();
            batch = new ArrayList<>(events.size());
            var taken = new HashSet<UUID>();
            for (JobEvent event : events) {
                UUID job = event.job().id();
                Held held = held(event, returned);
                ArrayList<Held> line = lines.get(job);
                boolean free = line == null
                        && !openCalls.containsKey(job)
                        && !waiting(held)
                        && (taken.contains(job) || !delivering.contains(job));
                if (free) {
                    // The common case, and the fast one: nothing of this job is held or in flight.
                    batch.add(event);
                    taken.add(job);
                    delivering.add(job);
                } else {
                    join(line != null ? line : lines.computeIfAbsent(job, id -> new ArrayList<>()), held);
                }
            }
            if (someHeld || !lines.isEmpty()) {
                batch.addAll(takeDeliverable());
            }
        }
        while (!batch.isEmpty()) {
            try {
                deliver.accept(batch);
            } finally {
                synchronized (lock) {
                    batch.forEach(event -> delivering.remove(event.job().id()));
                }
            }
            synchronized (lock) {
                batch = takeDeliverable();
            }
        }
    }

    private static Held held(JobEvent event, long returned) {
        Instant attempt = event.job().startedAt().orElse(Instant.MIN);
        return new Held(event, attempt, step(event.kind()), awaited(event), returned);
    }

    /**
     * Where an event stands within one attempt of its job (or, before the first, within its
     * waiting): the start, then what happens while it runs, then how it ends, then the steps of the
     * wait for the next attempt. Creation is the first step of all.
     */
    private static int step(Kind kind) {
        return switch (kind) {
            case CREATED, STARTED -> 0;
            case PROGRESS, CANCEL_REQUESTED -> 1;
            case SUCCEEDED, FAILED, CANCELLED, RETRYING, SNOOZED, LEASE_RELEASED -> 2;
            case PROMOTED, DEPENDENCIES_MET, RETRIED -> 3;
        };
    }

    /**
     * Puts an event in its job's line after every event it does not precede in the lifecycle:
     * events that raced (a start and the creation it overtook) are put back in order, and the rest
     * keep the order they came in.
     */
    private static void join(List<Held> line, Held event) {
        int at = line.size();
        while (at > 0 && event.precedes(line.get(at - 1))) {
            at--;
        }
        line.add(at, event);
    }

    /** Which calls in flight an event waits for, beyond those that name its job. */
    private static Role awaited(JobEvent event) {
        return switch (event.kind()) {
            case STARTED -> readiedByAnother(event.job()) ? Role.READYING : Role.OTHER;
            case CANCEL_REQUESTED -> Role.STARTING;
            default -> Role.OTHER;
        };
    }

    /**
     * Whether the start of this job followed a step no call names beforehand: a dependency
     * ending, its time coming, a lapsed lease reclaimed (an attempt before this one).
     */
    private static boolean readiedByAnother(Job started) {
        return !started.dependsOn().isEmpty()
                || started.attempt() > 1
                || started.runAt().isAfter(started.createdAt());
    }

    /**
     * Takes, for every job no other thread is delivering, the events at the front of its line that
     * wait for nothing, and marks those jobs as being delivered. Caller holds the lock.
     */
    private List<JobEvent> takeDeliverable() {
        var batch = new ArrayList<JobEvent>();
        for (Iterator<Map.Entry<UUID, ArrayList<Held>>> it = lines.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<UUID, ArrayList<Held>> line = it.next();
            UUID job = line.getKey();
            if (delivering.contains(job) || openCalls.containsKey(job)) {
                continue;
            }
            ArrayList<Held> held = line.getValue();
            int before = batch.size();
            int ready = 0;
            while (ready < held.size() && !waiting(held.get(ready))) {
                batch.add(held.get(ready++).event());
            }
            held.subList(0, ready).clear();
            if (batch.size() > before) {
                delivering.add(job);
            }
            if (held.isEmpty()) {
                it.remove();
            }
        }
        return batch;
    }

    private boolean waiting(Held held) {
        TreeSet<Long> calls = switch (held.awaited()) {
            case READYING -> readying;
            case STARTING -> starting;
            case OTHER -> null;
        };
        return calls != null && !calls.isEmpty() && calls.first() < held.before();
    }

    /** Events not yet delivered, for tests. */
    int held() {
        synchronized (lock) {
            return lines.values().stream().mapToInt(List::size).sum();
        }
    }
}
