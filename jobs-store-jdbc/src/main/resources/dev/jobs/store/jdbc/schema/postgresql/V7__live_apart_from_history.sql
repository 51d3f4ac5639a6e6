-- Live jobs apart from finished ones: the job table becomes partitioned by state, one partition for
-- jobs not yet finished and one for the finished history. Claims, leases and schedules scan only
-- the live partition, which stays as small as the work in hand however much history is kept; a job
-- that finishes moves to the history partition (PostgreSQL moves the row within the same UPDATE).
-- Every statement of the store still names the parent table.
--
-- The live partition is updated several times per job, so it keeps a fifth of each page free (new
-- row versions stay on their page) and is vacuumed and analyzed every thousand changed rows, not at
-- a fifth of its size; the history is written once per job and left to the defaults.
--
-- Existing jobs are copied into the new table inside this migration, which holds the migration lock
-- meanwhile: for a table of many millions of jobs, run it at a quiet time or purge history first.
CREATE TABLE ${prefix}job_partitioned (LIKE ${prefix}job INCLUDING DEFAULTS) PARTITION BY LIST (state);
CREATE TABLE ${prefix}job_live PARTITION OF ${prefix}job_partitioned
    FOR VALUES IN ('PENDING', 'SCHEDULED', 'READY', 'RUNNING', 'RETRYING')
    WITH (fillfactor = 80,
          autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000,
          autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 1000,
          autovacuum_vacuum_cost_delay = 0);
CREATE TABLE ${prefix}job_history PARTITION OF ${prefix}job_partitioned
    FOR VALUES IN ('SUCCEEDED', 'FAILED', 'CANCELLED');
INSERT INTO ${prefix}job_partitioned SELECT * FROM ${prefix}job;
DROP TABLE ${prefix}job;
ALTER TABLE ${prefix}job_partitioned RENAME TO ${prefix}job;

-- A partitioned table's primary key must hold the partition key; each partition has its own on id
-- instead (ids are unique by construction, UUID v7 made by the engine).
ALTER TABLE ${prefix}job_live ADD CONSTRAINT ${prefix}job_live_pkey PRIMARY KEY (id);
ALTER TABLE ${prefix}job_history ADD CONSTRAINT ${prefix}job_history_pkey PRIMARY KEY (id);
CREATE INDEX ${prefix}job_claim ON ${prefix}job_live (queue, priority, run_at, id)
    WHERE state IN ('READY', 'SCHEDULED', 'RETRYING');
CREATE INDEX ${prefix}job_lease ON ${prefix}job_live (lease_expires_at) WHERE state = 'RUNNING';
CREATE INDEX ${prefix}job_scheduled ON ${prefix}job_live (run_at) WHERE state = 'SCHEDULED';
CREATE INDEX ${prefix}job_finished ON ${prefix}job_history (finished_at, queue);
