-- A claim asks for jobs in any of three states; with the state leading the claim index, H2 had to
-- sort every claimable job of the queue to find the first few. A generated column that is 1 for a
-- claimable job and NULL otherwise leads the index instead, which then holds a queue's claimable
-- jobs in claim order. (A simple CASE, not IN or OR: H2 2.4 turns those into a constant set bound
-- to the session that created the column, and fails every write once that session has closed.)
ALTER TABLE ${prefix}job ADD COLUMN claimable int GENERATED ALWAYS AS (CASE state WHEN 'READY' THEN 1 WHEN 'SCHEDULED' THEN 1 WHEN 'RETRYING' THEN 1 END);
DROP INDEX ${prefix}job_claim;
CREATE INDEX ${prefix}job_claim ON ${prefix}job (claimable, queue, priority, run_at, id);
