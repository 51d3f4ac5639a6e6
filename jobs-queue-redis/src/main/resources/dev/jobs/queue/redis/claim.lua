-- Hands out up to max ready job ids of one queue, moving each into the in-flight set until its
-- claim lapses. The caller then asks the store to lease them; only the store's yes counts.
-- Claims that lapsed without the job ending (the claimer died before the store said yes, or was
-- killed before it published the job's next state, or the job runs long) are held again under
-- this claim and handed back too: the caller asks the store what became of each job and publishes
-- that, so that each goes back to its place in the claim order as the store now has it, or is
-- forgotten.
-- KEYS: ready, delayed, in-flight (sorted sets), priorities (hash), paused flag.
-- ARGV: now (ms), claim lapses at (ms), max, most jobs to move per step, most lapsed claims to take.
-- Returns: {ids handed out, ids of lapsed claims}.
if redis.call('EXISTS', KEYS[5]) == 1 then
  return {{}, {}}
end
local now = tonumber(ARGV[1])
local step = tonumber(ARGV[4])
-- Delayed jobs whose time has come are ready.
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'WITHSCORES', 'LIMIT', 0, step)
for i = 1, #due, 2 do
  redis.call('ZREM', KEYS[2], due[i])
  -- A job without a known priority (its entry lost) goes in as normal; the store decides anyway.
  local priority = tonumber(redis.call('HGET', KEYS[4], due[i]) or '50')
  redis.call('ZADD', KEYS[1], priority * 17592186044416 + tonumber(due[i + 1]), due[i])
end
local lapsed = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, tonumber(ARGV[5]))
for _, id in ipairs(lapsed) do
  redis.call('ZADD', KEYS[3], ARGV[2], id)
end
local popped = redis.call('ZPOPMIN', KEYS[1], tonumber(ARGV[3]))
local ids = {}
for i = 1, #popped, 2 do
  ids[#ids + 1] = popped[i]
  redis.call('ZADD', KEYS[3], ARGV[2], popped[i])
end
return {ids, lapsed}
