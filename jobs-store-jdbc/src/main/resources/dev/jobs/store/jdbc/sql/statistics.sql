-- What the store reports of its jobs: the statements every database runs alike. Each database's own
-- statistics.sql (beside this file, in a folder named after it) holds those that differ, in how a
-- database cuts a time to its minute or measures the time between two.

-- name: live-counts
-- How many unfinished jobs each queue holds per state (<live> is the list of unfinished states).
-- On PostgreSQL the condition prunes the history partition from the plan; on H2 the state-led
-- indexes serve it.
SELECT queue, state, COUNT(*) AS n FROM <job>
WHERE state IN (<live>)
GROUP BY queue, state
