-- Grants a lease of permits against every shared limit at once, unless the gate is closed: as
-- many as asked for that every limit admits now (each limit lends a runner at most a quarter of
-- what it has left over the runners alive), counted at once in each limit, and to be used within
-- the lease's life. The unused part of this runner's previous lease is given back first, if the
-- limits have not changed since it was granted.
--
-- KEYS: the limits hash, the gate, the generation.
-- ARGV: the state prefix, the permits wanted (0: only give back), the margin (in millionths),
-- the runners alive, then the lease to give back: when it was granted (0: none), its unused
-- permits, its life, its generation.
-- Returns {granted, wait, life, generation, now, used, limited}: times in microseconds; `used`
-- the share of the strictest limit in use, in millionths; `limited` 0 when no limit is known.
-- Permits granted with a wait are reserved: usable from `wait` on (a bucket that refills soon).
local now = now_us()
local prefix, want = ARGV[1], tonumber(ARGV[2])
local keep = 1 - tonumber(ARGV[3]) / 1000000
local runners = math.max(1, tonumber(ARGV[4]))
local generation = tonumber(redis.call('GET', KEYS[3]) or '0')
local models = {}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local m = parse(all[i], all[i + 1])
  if m then models[#models + 1] = m end
end

local function give_back(m, at, n, life)
  if m.shape == 'bucket' then
    local interval = bucket_of(m, keep)
    local tat = tonumber(redis.call('GET', key(prefix, 'tat', m)) or '0')
    if tat > now then set_tat(prefix, m, math.max(now, tat - n * interval), now) end
    return
  end
  log_give_back(prefix, m, at, n)
  if m.shape == 'fixed' then
    local lo, hi = fixed_span(m, at, life)
    for i = lo, hi do
      local back = math.min(n, fixed_count(prefix, m, i))
      if back > 0 then redis.call('HINCRBY', key(prefix, 'fixed', m), int(i), -back) end
    end
  end
end

-- What limit `m` admits now: {permits, wait for one, lease life, share in use}.
local function room(m)
  if m.shape == 'bucket' then
    local interval, cap = bucket_of(m, keep)
    local tat = tat_of(prefix, m, now)
    local left = math.floor(cap - (tat - now) / interval + 1e-9)
    local used = math.floor(1000000 * (cap - math.max(left, 0)) / cap)
    if left < 1 then return 0, math.ceil(tat - (cap - 1) * interval - now), SHORT, used end
    return math.min(left, math.max(1, math.floor(cap / (4 * runners)))), 0, SHORT, used
  end
  local cap = math.max(1, math.floor(m.limit * keep))
  local sum = log_sum(prefix, m, now)
  local count, life, full_until = sum, LONG, nil
  if m.shape == 'window' then life = SHORT end
  if m.shape == 'fixed' then
    local lo, hi = fixed_span(m, now, life)
    if hi > lo then
      -- Near a boundary: a shorter lease that ends before it, if one is worth having.
      local short = m.phase - m.band + hi * m.window - GUARD - now - 1
      if short >= 5000 then life, hi = short, lo end
    end
    count = 0
    for i = lo, hi do
      local c = fixed_count(prefix, m, i)
      if c > count then count = c end
      if c >= cap and not full_until then full_until = m.phase + (i + 1) * m.window end
    end
  end
  local left = cap - count
  local used = math.floor(1000000 * math.min(count, cap) / cap)
  if left < 1 then
    if full_until then return 0, full_until - now, life, used end
    return 0, log_wait(prefix, m, now, sum, cap, 1), life, used
  end
  return math.min(left, math.max(1, math.floor(left / (4 * runners)))), 0, life, used
end

local function take(m, n, life)
  if m.shape == 'bucket' then
    local interval = bucket_of(m, keep)
    set_tat(prefix, m, tat_of(prefix, m, now) + n * interval, now)
    return
  end
  log_add(prefix, m, now, n)
  if m.shape == 'fixed' then
    local lo, hi = fixed_span(m, now, life)
    fixed_add(prefix, m, lo, hi, n)
  end
end

local back_at, back_n = tonumber(ARGV[5]), tonumber(ARGV[6])
if back_at > 0 and back_n > 0 and tonumber(ARGV[8]) == generation then
  for _, m in ipairs(models) do give_back(m, back_at, back_n, tonumber(ARGV[7])) end
end
if want < 1 then return {0, 0, 0, generation, now, 0, #models} end
local gate = redis.call('PTTL', KEYS[2])
if gate > 0 then return {0, gate * 1000, 0, generation, now, 0, #models} end
if #models == 0 then return {want, 0, OPEN, generation, now, 0, 0} end
local granted, wait, life, used = want, 0, LONG, 0
local refusing, fixed = {}, false
for _, m in ipairs(models) do
  local n, w, l, u = room(m)
  if n < 1 then refusing[#refusing + 1] = m else granted = math.min(granted, n) end
  if m.shape == 'fixed' then fixed = true end
  wait = math.max(wait, w)
  life = math.min(life, l)
  used = math.max(used, u)
end
local start = 0
if #refusing == 1 and refusing[1].shape == 'bucket' and not fixed then
  -- Only a bucket refuses, and it refills soon: permits reserved now (counted in every limit),
  -- to be used from when the bucket holds them, rather than asked for again and again.
  local m = refusing[1]
  local interval, cap = bucket_of(m, keep)
  local tat = tat_of(prefix, m, now)
  local n = math.min(granted, math.max(1, math.floor(cap / (4 * runners))))
  local at = tat + (n - cap) * interval
  if at - now > AHEAD then n, at = 1, tat + (1 - cap) * interval end
  if at - now <= AHEAD then granted, start = n, math.ceil(at - now) else granted = 0 end
elseif #refusing > 0 then
  granted = 0
end
if granted < 1 then return {0, math.max(1, math.ceil(wait)), 0, generation, now, used, 1} end
for _, m in ipairs(models) do take(m, granted, life) end
return {granted, start, math.floor(life), generation, now, used, 1}
