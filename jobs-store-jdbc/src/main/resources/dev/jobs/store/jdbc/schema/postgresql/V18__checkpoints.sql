-- Each job's last checkpoint (JobContext.checkpoint): the state its handler saved last, under the
-- lease of the attempt that saved it, read back by later attempts. Rewritten in place by each
-- save; deleted with its job when it is purged.
--
-- Half of each page is left free so that a rewritten row lands on its own page (a HOT update),
-- whose dead versions any later reader prunes, without a vacuum.
CREATE TABLE ${prefix}checkpoint (
    job_id   uuid NOT NULL PRIMARY KEY,
    state    text NOT NULL,
    saved_at timestamp(6) NOT NULL
) WITH (fillfactor = 50);
