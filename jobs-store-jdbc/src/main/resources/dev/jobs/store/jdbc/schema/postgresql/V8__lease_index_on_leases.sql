-- The lease index covers the rows that hold a lease (lease_expires_at is set on exactly the running
-- jobs) instead of the rows whose state is RUNNING. Its entries are the same; what changes is which
-- statements may use it. A completion finds its rows by id and state = 'RUNNING', and with the old
-- predicate the planner could answer that by walking the whole lease index, filtering on id: while
-- vacuum is held back the live partition's statistics say it is nearly empty, so that walk looks
-- cheap, yet it steps through the dead entry of every job run since the snapshot was taken. Now
-- only a statement that bounds lease_expires_at (the lease reclaimer) matches the predicate, and a
-- completion goes by primary key.
DROP INDEX ${prefix}job_lease;
CREATE INDEX ${prefix}job_lease ON ${prefix}job_live (lease_expires_at) WHERE lease_expires_at IS NOT NULL;
