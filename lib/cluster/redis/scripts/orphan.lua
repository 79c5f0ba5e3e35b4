-- Claims a node that stopped or died so that its sessions can be adopted: like reap.lua it takes
-- the node off the list and deletes what only the node used, but it keeps its sessions routed to
-- it and listed in their rooms, since they are not gone: the adopter rewrites those entries as
-- it takes each session in. Returns {sessions, seen, states, signals}: sessions as a flat list of
-- [id, `userId\nname`, away ('1' or '0'), room-count, room...], the node's last delivered stream message
-- per room as [room, position...], the states it saved as it stopped as [id, json...], and the
-- signals its channel carried to it that it had not handled, oldest first.
-- KEYS[1] nodes, KEYS[2] the node's sessions hash, KEYS[3] its members set, KEYS[4] its away set,
-- KEYS[5] its seen hash, KEYS[6] its saved states, KEYS[7] its signals not handled.
-- ARGV[1] the node; ARGV[2] claim ('1': only if it is still listed with a heartbeat older than
-- ARGV[3], so that a node that refreshed meanwhile is spared; '0': whatever its heartbeat).
if ARGV[2] == '1' then
  local seen = redis.call('ZSCORE', KEYS[1], ARGV[1])
  if not seen or tonumber(seen) >= tonumber(ARGV[3]) then return {{}, {}, {}, {}} end
elseif redis.call('EXISTS', KEYS[2], KEYS[6]) == 0 then
  -- Already claimed by another node: nothing left to adopt.
  redis.call('ZREM', KEYS[1], ARGV[1])
  return {{}, {}, {}, {}}
end
redis.call('ZREM', KEYS[1], ARGV[1])
local names = redis.call('HGETALL', KEYS[2])
local rooms = {}
for _, entry in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  local cut = string.find(entry, '\n', 1, true)
  local id = string.sub(entry, cut + 1)
  rooms[id] = rooms[id] or {}
  table.insert(rooms[id], string.sub(entry, 1, cut - 1))
end
local sessions = {}
for i = 1, #names, 2 do
  local id = names[i]
  local list = rooms[id] or {}
  sessions[#sessions + 1] = id
  sessions[#sessions + 1] = names[i + 1]
  sessions[#sessions + 1] = redis.call('SISMEMBER', KEYS[4], id) == 1 and '1' or '0'
  sessions[#sessions + 1] = tostring(#list)
  for _, room in ipairs(list) do sessions[#sessions + 1] = room end
end
local seen = redis.call('HGETALL', KEYS[5])
local states = redis.call('HGETALL', KEYS[6])
local signals = redis.call('LRANGE', KEYS[7], 0, -1)
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7])
return {sessions, seen, states, signals}
