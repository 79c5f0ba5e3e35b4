-- Numbers one chat message in its room, keeps it for history, and publishes it to every node,
-- the publishing node included, all in one step: Redis runs one script at a time, so the order of
-- offsets is the order of publication on the room's channel, whichever node published.
-- KEYS[1] the room's stream meta (hash: epoch, offset), KEYS[2] its history (list, newest first).
-- ARGV[1] an epoch to start with if the room has none, ARGV[2] history size, ARGV[3] history TTL
-- in ms, ARGV[4] the room's channel, ARGV[5] what goes before the frame on the channel,
-- ARGV[6] the message's JSON without its closing brace.
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch then
  epoch = ARGV[1]
  redis.call('HSET', KEYS[1], 'epoch', epoch)
end
local offset = redis.call('HINCRBY', KEYS[1], 'offset', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
local message = ARGV[6] .. ',"offset":' .. offset .. ',"epoch":"' .. epoch .. '"}'
local size = tonumber(ARGV[2])
if size > 0 then
  redis.call('LPUSH', KEYS[2], message)
  redis.call('LTRIM', KEYS[2], 0, size - 1)
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
end
redis.call('PUBLISH', ARGV[4], ARGV[5] .. '{"type":"chat","data":' .. message .. '}')
return {offset, epoch}
