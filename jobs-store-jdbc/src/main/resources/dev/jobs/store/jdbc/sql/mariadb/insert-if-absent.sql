-- Rows inserted unless a row with their key exists, never failing on the duplicate and never
-- changing the row that is there: INSERT IGNORE, which reports one row when it inserted and none
-- when the key was taken. (MySQL's ON DUPLICATE KEY UPDATE would report the taken key as a change.)
--
-- Jdbi fills in <unique_key> and the others with the store's prefixed table names.

-- name: take-unique-key
-- A job takes its unique key, unless an unfinished job holds it.
INSERT IGNORE INTO <unique_key> (unique_key, job_id)
VALUES (:key, :job_id)

-- name: take-idempotency-key
-- A job takes its idempotency key, unless a job holds it; a concurrent creator with the same key
-- waits on the row until the first commits.
INSERT IGNORE INTO <idempotency_key> (idempotency_key, job_id, fingerprint)
VALUES (:key, :job_id, :fingerprint)

-- name: pause-queue
-- A queue paused, if it is not already.
INSERT IGNORE INTO <paused_queue> (queue)
VALUES (:key)

-- name: insert-recurring
-- A recurring definition saved the first time, unless another instance saved it first.
INSERT IGNORE INTO <recurring> (name, schedule, definition, up_to, version, updated_at)
VALUES (:key, :schedule, :definition, :up_to, 1, :updated_at)

-- name: insert-worker
-- A worker registered under a new id, unless another owner registered it first.
INSERT IGNORE INTO <worker> (id, owner, host, queues, concurrency, running, started_at, last_heartbeat_at, expires_at)
VALUES (:key, :owner, :host, :queues, :concurrency, :running, :started_at, :last_heartbeat_at, :expires_at)

-- name: add-finished-count-row
-- A new row of a (queue, state) total of finished jobs, at a slot picked at random, unless that
-- slot exists.
INSERT IGNORE INTO <finished_count> (queue, state, slot, n)
VALUES (:queue, :state, :slot, :n)
