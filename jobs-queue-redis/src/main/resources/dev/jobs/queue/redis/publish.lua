-- Makes a queue's jobs dispatchable, or forgets them, as the store now has them; under a claim's
-- lapse time, also forgets the ids of that claim the store refused.
-- KEYS: ready, delayed, in-flight (sorted sets), priorities (hash); all of one queue.
-- ARGV: now (ms); a claim's lapse time (ms) to publish only the jobs still in flight under that
-- claim (a publish or another claim since then wins), or '' for all; then per job: id, 'add' or
-- 'drop', priority, runAt (ms).
-- An added job is ready (due) or delayed (not yet due) and no longer in flight; a dropped job
-- is in none of the sets. Returns how many jobs were added ready.
local now = tonumber(ARGV[1])
local onlyUnder = ARGV[2]
local ready = 0
for i = 3, #ARGV, 4 do
  local id = ARGV[i]
  local score = onlyUnder ~= '' and redis.call('ZSCORE', KEYS[3], id)
  if onlyUnder == '' or (score and tonumber(score) == tonumber(onlyUnder)) then
    redis.call('ZREM', KEYS[3], id)
    if ARGV[i + 1] == 'add' then
      local priority = tonumber(ARGV[i + 2])
      local runAt = tonumber(ARGV[i + 3])
      redis.call('HSET', KEYS[4], id, priority)
      if runAt <= now then
        redis.call('ZREM', KEYS[2], id)
        -- Priority first, then runAt; equal scores fall back to the id, which is time-ordered.
        redis.call('ZADD', KEYS[1], priority * 17592186044416 + runAt, id)
        ready = ready + 1
      else
        redis.call('ZREM', KEYS[1], id)
        redis.call('ZADD', KEYS[2], runAt, id)
      end
    else
      redis.call('ZREM', KEYS[1], id)
      redis.call('ZREM', KEYS[2], id)
      redis.call('HDEL', KEYS[4], id)
    end
  end
end
return ready
