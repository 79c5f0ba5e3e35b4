-- Lists a member of a room, counting it once however often it is written.
-- KEYS[1] the room's hash, KEYS[2] rooms, KEYS[3] this node's members set.
-- ARGV[1] the session, ARGV[2] this node, ARGV[3] the session's `userId\nname`, ARGV[4] the room.
if redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. '\n' .. ARGV[3]) == 1 then
  redis.call('HINCRBY', KEYS[2], ARGV[4], 1)
end
redis.call('SADD', KEYS[3], ARGV[4] .. '\n' .. ARGV[1])
return 1
