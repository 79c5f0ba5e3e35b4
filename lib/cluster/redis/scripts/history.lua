-- A page of a room's history: the newest `limit` messages, or the newest of those below offset
-- `before`, with the room's position, read together so they agree.
-- KEYS[1] the room's stream meta, KEYS[2] its history (list, newest first: index i holds offset
-- `offset - i`). ARGV[1] an epoch to start with, ARGV[2] history TTL in ms, ARGV[3] limit,
-- ARGV[4] before (0: none).
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch then
  epoch = ARGV[1]
  redis.call('HSET', KEYS[1], 'epoch', epoch, 'offset', 0)
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {0, epoch}
end
local offset = tonumber(redis.call('HGET', KEYS[1], 'offset') or '0')
local first = 0
local before = tonumber(ARGV[4])
if before > 0 then first = math.max(0, offset - before + 1) end
local out = {offset, epoch}
for _, message in ipairs(redis.call('LRANGE', KEYS[2], first, first + tonumber(ARGV[3]) - 1)) do
  out[#out + 1] = message
end
return out
