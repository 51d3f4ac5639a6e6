-- Whether any job depends on this one, kept on the job's own row. A completion reads it back from
-- the row it updates, which is the row's latest version even when the completion waited for a
-- create that was adding a dependent under the row's lock; a look at the dependency table from the
-- same statement saw the statement's older snapshot instead, missed the new dependent, and left it
-- waiting for ever.
ALTER TABLE ${prefix}job ADD COLUMN has_dependents boolean NOT NULL DEFAULT false;
UPDATE ${prefix}job SET has_dependents = true WHERE id IN (SELECT depends_on_id FROM ${prefix}dependency);
