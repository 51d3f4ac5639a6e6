-- What the store reports of its jobs, as H2 says it: DATE_TRUNC cuts a time to its minute, and
-- DATEDIFF measures in microseconds.

-- name: queue-stats
-- Per queue, the jobs that succeeded and failed since :since, and their mean run time in milliseconds.
SELECT queue, state, COUNT(*) AS n, AVG(DATEDIFF(MICROSECOND, started_at, finished_at) / 1000.0) AS run_ms FROM <job>
WHERE finished_at >= :since AND state IN ('SUCCEEDED', 'FAILED')
GROUP BY queue, state

-- name: finished-per-minute
-- The jobs that succeeded and failed since :since, per minute they finished in.
SELECT DATE_TRUNC(MINUTE, finished_at) AS finished_minute, state, COUNT(*) AS n FROM <job>
WHERE finished_at >= :since AND state IN ('SUCCEEDED', 'FAILED')
GROUP BY DATE_TRUNC(MINUTE, finished_at), state
