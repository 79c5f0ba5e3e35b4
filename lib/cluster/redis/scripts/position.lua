-- A room's stream position, starting the stream (with no message yet) if the room has none, so
-- the epoch a joiner is told is the one the room's first message will carry.
-- KEYS[1] the room's stream meta. ARGV[1] an epoch to start with, ARGV[2] history TTL in ms.
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch then
  epoch = ARGV[1]
  redis.call('HSET', KEYS[1], 'epoch', epoch, 'offset', 0)
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return {tonumber(redis.call('HGET', KEYS[1], 'offset') or '0'), epoch}
