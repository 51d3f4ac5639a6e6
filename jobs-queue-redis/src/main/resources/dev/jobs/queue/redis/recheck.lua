-- Brings forward the lapse of claimed ids the store skipped because another transaction held
-- their rows, while they are still in flight under this claim (a publish or another claim since
-- then wins): they go back to their place when the short wait is over, not a whole claim hold later.
-- KEYS: in-flight (sorted set). ARGV: the claim's lapse time (ms), the new lapse time (ms), ids.
local moved = 0
for i = 3, #ARGV do
  local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if score and tonumber(score) == tonumber(ARGV[1]) then
    redis.call('ZADD', KEYS[1], ARGV[2], ARGV[i])
    moved = moved + 1
  end
end
return moved
