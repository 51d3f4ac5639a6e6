-- Claims on MySQL and MariaDB: the candidates are selected and locked (SKIP LOCKED lets concurrent
-- workers take disjoint rows), and the store then writes their leases in the same transaction.
-- A job is claimable when its generated column claimable is 1 (schema V6; NULL otherwise), which
-- leads the claim index (claimable, queue, priority, run_at, id), so the scan is a range of live
-- work in claim order that stops at the limit: with the state itself leading the index, asking for
-- three states at once made the database sort every claimable job of the queue to find the first
-- few. Paused and limited queues are taken out of the request before.
--
-- Jdbi fills in <job> with the store's prefixed table name, and lists such as <queues> with one
-- bound parameter per element.

-- name: claim
-- Locks up to :max of the requested queues' claimable, due jobs, lowest priority number first,
-- then earliest run_at, then oldest id; the store then writes their leases.
SELECT * FROM <job>
WHERE claimable = 1 AND queue IN (<queues>) AND run_at <= :now
ORDER BY priority, run_at, id
LIMIT :max
FOR UPDATE SKIP LOCKED

-- name: claim-among-ids
-- As claim, among the ids a dispatch queue handed out.
SELECT * FROM <job>
WHERE claimable = 1 AND queue IN (<queues>) AND run_at <= :now AND id IN (<ids>)
ORDER BY priority, run_at, id
LIMIT :max
FOR UPDATE SKIP LOCKED

-- name: claim-limited
-- A limited queue's claimable jobs in claim order, locked; the store takes those its limits let
-- start.
SELECT * FROM <job>
WHERE claimable = 1 AND queue IN (<queues>) AND run_at <= :now
ORDER BY priority, run_at, id
LIMIT :max
FOR UPDATE SKIP LOCKED

-- name: claim-limited-among-ids
-- As claim-limited, among the ids a dispatch queue handed out.
SELECT * FROM <job>
WHERE claimable = 1 AND queue IN (<queues>) AND run_at <= :now AND id IN (<ids>)
ORDER BY priority, run_at, id
LIMIT :max
FOR UPDATE SKIP LOCKED

-- name: claim-limited-past-saturated-keys
-- As claim-limited, leaving out the jobs of concurrency keys at their limit (jobs without a key
-- stay in).
SELECT * FROM <job>
WHERE claimable = 1 AND queue IN (<queues>) AND run_at <= :now
  AND (concurrency_key IS NULL OR concurrency_key NOT IN (<saturated>))
ORDER BY priority, run_at, id
LIMIT :max
FOR UPDATE SKIP LOCKED

-- name: claim-limited-among-ids-past-saturated-keys
-- As claim-limited-among-ids, leaving out the jobs of concurrency keys at their limit.
SELECT * FROM <job>
WHERE claimable = 1 AND queue IN (<queues>) AND run_at <= :now AND id IN (<ids>)
  AND (concurrency_key IS NULL OR concurrency_key NOT IN (<saturated>))
ORDER BY priority, run_at, id
LIMIT :max
FOR UPDATE SKIP LOCKED

-- name: earliest
-- Now, if a job of the requested queues is due; else the earliest run_at among their claimable
-- jobs (all of them in the future).
SELECT CASE
    WHEN EXISTS (SELECT 1 FROM <job> WHERE claimable = 1 AND queue IN (<queues>) AND run_at <= :now) THEN :now
    ELSE (SELECT MIN(run_at) FROM <job> WHERE claimable = 1 AND queue IN (<queues>))
END AS earliest

-- name: earliest-limited
-- As earliest, for one limited queue.
SELECT CASE
    WHEN EXISTS (SELECT 1 FROM <job> WHERE claimable = 1 AND queue IN (<queues>) AND run_at <= :now) THEN :now
    ELSE (SELECT MIN(run_at) FROM <job> WHERE claimable = 1 AND queue IN (<queues>))
END AS earliest

-- name: earliest-limited-past-saturated-keys
-- As earliest-limited, leaving out the jobs of concurrency keys at their limit.
SELECT CASE
    WHEN EXISTS (SELECT 1 FROM <job> WHERE claimable = 1 AND queue IN (<queues>) AND (concurrency_key IS NULL OR concurrency_key NOT IN (<saturated>)) AND run_at <= :now) THEN :now
    ELSE (SELECT MIN(run_at) FROM <job> WHERE claimable = 1 AND queue IN (<queues>) AND (concurrency_key IS NULL OR concurrency_key NOT IN (<saturated>)))
END AS earliest

-- name: claim-order
-- A queue's claimable jobs in claim order, from the claim index alone: the first page.
SELECT id, priority, run_at FROM <job>
WHERE claimable = 1 AND queue = :queue
ORDER BY priority, run_at, id
LIMIT :limit

-- name: claim-order-after
-- The next page, after the last place of the one before (a row-value range start).
SELECT id, priority, run_at FROM <job>
WHERE claimable = 1 AND queue = :queue AND (priority, run_at, id) > (:after_priority, :after_run_at, :after_id)
ORDER BY priority, run_at, id
LIMIT :limit
