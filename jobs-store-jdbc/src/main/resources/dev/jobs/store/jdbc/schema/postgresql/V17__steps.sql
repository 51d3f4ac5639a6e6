-- The durable steps of jobs (JobContext.step): each recorded once, in order (idx from 0), under
-- the lease of the attempt that ran it, and read back by later attempts of the job. Deleted with
-- their job when it is purged.
CREATE TABLE ${prefix}step (
    job_id      uuid NOT NULL,
    idx         integer      NOT NULL,
    name        varchar(128) NOT NULL,
    result      text NOT NULL,
    recorded_at timestamp(6) NOT NULL,
    PRIMARY KEY (job_id, idx)
);
