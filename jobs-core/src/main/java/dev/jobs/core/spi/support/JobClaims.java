package dev.jobs.core.spi.support;

import dev.jobs.core.Job;
import dev.jobs.core.spi.AcquireRequest;
import dev.jobs.core.spi.JobStore;
import dev.jobs.core.spi.JobTransaction;
import dev.jobs.core.spi.JobTransaction.LimitedQueue;
import dev.jobs.core.spi.JobTransaction.Running;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * {@link JobStore#acquire}, written once: the queues without limits first, then, with what they
 * left of the request's {@code maxJobs}, the limited ones within what their limits allow ({@link
 * QueueAllowance}), each job leased as {@link JobTransitions#acquired} says. A store whose database
 * claims the open queues in one statement does that half itself (an optional capability, held to
 * the same lifecycle by the conformance suite) and asks this class for the limited half. Stateless.
 */
public final class JobClaims {
    private JobClaims() {}

    /**
     * Leases claimable jobs from all of the request's queues, or only among {@code candidates}.
     *
     * @param candidates ids a dispatch queue handed out; only these may be leased when present
     */
    public static List<Job> acquire(JobTransaction t, AcquireRequest request, Optional<List<UUID>> candidates) {
        List<Job> open = acquireFromOpenQueues(t, request, candidates);
        if (open.size() == request.maxJobs()) {
            return open;
        }
        var all = new ArrayList<Job>(open);
        all.addAll(acquireFromLimitedQueues(t, request, request.maxJobs() - open.size(), candidates));
        return all;
    }

    /** Leases what {@link JobTransaction#lockClaimable} finds on the request's open queues. */
    public static List<Job> acquireFromOpenQueues(
            JobTransaction t, AcquireRequest request, Optional<List<UUID>> candidates) {
        return lease(t, t.lockClaimable(request.queues(), request.maxJobs(), candidates), request);
    }

    /**
     * Leases up to {@code max} jobs of the request's limited queues, within their limits, queue by
     * queue in name order. Each queue's limit entry is locked first, so claims on it take turns and
     * its count of running jobs holds until this transaction ends, whichever engine makes them.
     * Candidates are read a page at a time, past the keys already at their limit; each page's leases
     * are written before the next is read, so the next page starts after them.
     */
    public static List<Job> acquireFromLimitedQueues(
            JobTransaction t, AcquireRequest request, int max, Optional<List<UUID>> candidates) {
        var acquired = new ArrayList<Job>();
        for (LimitedQueue queue : t.lockLimitedQueues(request.queues())) {
            if (acquired.size() == max) {
                break;
            }
            QueueAllowance allowance = allowance(t, queue);
            while (acquired.size() < max && allowance.remaining() > 0) {
                int wanted = Math.min(max - acquired.size(), allowance.remaining());
                Set<String> saturated = allowance.saturatedKeys();
                List<Job> page = t.lockClaimableIn(queue.name(), wanted, saturated, candidates);
                var starting = new ArrayList<Job>();
                for (Job job : page) {
                    if (allowance.tryStart(job)) {
                        starting.add(job);
                    }
                }
                acquired.addAll(lease(t, starting, request));
                // A short page had every candidate left; one where nothing started changes nothing next time.
                if (page.size() < wanted
                        || starting.isEmpty() && allowance.saturatedKeys().equals(saturated)) {
                    break;
                }
            }
            if (allowance.started() > 0) {
                allowance.bucket().ifPresent(bucket -> t.saveStartBucket(queue.name(), bucket));
            }
        }
        return acquired;
    }

    /**
     * Refuses a page size for {@link JobStore#claimOrder} below one.
     *
     * @throws IllegalArgumentException naming the value
     */
    public static void requireClaimOrderLimit(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, was " + limit);
        }
    }

    /** What a limited queue lets a claim start now: its limits, its bucket and its running jobs. */
    public static QueueAllowance allowance(JobTransaction t, LimitedQueue queue) {
        Running running = t.running(queue.name());
        return new QueueAllowance(queue.limits(), queue.bucket(), running.total(), running.byKey(), t.now());
    }

    /** Each job leased under a fresh token, to the request's worker, and written in one go. */
    private static List<Job> lease(JobTransaction t, List<Job> claimable, AcquireRequest request) {
        if (claimable.isEmpty()) {
            return List.of();
        }
        // The lease's expiry as the store keeps it, so that what is returned is what a read gives.
        Duration lease = Duration.between(t.now(), t.stored(t.now().plus(request.leaseDuration())));
        var leased = new ArrayList<Job>(claimable.size());
        for (Job job : claimable) {
            leased.add(JobTransitions.acquired(job, request.workerId(), UUID.randomUUID(), lease, t.now()));
        }
        t.writeAll(claimable, leased);
        return leased;
    }
}
