-- What a waiting worker needs to know about one queue, in one round trip.
-- KEYS: ready, delayed, in-flight (sorted sets), paused flag.
-- Returns: paused (0/1), ready count, earliest delayed runAt (ms, -1 if none),
-- earliest in-flight lapse (ms, -1 if none).
local function earliest(key)
  local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if #first == 0 then
    return -1
  end
  return tonumber(first[2])
end
return {
  redis.call('EXISTS', KEYS[4]),
  redis.call('ZCARD', KEYS[1]),
  earliest(KEYS[2]),
  earliest(KEYS[3])
}
