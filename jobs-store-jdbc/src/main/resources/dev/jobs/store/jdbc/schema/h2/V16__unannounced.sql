-- The jobs a host's own transaction created (transactional enqueue) whose creation no engine has
-- announced yet: a row is written in the host's transaction beside its job, so it exists only if
-- the host commits, and an engine takes it once committed, deleting it, and raises the job's
-- events and publishes it to dispatch (Redis). A job purged before it is announced leaves its row
-- to be taken and skipped.
CREATE TABLE ${prefix}unannounced (
    job_id uuid NOT NULL PRIMARY KEY
);
