-- Worker liveness: when each worker counts as dead unless it reports again (it sets this from its
-- own lease length), and when another instance declared it dead and took its jobs back.
ALTER TABLE ${prefix}worker ADD COLUMN expires_at timestamp(6);
ALTER TABLE ${prefix}worker ADD COLUMN died_at timestamp(6);
UPDATE ${prefix}worker SET expires_at = last_heartbeat_at;
ALTER TABLE ${prefix}worker ALTER COLUMN expires_at SET NOT NULL;
