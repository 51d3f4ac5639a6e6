-- The job table's rows written: the statements every database runs alike. PostgreSQL's own
-- jobs.sql (beside this file, in postgresql/) writes whole batches in one statement each.
--
-- Jdbi fills in <job> with the store's prefixed table name. The column lists are the job's fields
-- (JobRows.JOB_COLUMNS, in the schema's order), which SqlStatementsTest holds them to.

-- name: insert-job
-- One new job's row, with how many of its dependencies are unfinished: sent as a JDBC batch.
INSERT INTO <job> (
    id, queue, type, payload, priority, state, run_at, attempt, max_attempts, timeout_ms,
    depends_on, on_dependency_failure, unique_key, progress, progress_message, result,
    last_error_type, last_error_message, last_error_stack, lease_owner, lease_token,
    lease_expires_at, cancel_requested, created_at, started_at, finished_at, updated_at, metadata,
    attempts, retry_policy, concurrency_key, pending_dependencies)
VALUES (
    :id, :queue, :type, :payload, :priority, :state, :run_at, :attempt, :max_attempts, :timeout_ms,
    :depends_on, :on_dependency_failure, :unique_key, :progress, :progress_message, :result,
    :last_error_type, :last_error_message, :last_error_stack, :lease_owner, :lease_token,
    :lease_expires_at, :cancel_requested, :created_at, :started_at, :finished_at, :updated_at,
    :metadata, :attempts, :retry_policy, :concurrency_key, :pending_dependencies)

-- name: update-job
-- Every column of a job rewritten, by id.
UPDATE <job> SET
    queue = :queue, type = :type, payload = :payload, priority = :priority, state = :state,
    run_at = :run_at, attempt = :attempt, max_attempts = :max_attempts, timeout_ms = :timeout_ms,
    depends_on = :depends_on, on_dependency_failure = :on_dependency_failure,
    unique_key = :unique_key, progress = :progress, progress_message = :progress_message,
    result = :result, last_error_type = :last_error_type, last_error_message = :last_error_message,
    last_error_stack = :last_error_stack, lease_owner = :lease_owner, lease_token = :lease_token,
    lease_expires_at = :lease_expires_at, cancel_requested = :cancel_requested,
    created_at = :created_at, started_at = :started_at, finished_at = :finished_at,
    updated_at = :updated_at, metadata = :metadata, attempts = :attempts,
    retry_policy = :retry_policy, concurrency_key = :concurrency_key
WHERE id = :id

-- name: complete-job
-- A success recorded, by id (the columns JobTransitions.succeeded changes), the lease cleared;
-- sent as a JDBC batch after lock-for-completion found the rows still leased to their workers.
UPDATE <job> SET
    state = :state, result = :result, progress = :progress, attempts = :attempts,
    finished_at = :finished_at, updated_at = :updated_at, lease_owner = NULL, lease_token = NULL,
    lease_expires_at = NULL
WHERE id = :id

-- name: lock-for-completion
-- The rows a batch of completions names, locked in id order (so concurrent batches cannot
-- deadlock), with their state and lease, and what a completion reads back of them.
SELECT j.id, j.cancel_requested, j.progress_message, j.has_dependents, j.state, j.lease_token
FROM <job> j
WHERE j.id IN (<ids>)
ORDER BY j.id
FOR UPDATE
