-- Publishes a signal on its node's channel and keeps it until it is handled, in one step: in the
-- node's list of signals it heard, which the node takes each out of as it handles it (if the node
-- dies first, or hangs, the node that adopts its sessions delivers what is left), or, when no
-- node heard it, in the session's inbox, for the node that takes the session in.
-- KEYS[1] the node's signals heard and not yet handled, KEYS[2] the session's inbox.
-- ARGV[1] the node's channel, ARGV[2] the signal's JSON, ARGV[3] how long either is kept, in ms.
local heard = redis.call('PUBLISH', ARGV[1], ARGV[2])
local key = KEYS[2]
if heard > 0 then key = KEYS[1] end
redis.call('RPUSH', key, ARGV[2])
redis.call('PEXPIRE', key, ARGV[3])
return heard
