-- 1 when the session is connected to another live node, else 0.
-- KEYS[1] sessions, KEYS[2] nodes.
-- ARGV[1] the session, ARGV[2] this node, ARGV[3] the oldest heartbeat that still counts as alive.
local node = redis.call('HGET', KEYS[1], ARGV[1])
if not node or node == ARGV[2] then return 0 end
local seen = redis.call('ZSCORE', KEYS[2], node)
if seen and tonumber(seen) >= tonumber(ARGV[3]) then return 1 end
return 0
