-- The claim index's claimable column becomes STORED. Indexed VIRTUAL columns are recomputed by
-- InnoDB's purge, and MariaDB 10.11 (seen on 10.11.19) can get that wrong right after a restart:
-- it logged "tried to purge non-delete-marked record in index <prefix>job_claim", flagged the index
-- corrupted, and from then on every claim failed with "Index <prefix>job is corrupted", so no job
-- ran again. A stored column is kept in the row and purge never computes it; it costs a byte a row.
-- One statement, so that no failure leaves the table without its claim index.
ALTER TABLE ${prefix}job
    DROP INDEX ${prefix}job_claim,
    DROP COLUMN claimable,
    ADD COLUMN claimable tinyint AS (CASE WHEN state IN ('READY', 'SCHEDULED', 'RETRYING') THEN 1 END) STORED,
    ADD INDEX ${prefix}job_claim (claimable, queue, priority, run_at, id);
