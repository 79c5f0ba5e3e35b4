-- Members of one room connected to the other live nodes, as a flat list [id, `userId\nname`, ...].
-- KEYS[1] nodes, KEYS[2] the room's hash.
-- ARGV[1] this node, ARGV[2] the oldest heartbeat that still counts as alive.
local live = {}
for _, node in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[2], '+inf')) do live[node] = true end
local out = {}
local entries = redis.call('HGETALL', KEYS[2])
for i = 1, #entries, 2 do
  local value = entries[i + 1]
  local cut = string.find(value, '\n', 1, true)
  local node = string.sub(value, 1, cut - 1)
  if node ~= ARGV[1] and live[node] then
    out[#out + 1] = entries[i]
    out[#out + 1] = string.sub(value, cut + 1)
  end
end
return out
