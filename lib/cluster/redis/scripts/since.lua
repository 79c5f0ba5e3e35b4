-- Every message of a room after a position, oldest last (the caller reverses), if they are all
-- still kept and there are at most ARGV[3]; nil when the replay could not be whole.
-- KEYS[1] the room's stream meta, KEYS[2] its history (list, newest first).
-- ARGV[1] the position's epoch, ARGV[2] its offset, ARGV[3] the most messages wanted.
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch or epoch ~= ARGV[1] then return false end
local count = tonumber(redis.call('HGET', KEYS[1], 'offset') or '0') - tonumber(ARGV[2])
if count < 0 or count > tonumber(ARGV[3]) then return false end
if count == 0 then return {} end
local messages = redis.call('LRANGE', KEYS[2], 0, count - 1)
if #messages < count then return false end
return messages
