-- Sessions connected to the other live nodes: the sum of their sessions hashes' sizes, less the
-- sessions that are away.
-- KEYS[1] nodes.
-- ARGV[1] this node, ARGV[2] the oldest heartbeat that still counts as alive,
-- ARGV[3] and ARGV[4] what goes before and after a node id to name its sessions hash, ARGV[5] and
-- ARGV[6] the same for its away set. Those keys depend on the node list read here, so they cannot
-- be passed in KEYS (docs/scaling.md).
local total = 0
for _, node in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[2], '+inf')) do
  if node ~= ARGV[1] then
    total = total + redis.call('HLEN', ARGV[3] .. node .. ARGV[4])
      - redis.call('SCARD', ARGV[5] .. node .. ARGV[6])
  end
end
return total
