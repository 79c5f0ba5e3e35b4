-- Holds a place for one more connection of a user if its connected sessions on live nodes (away
-- ones aside, and the one a resume takes over) and the places still held for its connections
-- number fewer than the limit: the check and the hold in one step, so that connections racing on
-- several nodes cannot all read the same count. Answers 1 when the place is held, 0 when not.
-- KEYS[1] nodes, KEYS[2] the user's hash (session id → `node\nconnectedAt`), KEYS[3] the user's
-- places (sorted set: place id → when it lapses, in ms of Redis's own clock, the one clock every
-- node shares).
-- ARGV[1] the oldest heartbeat that still counts as alive, ARGV[2] the limit, ARGV[3] the place's
-- id, ARGV[4] how long it may be held (ms), ARGV[5] the session a resume takes over ('' for
-- none), ARGV[6] and ARGV[7] what goes before and after a node id to name its sessions hash,
-- ARGV[8] and ARGV[9] the same for its away set: those keys depend on the entries read here
-- (docs/scaling.md).
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
-- Places a node never gave back (it died before the connection's welcome) lapse.
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
local limit = tonumber(ARGV[2])
local count = redis.call('ZCARD', KEYS[3])
if count < limit then
  local live = {}
  for _, node in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], '+inf')) do live[node] = true end
  local entries = redis.call('HGETALL', KEYS[2])
  for i = 1, #entries, 2 do
    local id = entries[i]
    local value = entries[i + 1]
    local node = string.sub(value, 1, string.find(value, '\n', 1, true) - 1)
    -- A session that moved on from the node is no longer in its hash.
    if id ~= ARGV[5] and live[node]
      and redis.call('HEXISTS', ARGV[6] .. node .. ARGV[7], id) == 1
      and redis.call('SISMEMBER', ARGV[8] .. node .. ARGV[9], id) == 0 then
      count = count + 1
    end
  end
end
if count >= limit then return 0 end
local ttl = tonumber(ARGV[4])
redis.call('ZADD', KEYS[3], now + ttl, ARGV[3])
-- The newest place lapses last: the set goes with it.
redis.call('PEXPIRE', KEYS[3], ttl)
return 1
