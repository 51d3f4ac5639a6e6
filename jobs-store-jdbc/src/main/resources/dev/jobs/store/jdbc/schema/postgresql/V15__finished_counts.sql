-- Running totals of finished jobs per queue and final state, so that counting a queue's jobs reads
-- these few rows and the live jobs, never the history, however much of it is kept. The transaction
-- that moves jobs into or out of a final state (finishing, retrying, purging) adds its net change
-- to one slot of each (queue, state) it touched, picked at random, so concurrent completions seldom
-- wait on one another's row; a reader sums the slots.
--
-- The totals start from the finished jobs as they stand at this migration. An engine of an older
-- release does not keep them, so let no older engine finish jobs on this schema (upgrade every
-- engine together), or its finished jobs go uncounted.
--
-- Each row is rewritten in place on every completion: half of each page is left free so the new
-- version lands on the same page (a HOT update), whose dead versions any later reader prunes,
-- without a vacuum.
CREATE TABLE ${prefix}finished_count (
    queue varchar(64) NOT NULL,
    state varchar(16) NOT NULL,
    slot  integer     NOT NULL,
    n     bigint      NOT NULL,
    PRIMARY KEY (queue, state, slot)
) WITH (fillfactor = 50);
INSERT INTO ${prefix}finished_count (queue, state, slot, n)
    SELECT queue, state, 0, COUNT(*) FROM ${prefix}job
    WHERE state IN ('SUCCEEDED', 'FAILED', 'CANCELLED') GROUP BY queue, state;
