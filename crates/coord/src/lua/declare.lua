-- Declares a shared limit: a new one is stored; for one already known, the stricter count per
-- window is kept, and the same count keeps what was learned of its shape.
--
-- KEYS: the limits hash, the generation. ARGV: the name, the model's line.
-- Returns 1 when the limit was stored (new or stricter).
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current then
  local known, new = parse(ARGV[1], current), parse(ARGV[1], ARGV[2])
  if known and new then
    if known.limit == new.limit and known.window == new.window then return 0 end
    if known.limit * new.window <= new.limit * known.window then return 0 end
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('INCR', KEYS[2])
return 1
