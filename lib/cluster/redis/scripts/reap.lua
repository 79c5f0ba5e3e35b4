-- Removes everything a node owns and returns it as a flat list of
-- [id, `userId\nname`, room-count, room...] per session.
-- KEYS[1] nodes, KEYS[2] sessions, KEYS[3] rooms, KEYS[4] the node's sessions hash,
-- KEYS[5] the node's members set, KEYS[6] the node's away set, KEYS[7] its seen hash (written
-- whether resume is on or not, so it goes here too, not only in orphan.lua).
-- ARGV[1] the node; ARGV[2] claim: '1' only if the node is still listed with a heartbeat older
-- than ARGV[3], as the reaper of a dead node does, so a node that refreshed meanwhile is spared;
-- '0' unconditionally, as a node wiping its own entries does. ARGV[4] what goes before a room to
-- name its hash: the rooms are read from the members set here, so their keys cannot be passed in
-- KEYS (docs/scaling.md); ARGV[5] likewise for a user's hash, whose user id is read from the
-- session's `userId\nname` value (entries.ts).
if ARGV[2] == '1' then
  local seen = redis.call('ZSCORE', KEYS[1], ARGV[1])
  if not seen or tonumber(seen) >= tonumber(ARGV[3]) then return {} end
end
redis.call('ZREM', KEYS[1], ARGV[1])
local names = redis.call('HGETALL', KEYS[4])
local rooms = {}
for _, entry in ipairs(redis.call('SMEMBERS', KEYS[5])) do
  local cut = string.find(entry, '\n', 1, true)
  local room = string.sub(entry, 1, cut - 1)
  local id = string.sub(entry, cut + 1)
  if redis.call('HDEL', ARGV[4] .. room, id) == 1 then
    if redis.call('HINCRBY', KEYS[3], room, -1) <= 0 then redis.call('HDEL', KEYS[3], room) end
  end
  rooms[id] = rooms[id] or {}
  table.insert(rooms[id], room)
end
local out = {}
for i = 1, #names, 2 do
  local id = names[i]
  redis.call('HDEL', KEYS[2], id)
  local cut = string.find(names[i + 1], '\n', 1, true)
  if cut and cut > 1 then
    local user = ARGV[5] .. string.sub(names[i + 1], 1, cut - 1)
    local entry = redis.call('HGET', user, id)
    -- Only the node's own entry: a session that moved on is listed under its new node.
    if entry and string.sub(entry, 1, #ARGV[1] + 1) == ARGV[1] .. '\n' then
      redis.call('HDEL', user, id)
    end
  end
  local list = rooms[id] or {}
  out[#out + 1] = id
  out[#out + 1] = names[i + 1]
  out[#out + 1] = tostring(#list)
  for _, room in ipairs(list) do out[#out + 1] = room end
end
redis.call('DEL', KEYS[4], KEYS[5], KEYS[6], KEYS[7])
return out
