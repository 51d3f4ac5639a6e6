-- Each job's finished runs (worker, start, end, outcome, error), as a JSON array; the dashboard
-- shows them. Jobs from before this version start with an empty history.
ALTER TABLE ${prefix}job ADD COLUMN attempts text NOT NULL DEFAULT '[]';
