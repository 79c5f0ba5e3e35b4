-- Renames a session of this node and tells every node, in one step, as a MULTI would.
-- KEYS[1] this node's sessions hash, KEYS[2..] the hashes of the rooms the session is in.
-- ARGV[1] the session, ARGV[2] its `userId\nname`, ARGV[3] its room entry (`node\nuserId\nname`),
-- ARGV[4] the control channel, ARGV[5] the control message.
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
for i = 2, #KEYS do
  -- Only where the membership is listed: a bare HSET would list it without counting it.
  if redis.call('HEXISTS', KEYS[i], ARGV[1]) == 1 then redis.call('HSET', KEYS[i], ARGV[1], ARGV[3]) end
end
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1
