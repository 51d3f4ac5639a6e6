-- When a worker said it was stopping and handed its jobs back: it is listed as stopped, never
-- declared dead, and its id is free for anyone until it reports again.
ALTER TABLE ${prefix}worker ADD COLUMN stopped_at datetime(6) NULL;
