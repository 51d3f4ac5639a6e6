-- Rows inserted unless a row with their key exists, never failing on the duplicate and never
-- changing the row that is there: H2 has no ON CONFLICT outside its PostgreSQL mode, so a MERGE
-- that inserts only when no row matches the key. It reports one row when it inserted and none when
-- the key was taken.
--
-- Jdbi fills in <unique_key> and the others with the store's prefixed table names.

-- name: take-unique-key
-- A job takes its unique key, unless an unfinished job holds it.
MERGE INTO <unique_key> t
USING (VALUES (:key, :job_id)) AS s (unique_key, job_id)
ON t.unique_key = s.unique_key
WHEN NOT MATCHED THEN INSERT (unique_key, job_id) VALUES (s.unique_key, s.job_id)

-- name: take-idempotency-key
-- A job takes its idempotency key, unless a job holds it; a concurrent creator with the same key
-- waits on the row until the first commits.
MERGE INTO <idempotency_key> t
USING (VALUES (:key, :job_id, :fingerprint)) AS s (idempotency_key, job_id, fingerprint)
ON t.idempotency_key = s.idempotency_key
WHEN NOT MATCHED THEN INSERT (idempotency_key, job_id, fingerprint) VALUES (s.idempotency_key, s.job_id, s.fingerprint)

-- name: pause-queue
-- A queue paused, if it is not already.
MERGE INTO <paused_queue> t
USING (VALUES (:key)) AS s (queue)
ON t.queue = s.queue
WHEN NOT MATCHED THEN INSERT (queue) VALUES (s.queue)

-- name: insert-recurring
-- A recurring definition saved the first time, unless another instance saved it first.
MERGE INTO <recurring> t
USING (VALUES (:key, :schedule, :definition, :up_to, 1, :updated_at)) AS s (name, schedule, definition, up_to, version, updated_at)
ON t.name = s.name
WHEN NOT MATCHED THEN INSERT (name, schedule, definition, up_to, version, updated_at) VALUES (s.name, s.schedule, s.definition, s.up_to, s.version, s.updated_at)

-- name: insert-worker
-- A worker registered under a new id, unless another owner registered it first.
MERGE INTO <worker> t
USING (VALUES (:key, :owner, :host, :queues, :concurrency, :running, :started_at, :last_heartbeat_at, :expires_at)) AS s (id, owner, host, queues, concurrency, running, started_at, last_heartbeat_at, expires_at)
ON t.id = s.id
WHEN NOT MATCHED THEN INSERT (id, owner, host, queues, concurrency, running, started_at, last_heartbeat_at, expires_at) VALUES (s.id, s.owner, s.host, s.queues, s.concurrency, s.running, s.started_at, s.last_heartbeat_at, s.expires_at)

-- name: add-finished-count-row
-- A new row of a (queue, state) total of finished jobs, at a slot picked at random, unless that
-- slot exists.
MERGE INTO <finished_count> t
USING (VALUES (:queue, :state, :slot, :n)) AS s (queue, state, slot, n)
ON t.queue = s.queue AND t.state = s.state AND t.slot = s.slot
WHEN NOT MATCHED THEN INSERT (queue, state, slot, n) VALUES (s.queue, s.state, s.slot, s.n)
