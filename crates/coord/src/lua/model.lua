-- The shared limits' models and their state, read and written by the budget's scripts (this
-- file is their common beginning). A model is the line
-- `shape|limit|window_us|burst|phase_us|band_us|seen|source` (see shape.rs). Its state lives
-- under the run's state prefix: `tat:NAME`, a bucket's theoretical arrival time (GCRA);
-- `log:NAME`, the permits granted per slot of time (a 600th of the window) and their `sum`,
-- with `logq:NAME`, the slots in order (a sliding log); `fixed:NAME`, a fixed window's count per
-- window index. Times are Redis's (`TIME`), in microseconds; numbers given to Redis are
-- formatted as integers, since Lua would write large ones in exponent form.

-- A lease's life while a limit may be a bucket (or its shape is not seen yet), in microseconds.
local SHORT = 25000
-- A lease's life against a window whose shape is known.
local LONG = 250000
-- A lease's life when no shared limit is known (nothing is counted).
local OPEN = 50000
-- How far ahead a bucket's permits may be reserved (with SHORT, within LONG: a log keeps them).
local AHEAD = 200000
-- A request's way to the server, kept on each side of a fixed window's boundary.
local GUARD = 50000

local function int(x) return string.format('%d', x) end

local function now_us()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end

local function parse(name, line)
  local shape, limit, window, burst, phase, band, seen, source = string.match(line,
    '^(%a+)|(%d+)|(%d+)|(%d+)|(%d+)|(%d+)|(%d+)|(%a+)$')
  if not shape then return nil end
  return {name = name, shape = shape, limit = tonumber(limit), window = tonumber(window),
    burst = tonumber(burst), phase = tonumber(phase), band = tonumber(band),
    seen = tonumber(seen), source = source}
end

local function encode(m)
  return string.format('%s|%s|%s|%s|%s|%s|%s|%s', m.shape, int(m.limit), int(m.window),
    int(m.burst), int(m.phase), int(m.band), int(m.seen), m.source)
end

local function key(prefix, kind, m) return prefix .. kind .. ':' .. m.name end

-- A bucket's interval between two permits and its capacity, `keep` of the limit used.
local function bucket_of(m, keep)
  return m.window / (m.limit * keep), math.max(1, math.floor(m.burst * keep))
end

local function tat_of(prefix, m, now)
  local tat = tonumber(redis.call('GET', key(prefix, 'tat', m)) or '0')
  if tat < now then tat = now end
  return tat
end

local function set_tat(prefix, m, tat, now)
  redis.call('SET', key(prefix, 'tat', m), int(math.ceil(tat)), 'PX',
    int(math.floor((tat - now) / 1000) + 60000))
end

local function slot_len(m) return math.max(1000, math.floor(m.window / 600)) end

-- Forgets the slots whose permits can no longer be in any window (a permit may leave up to LONG
-- after its grant), and returns the permits of those left.
local function log_sum(prefix, m, now)
  local log, q = key(prefix, 'log', m), key(prefix, 'logq', m)
  local len = slot_len(m)
  while true do
    local head = redis.call('LINDEX', q, 0)
    if not head then break end
    if (tonumber(head) + 1) * len + LONG + m.window > now then break end
    local count = tonumber(redis.call('HGET', log, head) or '0')
    redis.call('HDEL', log, head)
    redis.call('HINCRBY', log, 'sum', -count)
    redis.call('LPOP', q)
  end
  return tonumber(redis.call('HGET', log, 'sum') or '0')
end

local function log_add(prefix, m, now, n)
  local log, q = key(prefix, 'log', m), key(prefix, 'logq', m)
  local slot = math.floor(now / slot_len(m))
  local tail = redis.call('LINDEX', q, -1)
  if tail and tonumber(tail) >= slot then
    slot = tonumber(tail)
  else
    redis.call('RPUSH', q, int(slot))
  end
  redis.call('HINCRBY', log, int(slot), n)
  redis.call('HINCRBY', log, 'sum', n)
  local ttl = int(math.floor((m.window + LONG) / 1000) + 60000)
  redis.call('PEXPIRE', log, ttl)
  redis.call('PEXPIRE', q, ttl)
end

-- How long until `need` more permits fit under `cap`: until enough of the oldest slots leave.
local function log_wait(prefix, m, now, sum, cap, need)
  local log, q = key(prefix, 'log', m), key(prefix, 'logq', m)
  local excess = sum + need - cap
  for _, slot in ipairs(redis.call('LRANGE', q, 0, -1)) do
    excess = excess - tonumber(redis.call('HGET', log, slot) or '0')
    if excess <= 0 then
      return (tonumber(slot) + 1) * slot_len(m) + LONG + m.window - now
    end
  end
  return m.window
end

local function log_give_back(prefix, m, at, n)
  local log = key(prefix, 'log', m)
  local slot = int(math.floor(at / slot_len(m)))
  local back = math.min(n, tonumber(redis.call('HGET', log, slot) or '0'))
  if back > 0 then
    redis.call('HINCRBY', log, slot, -back)
    redis.call('HINCRBY', log, 'sum', -back)
  end
end

-- The fixed windows a permit granted at `at` and used within `life` may be counted in: its
-- boundaries fall at most `band` before `phase + n * window`, and a request takes up to GUARD.
local function fixed_span(m, at, life)
  local lo = math.floor((at - m.phase) / m.window)
  local hi = math.floor((at + life + GUARD + m.band - m.phase) / m.window)
  return lo, hi
end

local function fixed_count(prefix, m, index)
  return tonumber(redis.call('HGET', key(prefix, 'fixed', m), int(index)) or '0')
end

local function fixed_add(prefix, m, lo, hi, n)
  local fixed = key(prefix, 'fixed', m)
  for i = lo, hi do redis.call('HINCRBY', fixed, int(i), n) end
  for _, index in ipairs(redis.call('HKEYS', fixed)) do
    if tonumber(index) < lo then redis.call('HDEL', fixed, index) end
  end
  redis.call('PEXPIRE', fixed, int(math.floor(2 * m.window / 1000) + 60000))
end

-- Raises the count of the fixed windows spanning `now` to at least `used`.
local function fixed_raise(prefix, m, now, used)
  local lo, hi = fixed_span(m, now, 0)
  for i = lo, hi do
    local count = fixed_count(prefix, m, i)
    if count < used then fixed_add(prefix, m, i, i, used - count) end
  end
end
