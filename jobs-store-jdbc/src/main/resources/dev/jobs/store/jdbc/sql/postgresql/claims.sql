-- Claims on PostgreSQL. A claim is one statement, UPDATE ... RETURNING, that commits on its own:
-- the candidates become an array first, so the rows are then found by primary key (with
-- id IN (SELECT ...) the planner may hash-join against a scan of the whole table, which grows with
-- the history). The claimable states are constants, not parameters, so the planner matches the
-- partial claim index (queue, priority, run_at, id) WHERE state IN (...) and walks it in order,
-- stopping at the limit; the outer condition names them again, so that the history partition is
-- pruned from the plan whatever the plan. SKIP LOCKED lets concurrent workers take disjoint rows.
-- The queues of the request that are paused or limited are left out in the statement itself, and
-- an uncorrelated check that some requested queue is neither, which PostgreSQL runs once before the
-- scan, skips the scan altogether when they all are, so a paused queue's backlog is not read on
-- every poll. The lease token is random per row (md5 of a random number and the id, as a uuid),
-- which PostgreSQL 12 can make without extensions.
--
-- Jdbi fills in <job>, <queue_limit> and <paused_queue> with the store's prefixed table names, and
-- lists such as <queues> with one bound parameter per element.

-- name: claim
-- Leases up to :max of the requested queues' claimable, due jobs, lowest priority number first,
-- then earliest run_at, then oldest id, to :worker until :expires.
UPDATE <job>
SET state = 'RUNNING', attempt = attempt + 1, lease_owner = :worker,
    lease_token = md5(random()::text || id::text)::uuid, lease_expires_at = :expires,
    cancel_requested = false, progress = 0, progress_message = NULL, started_at = :now, updated_at = :now
WHERE id = ANY(ARRAY(
        SELECT id FROM <job>
        WHERE state IN ('READY', 'SCHEDULED', 'RETRYING')
          AND queue IN (<queues>)
          AND queue NOT IN (SELECT queue FROM <paused_queue> UNION ALL SELECT queue FROM <queue_limit>)
          AND EXISTS (SELECT 1 FROM unnest(CAST(ARRAY[<queues>] AS text[])) AS q WHERE q NOT IN (SELECT queue FROM <paused_queue> UNION ALL SELECT queue FROM <queue_limit>))
          AND run_at <= :now
        ORDER BY priority, run_at, id
        LIMIT :max
        FOR UPDATE SKIP LOCKED))
  AND state IN ('READY', 'SCHEDULED', 'RETRYING')
RETURNING *

-- name: claim-from-floor
-- As claim, starting part-way along the claim index, at a floor of the claim order (ClaimFloors):
-- past the entries of jobs already claimed, which a held-back vacuum leaves behind.
UPDATE <job>
SET state = 'RUNNING', attempt = attempt + 1, lease_owner = :worker,
    lease_token = md5(random()::text || id::text)::uuid, lease_expires_at = :expires,
    cancel_requested = false, progress = 0, progress_message = NULL, started_at = :now, updated_at = :now
WHERE id = ANY(ARRAY(
        SELECT id FROM <job>
        WHERE state IN ('READY', 'SCHEDULED', 'RETRYING')
          AND queue IN (<queues>)
          AND queue NOT IN (SELECT queue FROM <paused_queue> UNION ALL SELECT queue FROM <queue_limit>)
          AND EXISTS (SELECT 1 FROM unnest(CAST(ARRAY[<queues>] AS text[])) AS q WHERE q NOT IN (SELECT queue FROM <paused_queue> UNION ALL SELECT queue FROM <queue_limit>))
          AND run_at <= :now
          AND (priority, run_at, id) >= (:floor_priority, :floor_run_at, :floor_id)
        ORDER BY priority, run_at, id
        LIMIT :max
        FOR UPDATE SKIP LOCKED))
  AND state IN ('READY', 'SCHEDULED', 'RETRYING')
RETURNING *

-- name: claim-among-ids
-- As claim, among the ids a dispatch queue handed out.
UPDATE <job>
SET state = 'RUNNING', attempt = attempt + 1, lease_owner = :worker,
    lease_token = md5(random()::text || id::text)::uuid, lease_expires_at = :expires,
    cancel_requested = false, progress = 0, progress_message = NULL, started_at = :now, updated_at = :now
WHERE id = ANY(ARRAY(
        SELECT id FROM <job>
        WHERE state IN ('READY', 'SCHEDULED', 'RETRYING')
          AND queue IN (<queues>)
          AND queue NOT IN (SELECT queue FROM <paused_queue> UNION ALL SELECT queue FROM <queue_limit>)
          AND EXISTS (SELECT 1 FROM unnest(CAST(ARRAY[<queues>] AS text[])) AS q WHERE q NOT IN (SELECT queue FROM <paused_queue> UNION ALL SELECT queue FROM <queue_limit>))
          AND run_at <= :now
          AND id IN (<ids>)
        ORDER BY priority, run_at, id
        LIMIT :max
        FOR UPDATE SKIP LOCKED))
  AND state IN ('READY', 'SCHEDULED', 'RETRYING')
RETURNING *

-- name: claim-limited
-- A limited queue's claimable jobs in claim order, locked; the store takes those its limits let
-- start.
SELECT * FROM <job>
WHERE state IN ('READY', 'SCHEDULED', 'RETRYING') AND queue IN (<queues>) AND run_at <= :now
ORDER BY priority, run_at, id
LIMIT :max
FOR UPDATE SKIP LOCKED

-- name: claim-limited-among-ids
-- As claim-limited, among the ids a dispatch queue handed out.
SELECT * FROM <job>
WHERE state IN ('READY', 'SCHEDULED', 'RETRYING') AND queue IN (<queues>) AND run_at <= :now AND id IN (<ids>)
ORDER BY priority, run_at, id
LIMIT :max
FOR UPDATE SKIP LOCKED

-- name: claim-limited-past-saturated-keys
-- As claim-limited, leaving out the jobs of concurrency keys at their limit (jobs without a key
-- stay in).
SELECT * FROM <job>
WHERE state IN ('READY', 'SCHEDULED', 'RETRYING') AND queue IN (<queues>) AND run_at <= :now
  AND (concurrency_key IS NULL OR concurrency_key NOT IN (<saturated>))
ORDER BY priority, run_at, id
LIMIT :max
FOR UPDATE SKIP LOCKED

-- name: claim-limited-among-ids-past-saturated-keys
-- As claim-limited-among-ids, leaving out the jobs of concurrency keys at their limit.
SELECT * FROM <job>
WHERE state IN ('READY', 'SCHEDULED', 'RETRYING') AND queue IN (<queues>) AND run_at <= :now AND id IN (<ids>)
  AND (concurrency_key IS NULL OR concurrency_key NOT IN (<saturated>))
ORDER BY priority, run_at, id
LIMIT :max
FOR UPDATE SKIP LOCKED

-- name: earliest
-- Now, if a job of the requested queues that are neither paused nor limited is due; else the
-- earliest run_at among their claimable jobs (all of them in the future): the first entry of the
-- claim index answers the first, the minimum is computed only when none is due.
SELECT CASE
    WHEN EXISTS (SELECT 1 FROM <job> WHERE state IN ('READY', 'SCHEDULED', 'RETRYING') AND queue IN (<queues>) AND queue NOT IN (SELECT queue FROM <paused_queue> UNION ALL SELECT queue FROM <queue_limit>) AND run_at <= :now) THEN :now
    ELSE (SELECT MIN(run_at) FROM <job> WHERE state IN ('READY', 'SCHEDULED', 'RETRYING') AND queue IN (<queues>) AND queue NOT IN (SELECT queue FROM <paused_queue> UNION ALL SELECT queue FROM <queue_limit>))
END AS earliest

-- name: earliest-from-floor
-- As earliest, starting where the queue's claims start: below a floor lie the entries a held-back
-- vacuum left.
SELECT CASE
    WHEN EXISTS (SELECT 1 FROM <job> WHERE state IN ('READY', 'SCHEDULED', 'RETRYING') AND queue IN (<queues>) AND queue NOT IN (SELECT queue FROM <paused_queue> UNION ALL SELECT queue FROM <queue_limit>) AND (priority, run_at, id) >= (:floor_priority, :floor_run_at, :floor_id) AND run_at <= :now) THEN :now
    ELSE (SELECT MIN(run_at) FROM <job> WHERE state IN ('READY', 'SCHEDULED', 'RETRYING') AND queue IN (<queues>) AND queue NOT IN (SELECT queue FROM <paused_queue> UNION ALL SELECT queue FROM <queue_limit>) AND (priority, run_at, id) >= (:floor_priority, :floor_run_at, :floor_id))
END AS earliest

-- name: earliest-limited
-- As earliest, for one limited queue.
SELECT CASE
    WHEN EXISTS (SELECT 1 FROM <job> WHERE state IN ('READY', 'SCHEDULED', 'RETRYING') AND queue IN (<queues>) AND run_at <= :now) THEN :now
    ELSE (SELECT MIN(run_at) FROM <job> WHERE state IN ('READY', 'SCHEDULED', 'RETRYING') AND queue IN (<queues>))
END AS earliest

-- name: earliest-limited-past-saturated-keys
-- As earliest-limited, leaving out the jobs of concurrency keys at their limit.
SELECT CASE
    WHEN EXISTS (SELECT 1 FROM <job> WHERE state IN ('READY', 'SCHEDULED', 'RETRYING') AND queue IN (<queues>) AND (concurrency_key IS NULL OR concurrency_key NOT IN (<saturated>)) AND run_at <= :now) THEN :now
    ELSE (SELECT MIN(run_at) FROM <job> WHERE state IN ('READY', 'SCHEDULED', 'RETRYING') AND queue IN (<queues>) AND (concurrency_key IS NULL OR concurrency_key NOT IN (<saturated>)))
END AS earliest

-- name: claim-order
-- A queue's claimable jobs in claim order, from the claim index alone: the first page.
SELECT id, priority, run_at FROM <job>
WHERE state IN ('READY', 'SCHEDULED', 'RETRYING') AND queue = :queue
ORDER BY priority, run_at, id
LIMIT :limit

-- name: claim-order-after
-- The next page, after the last place of the one before (a row-value range start).
SELECT id, priority, run_at FROM <job>
WHERE state IN ('READY', 'SCHEDULED', 'RETRYING') AND queue = :queue AND (priority, run_at, id) > (:after_priority, :after_run_at, :after_id)
ORDER BY priority, run_at, id
LIMIT :limit
