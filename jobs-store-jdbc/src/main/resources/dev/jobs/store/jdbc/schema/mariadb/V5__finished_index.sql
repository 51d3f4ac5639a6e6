-- Finished jobs by when they finished, whatever their queue: retention ("finished before"), the
-- queue statistics and the per-minute chart all ask for a window of finished_at across queues,
-- which the queue-led index could not serve (retention scanned the whole table). The queue comes
-- second, for retention that keeps the latest jobs of each queue.
DROP INDEX ${prefix}job_finished ON ${prefix}job;
CREATE INDEX ${prefix}job_finished ON ${prefix}job (finished_at, queue);
