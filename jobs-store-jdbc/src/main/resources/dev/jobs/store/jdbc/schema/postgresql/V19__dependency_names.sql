-- The name a job has for one of its dependencies: the dependency's ref in the graph that created
-- them both, by which the job's handler reads its parents' results. Null for a dependency named by
-- id. Written by the transaction that creates the job, with its edges.
ALTER TABLE ${prefix}dependency ADD COLUMN name varchar(255);
