-- What the store reports of its jobs, as PostgreSQL says it: date_trunc cuts a time to its
-- minute, and the seconds of an interval are its EPOCH.

-- name: queue-stats
-- Per queue, the jobs that succeeded and failed since :since, and their mean run time in milliseconds.
SELECT queue, state, COUNT(*) AS n, AVG(EXTRACT(EPOCH FROM (finished_at - started_at)) * 1000) AS run_ms FROM <job>
WHERE finished_at >= :since AND state IN ('SUCCEEDED', 'FAILED')
GROUP BY queue, state

-- name: finished-per-minute
-- The jobs that succeeded and failed since :since, per minute they finished in.
SELECT date_trunc('minute', finished_at) AS finished_minute, state, COUNT(*) AS n FROM <job>
WHERE finished_at >= :since AND state IN ('SUCCEEDED', 'FAILED')
GROUP BY date_trunc('minute', finished_at), state
