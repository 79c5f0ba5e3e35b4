-- Removes a member of a room; a room with no member left leaves the count hash.
-- KEYS[1] the room's hash, KEYS[2] rooms, KEYS[3] this node's members set.
-- ARGV[1] the session, ARGV[2] the room.
if redis.call('HDEL', KEYS[1], ARGV[1]) == 1 then
  if redis.call('HINCRBY', KEYS[2], ARGV[2], -1) <= 0 then redis.call('HDEL', KEYS[2], ARGV[2]) end
end
redis.call('SREM', KEYS[3], ARGV[2] .. '\n' .. ARGV[1])
return 1
