-- Acknowledges a batch of items: out of the group's pending list, into `done` (or `failed`,
-- unless some runner wrote it), with one command of each kind for the whole batch.
--
-- KEYS: the stream, the done hash, the failed hash.
-- ARGV: the group, this runner, the number of items done, then for each item done its entry
-- id and line, then for each item failed its entry id, line and reason.
-- Returns the entries acknowledged.
local group, runner, done_count = ARGV[1], ARGV[2], tonumber(ARGV[3])
local ids, done, lines = {}, {}, {}
local i = 4
for _ = 1, done_count do
  ids[#ids + 1] = ARGV[i]
  done[#done + 1] = ARGV[i + 1]
  done[#done + 1] = runner
  lines[#lines + 1] = ARGV[i + 1]
  i = i + 2
end
local failed = {}
while i + 2 <= #ARGV do
  ids[#ids + 1] = ARGV[i]
  failed[#failed + 1] = {ARGV[i + 1], ARGV[i + 2]}
  i = i + 3
end
local acked = 0
if #ids > 0 then acked = redis.call('XACK', KEYS[1], group, unpack(ids)) end
if #done > 0 then
  redis.call('HSET', KEYS[2], unpack(done))
  if redis.call('HLEN', KEYS[3]) > 0 then redis.call('HDEL', KEYS[3], unpack(lines)) end
end
for _, f in ipairs(failed) do
  if redis.call('HEXISTS', KEYS[2], f[1]) == 0 then redis.call('HSET', KEYS[3], f[1], f[2]) end
end
return acked
