-- A claim asks for jobs in any of three states; with the state leading the claim index, MariaDB had
-- to sort every claimable job of the queue to find the first few. A generated column that is 1 for
-- a claimable job and NULL otherwise leads the index instead, which then holds a queue's claimable
-- jobs in claim order.
ALTER TABLE ${prefix}job ADD COLUMN claimable tinyint AS (CASE WHEN state IN ('READY', 'SCHEDULED', 'RETRYING') THEN 1 END) VIRTUAL;
DROP INDEX ${prefix}job_claim ON ${prefix}job;
CREATE INDEX ${prefix}job_claim ON ${prefix}job (claimable, queue, priority, run_at, id);
