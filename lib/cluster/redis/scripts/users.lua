-- One user's sessions on the other live nodes, as a flat list of [id, `userId\nname`,
-- connectedAt, away ('1' or '0')] per session.
-- KEYS[1] nodes, KEYS[2] the user's hash (session id → `node\nconnectedAt`).
-- ARGV[1] this node, ARGV[2] the oldest heartbeat that still counts as alive, ARGV[3] and ARGV[4]
-- what goes before and after a node id to name its sessions hash, ARGV[5] and ARGV[6] the same
-- for its away set: those keys depend on the entries read here (docs/scaling.md).
local live = {}
for _, node in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[2], '+inf')) do live[node] = true end
local out = {}
local entries = redis.call('HGETALL', KEYS[2])
for i = 1, #entries, 2 do
  local id = entries[i]
  local value = entries[i + 1]
  local cut = string.find(value, '\n', 1, true)
  local node = string.sub(value, 1, cut - 1)
  if node ~= ARGV[1] and live[node] then
    -- A session that moved on from the node is no longer in its hash.
    local named = redis.call('HGET', ARGV[3] .. node .. ARGV[4], id)
    if named then
      out[#out + 1] = id
      out[#out + 1] = named
      out[#out + 1] = string.sub(value, cut + 1)
      out[#out + 1] = redis.call('SISMEMBER', ARGV[5] .. node .. ARGV[6], id) == 1 and '1' or '0'
    end
  end
end
return out
