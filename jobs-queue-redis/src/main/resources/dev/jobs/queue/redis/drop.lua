-- Forgets claimed ids the store refused (cancelled, already running, finished), but only while
-- they are still in flight under this claim: a publish or another claim since then wins.
-- KEYS: in-flight (sorted set), priorities (hash). ARGV: the claim's lapse time (ms), ids.
local dropped = 0
for i = 2, #ARGV do
  local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if score and tonumber(score) == tonumber(ARGV[1]) then
    redis.call('ZREM', KEYS[1], ARGV[i])
    redis.call('HDEL', KEYS[2], ARGV[i])
    dropped = dropped + 1
  end
end
return dropped
