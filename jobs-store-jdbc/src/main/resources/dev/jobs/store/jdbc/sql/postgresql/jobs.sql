-- The job table's rows written on PostgreSQL, a whole batch in one statement, its rows one JSON
-- parameter: a thousand jobs are one statement and one parse instead of a thousand executions
-- with thirty parameters each. A JSON column's text travels as a JSON string.
--
-- Jdbi fills in <job> with the store's prefixed table name. The column lists are the job's fields
-- (JobRows.JOB_COLUMNS), which SqlStatementsTest holds them to.

-- name: insert-jobs-and-announce
-- New jobs' rows from :rows, a JSON array of objects keyed by column name (JobRows#rowsJson):
-- json_populate_recordset turns it into rows of the job table's own type. The same statement
-- sends a NOTIFY on :channel for each queue that got claimable jobs, which PostgreSQL delivers to
-- the idle workers of every process when the transaction commits.
WITH inserted AS (
    INSERT INTO <job> (
        id, queue, type, payload, priority, state, run_at, attempt, max_attempts, timeout_ms,
        depends_on, on_dependency_failure, unique_key, progress, progress_message, result,
        last_error_type, last_error_message, last_error_stack, lease_owner, lease_token,
        lease_expires_at, cancel_requested, created_at, started_at, finished_at, updated_at,
        metadata, attempts, retry_policy, concurrency_key, pending_dependencies)
    SELECT
        id, queue, type, payload, priority, state, run_at, attempt, max_attempts, timeout_ms,
        depends_on, on_dependency_failure, unique_key, progress, progress_message, result,
        last_error_type, last_error_message, last_error_stack, lease_owner, lease_token,
        lease_expires_at, cancel_requested, created_at, started_at, finished_at, updated_at,
        metadata, attempts, retry_policy, concurrency_key, pending_dependencies
    FROM json_populate_recordset(NULL::<job>, CAST(:rows AS json))
    RETURNING queue, state)
SELECT pg_notify(:channel, queue)
FROM (SELECT DISTINCT queue FROM inserted WHERE state IN ('READY', 'SCHEDULED', 'RETRYING')) AS announced

-- name: complete-batch
-- A batch of successes recorded: the rows are found by primary key from the ids array (:ids), each
-- taking its values, and its fence (the lease token it must still hold), from the batch's JSON
-- object by its own id (:rows, JobRows#rowsByIdJson); a stale completion matches nothing and
-- changes nothing, and each changed row comes back with what a completion reads of it. The batch
-- is one row joined to every updated row, never a set of rows joined to them: a join of the rows
-- to json_to_recordset rows ran as a nested loop that read the whole batch again for each row (a
-- batch of 250 cost 62,500 comparisons, three quarters of the database's time in a drain at 256
-- workers), the planner having no count of either side. Finding the rows by the ids keeps the lease
-- index, whose entries (live and dead) grow with the work done since the last vacuum, out of the
-- plan (it cannot serve state = 'RUNNING', its predicate being on the lease, V8). OFFSET 0 keeps
-- the batch a subquery of its own: pulled up, its parsed value was copied into each of the
-- expressions that read it, and planning took longer than the update.
UPDATE <job> AS j SET
    state = CAST(b.batch -> CAST(j.id AS text) ->> 'state' AS text),
    result = CAST(b.batch -> CAST(j.id AS text) ->> 'result' AS text),
    progress = CAST(b.batch -> CAST(j.id AS text) ->> 'progress' AS integer),
    attempts = CAST(b.batch -> CAST(j.id AS text) ->> 'attempts' AS text),
    finished_at = CAST(b.batch -> CAST(j.id AS text) ->> 'finished_at' AS timestamp(6)),
    updated_at = CAST(b.batch -> CAST(j.id AS text) ->> 'updated_at' AS timestamp(6)),
    lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
FROM (SELECT CAST(:rows AS jsonb) AS batch OFFSET 0) AS b
WHERE j.id = ANY(CAST(:ids AS uuid[]))
  AND j.state = 'RUNNING'
  AND j.lease_token = CAST(b.batch -> CAST(j.id AS text) ->> 'fence' AS uuid)
RETURNING j.id, j.cancel_requested, j.progress_message, j.has_dependents
