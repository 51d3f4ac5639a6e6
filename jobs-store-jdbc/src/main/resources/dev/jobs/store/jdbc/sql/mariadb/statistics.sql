-- What the store reports of its jobs, as MySQL and MariaDB say it: a time cut to its minute is
-- formatted and read back, and TIMESTAMPDIFF measures in microseconds.

-- name: queue-stats
-- Per queue, the jobs that succeeded and failed since :since, and their mean run time in milliseconds.
SELECT queue, state, COUNT(*) AS n, AVG(TIMESTAMPDIFF(MICROSECOND, started_at, finished_at) / 1000.0) AS run_ms FROM <job>
WHERE finished_at >= :since AND state IN ('SUCCEEDED', 'FAILED')
GROUP BY queue, state

-- name: finished-per-minute
-- The jobs that succeeded and failed since :since, per minute they finished in.
SELECT TIMESTAMP(DATE_FORMAT(finished_at, '%Y-%m-%d %H:%i:00')) AS finished_minute, state, COUNT(*) AS n FROM <job>
WHERE finished_at >= :since AND state IN ('SUCCEEDED', 'FAILED')
GROUP BY TIMESTAMP(DATE_FORMAT(finished_at, '%Y-%m-%d %H:%i:00')), state

-- name: live-counts
-- How many unfinished jobs each queue holds per state, through the state-led lease index, named:
-- on a table of a few thousand rows, most of them finished, MariaDB reckoned a scan of the whole
-- table cheaper than a range of live states, and the count would grow with the history up to
-- where it changed its mind. (<job>_lease is the index's name, the table's prefixed.)
SELECT queue, state, COUNT(*) AS n FROM <job> FORCE INDEX (<job>_lease)
WHERE state IN (<live>)
GROUP BY queue, state
