-- Closes the gate for a time, unless it is already closed for longer.
--
-- KEYS: the gate. ARGV: milliseconds, what closed it. Returns 1 when the gate was (re)closed.
local ms = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[1]) < ms then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ms)
  return 1
end
return 0
