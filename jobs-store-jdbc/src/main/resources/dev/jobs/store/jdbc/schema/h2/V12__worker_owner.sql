-- Who may report under each worker id: 'engine' for an engine's own pool, else whoever first
-- registered it from outside (over HTTP, a fingerprint of the caller's token), so that nobody can
-- report, or be declared dead, under another's id. Workers registered before this have no owner
-- (''): the first to report again takes theirs.
ALTER TABLE ${prefix}worker ADD COLUMN owner varchar(100) NOT NULL DEFAULT '';
