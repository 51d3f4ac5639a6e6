-- Claims: the statements every database runs alike. Each database's own claims.sql (beside this
-- file, in a folder named after the database) holds the claims themselves, which differ in how a
-- claimable job is found along that database's claim index.
--
-- Jdbi fills in <job>, <queue_limit> and <paused_queue> with the store's prefixed table names, and
-- lists such as <queues> with one bound parameter per element.

-- name: any-limited
-- Whether any requested queue has limits: a claim without a transaction looks first, so that
-- claims on a store without limits pay one primary-key probe and nothing more.
SELECT queue FROM <queue_limit> WHERE queue IN (<queues>)

-- name: requested-limited-queues
-- The limit rows of the requested queues that are not paused: the limited queues a look for work
-- deals with.
SELECT * FROM <queue_limit>
WHERE queue IN (<queues>) AND queue NOT IN (SELECT queue FROM <paused_queue>)

-- name: lock-requested-limited-queues
-- As requested-limited-queues, locked in name order: claims on a limited queue take turns, so each
-- one's count of the running jobs holds until it commits, and claims on several queues cannot
-- deadlock.
SELECT * FROM <queue_limit>
WHERE queue IN (<queues>) AND queue NOT IN (SELECT queue FROM <paused_queue>)
ORDER BY queue
FOR UPDATE

-- name: take-starts
-- What is left of a limited queue's start bucket after a claim took from it.
UPDATE <queue_limit> SET tokens = :tokens, tokens_at = :tokens_at WHERE queue = :queue

-- name: running-per-key
-- A limited queue's running jobs per concurrency key. The lease index holds exactly the running
-- jobs, however large the backlog.
SELECT concurrency_key, COUNT(*) AS running FROM <job>
WHERE state = 'RUNNING' AND lease_expires_at IS NOT NULL AND queue = :queue
GROUP BY concurrency_key

-- name: held-queues
-- The queues a claim without limits leaves out: the paused ones and the limited ones.
SELECT queue FROM <paused_queue> UNION SELECT queue FROM <queue_limit>
