-- Applies what one runner saw of a shared limit to its model, on Redis's clock:
--   `bucket` (ARGV a: its burst, 0 to estimate it from what passed; b: what the server has left,
--     -1 for nothing): the limit is a token bucket; its state is pulled back to the server's when
--     it believes in more than the server has (beyond what the runners may hold in leases).
--   `sync` (a: what the server has left; b: microseconds until its window is whole again, -1 when
--     not said): a count per window's headers. A window whole again sooner than a window from now
--     (less a second of the headers' rounding) is a fixed window ending then; one whole only a
--     window from now, a sliding one. The counts are raised to the server's.
--   `throttle` (a: the wait the server asked for; b: as for `sync`): a count per window refused.
--     With headers, as `sync` with nothing left; without, the wait is where the window ends if
--     it is a fixed one, believed when a second refusal agrees.
--
-- KEYS: the limits hash, the generation. ARGV: the state prefix, the name, what was seen, the
-- margin (in millionths), the runners alive, a, b. Returns 1 when the model changed.
local now = now_us()
local prefix, name, op = ARGV[1], ARGV[2], ARGV[3]
local keep = 1 - tonumber(ARGV[4]) / 1000000
local runners = math.max(1, tonumber(ARGV[5]))
local a, b = tonumber(ARGV[6]), tonumber(ARGV[7])
local line = redis.call('HGET', KEYS[1], name)
if not line then return 0 end
local m = parse(name, line)
if not m then return 0 end
local before = encode(m)

-- The boundary is at most `reset` away and more than `reset` less a second (the headers round up
-- to whole seconds) less the answer's way back: an arc of phases, kept as its top and width.
local function observe(reset)
  local top = (now + reset) % m.window
  local width = 1000000 + GUARD
  if m.seen > 0 then
    -- The new arc, moved by whole windows next to the known one.
    local shift = ((top - m.phase + m.window / 2) % m.window) - m.window / 2
    local new_top = m.phase + shift
    local high = math.min(m.phase, new_top)
    local low = math.max(m.phase - m.band, new_top - width)
    if low <= high then
      m.phase, m.band, m.seen = high % m.window, high - low, math.min(m.seen + 1, 2)
      return
    end
  end
  m.phase, m.band, m.seen = top, width, 1
end

-- What passed since the log's oldest slot, less what a bucket at the limit's rate refilled.
local function burst_estimate()
  local sum = log_sum(prefix, m, now)
  local head = redis.call('LINDEX', key(prefix, 'logq', m), 0)
  if not head then return 1 end
  local span = now - tonumber(head) * slot_len(m)
  return math.max(1, math.floor(sum - span * m.limit / m.window))
end

-- The server has `left` of a window's count: nothing is granted past it.
local function raise(left)
  local used = m.limit - left
  if m.shape == 'fixed' then
    fixed_raise(prefix, m, now, used)
  else
    local sum = log_sum(prefix, m, now)
    if sum < used then log_add(prefix, m, now, used - sum) end
  end
end

local function window_seen(left, reset, strong)
  if reset >= 0 and reset + 1000000 < m.window then
    local was = m.shape
    observe(reset)
    if strong or m.seen >= 2 then m.shape = 'fixed' end
    if m.shape == 'fixed' and was ~= 'fixed' then
      -- The count of the window so far: what the log holds since its earliest start.
      local lo = fixed_span(m, now, 0)
      local start = m.phase - m.band + lo * m.window
      local count = 0
      local log = key(prefix, 'log', m)
      for _, slot in ipairs(redis.call('LRANGE', key(prefix, 'logq', m), 0, -1)) do
        if (tonumber(slot) + 1) * slot_len(m) > start then
          count = count + tonumber(redis.call('HGET', log, slot) or '0')
        end
      end
      fixed_raise(prefix, m, now, count)
    end
  elseif reset >= 0 and strong and m.shape == 'window' then
    m.shape = 'sliding'
  end
  raise(left)
end

if op == 'bucket' then
  local burst = a
  if burst < 1 then burst = burst_estimate() end
  local was = m.shape
  m.shape, m.burst = 'bucket', burst
  local interval, cap = bucket_of(m, keep)
  local left = math.min(math.max(b, 0), cap)
  local tat = tat_of(prefix, m, now)
  local believed = cap - (tat - now) / interval
  if was ~= 'bucket' or believed > left + runners + 1 then
    set_tat(prefix, m, now + (cap - left) * interval, now)
  end
elseif m.shape ~= 'bucket' and op == 'sync' then
  window_seen(a, b, true)
elseif m.shape ~= 'bucket' and op == 'throttle' then
  if b >= 0 then
    window_seen(0, b, true)
  else
    window_seen(0, a, false)
  end
end
local after = encode(m)
if after == before then return 0 end
redis.call('HSET', KEYS[1], name, after)
redis.call('INCR', KEYS[2])
return 1
