-- Hands out up to max ready job ids of one queue, moving each into the in-flight set until its
-- claim lapses. The caller then asks the store to lease them; only the store's yes counts.
-- KEYS: ready, delayed, in-flight (sorted sets), priorities (hash), paused flag.
-- ARGV: now (ms), claim lapses at (ms), max, most jobs to move per step.
if redis.call('EXISTS', KEYS[5]) == 1 then
  return {}
end
local now = tonumber(ARGV[1])
local step = tonumber(ARGV[4])
local function readyScore(id, runAt)
  -- A job without a known priority (its entry lost) goes in as normal; the store decides anyway.
  local priority = tonumber(redis.call('HGET', KEYS[4], id) or '50')
  return priority * 17592186044416 + runAt
end
-- Delayed jobs whose time has come are ready.
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'WITHSCORES', 'LIMIT', 0, step)
for i = 1, #due, 2 do
  redis.call('ZREM', KEYS[2], due[i])
  redis.call('ZADD', KEYS[1], readyScore(due[i], tonumber(due[i + 1])), due[i])
end
-- Claims that lapsed without the job ending (the claimer died before the store said yes, or the
-- job runs long) go back: the store refuses a job that is still running, and the claimer drops it.
local lapsed = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, step)
for _, id in ipairs(lapsed) do
  redis.call('ZREM', KEYS[3], id)
  redis.call('ZADD', KEYS[1], readyScore(id, 0), id)
end
local popped = redis.call('ZPOPMIN', KEYS[1], tonumber(ARGV[3]))
local ids = {}
for i = 1, #popped, 2 do
  ids[#ids + 1] = popped[i]
  redis.call('ZADD', KEYS[3], ARGV[2], popped[i])
end
return ids
