package dev.jobs.queue.redis;

/**
 * The Redis keys of one queue. They all carry the queue's name as their hash tag ({@code {name}}),
 * so on a Cluster they live in one slot and one script can touch them all.
 *
 * @param ready job ids that may run now, by priority, then runAt, then id
 * @param delayed job ids waiting for their runAt, by runAt
 * @param inFlight job ids handed to a worker, by when that claim lapses
 * @param priorities each known job's priority (a hash); also says which jobs Redis holds
 * @param paused present while the queue is paused
 * @param reconciled present since the last reconciliation; its absence means Redis lost data
 */
record QueueKeys(String ready, String delayed, String inFlight, String priorities, String paused, String reconciled) {

    static QueueKeys of(String prefix, String queue) {
        String base = prefix + ":{" + queue + "}:";
        return new QueueKeys(
                base + "ready",
                base + "delayed",
                base + "inflight",
                base + "priorities",
                base + "paused",
                base + "reconciled");
    }
}
