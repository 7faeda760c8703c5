-- Records a runner as alive (on Redis's clock) and counts the runners seen lately.
--
-- KEYS: the runners hash. ARGV: the runner, its figures as JSON, the window in milliseconds
-- within which a runner counts as alive. Returns the number of runners alive.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], ARGV[1], string.format('%d', now) .. '|' .. ARGV[2])
local all = redis.call('HGETALL', KEYS[1])
local alive = 0
for i = 1, #all, 2 do
  local seen = tonumber(string.match(all[i + 1], '^(%d+)|'))
  if seen and now - seen <= tonumber(ARGV[3]) then alive = alive + 1 end
end
return alive
