-- Each job's last checkpoint (JobContext.checkpoint): the state its handler saved last, under the
-- lease of the attempt that saved it, read back by later attempts. Rewritten in place by each
-- save; deleted with its job when it is purged.
CREATE TABLE ${prefix}checkpoint (
    job_id   uuid NOT NULL PRIMARY KEY,
    state    clob NOT NULL,
    saved_at timestamp(6) NOT NULL
);
