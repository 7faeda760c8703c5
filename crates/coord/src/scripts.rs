//! The Lua scripts the runners share, each one decision taken atomically on Redis's own clock
//! (`TIME`), so that the runners' clocks do not matter. Loaded once per Redis (EVALSHA after a
//! SCRIPT LOAD). The rate limiting is GCRA, the same arithmetic as `pacer_core::limiter`'s token
//! bucket: a request is admitted when `tat - (burst - 1) * interval <= now`, and then
//! `tat = max(tat, now) + interval`.

use std::sync::LazyLock;

/// A script and its SHA1.
pub(crate) struct Lua {
    pub source: &'static str,
    pub hash: String,
}

impl Lua {
    fn new(source: &'static str) -> Lua {
        Lua {
            source,
            hash: redis::Script::new(source).get_hash().to_string(),
        }
    }
}

/// Admits one request against every shared limit, unless the gate is closed.
///
/// KEYS: the limits hash, the gate. ARGV: the prefix of the limits' arrival-time keys.
/// Returns `{1, 0}` when admitted, else `{0, wait in microseconds}`.
pub(crate) static ADMIT: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(
        r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local gate = redis.call('PTTL', KEYS[2])
if gate > 0 then return {0, gate * 1000} end
local limits = redis.call('HGETALL', KEYS[1])
local wait = 0
local next = {}
for i = 1, #limits, 2 do
  local interval, burst = string.match(limits[i + 1], '^(%d+):(%d+)')
  interval = tonumber(interval)
  burst = tonumber(burst)
  local key = ARGV[1] .. limits[i]
  local tat = tonumber(redis.call('GET', key) or '0')
  if tat < now then tat = now end
  local allow = tat - (burst - 1) * interval
  if allow > now and allow - now > wait then wait = allow - now end
  next[#next + 1] = {key, tat + interval}
end
if wait > 0 then return {0, wait} end
for _, kv in ipairs(next) do
  redis.call('SET', kv[1], string.format('%d', kv[2]), 'PX', math.floor((kv[2] - now) / 1000) + 60000)
end
return {1, 0}
"#,
    )
});

/// Declares a shared limit, keeping the stricter of the known one and this one.
///
/// KEYS: the limits hash. ARGV: the name, `interval_us:burst:description`.
/// Returns 1 when the limit was stored (new or stricter).
pub(crate) static DECLARE: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(
        r#"
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current then
  local known = tonumber(string.match(current, '^(%d+)'))
  local new = tonumber(string.match(ARGV[2], '^(%d+)'))
  if known >= new then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"#,
    )
});

/// Closes the gate for a time, unless it is already closed for longer.
///
/// KEYS: the gate. ARGV: milliseconds, what closed it. Returns 1 when the gate was (re)closed.
pub(crate) static GATE: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(
        r#"
local ms = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[1]) < ms then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ms)
  return 1
end
return 0
"#,
    )
});

/// Records a runner as alive (on Redis's clock) and counts the runners seen lately.
///
/// KEYS: the runners hash. ARGV: the runner, its figures as JSON, the window in milliseconds
/// within which a runner counts as alive. Returns the number of runners alive.
pub(crate) static HEARTBEAT: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(
        r#"
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
"#,
    )
});

/// Acknowledges an item: out of the group's pending list, into `done` (or `failed`, unless some
/// runner wrote it).
///
/// KEYS: the stream, the done hash, the failed hash. ARGV: the group, the entry id, the line,
/// `done` or `failed`, the runner (done) or the reason (failed). Returns the entries acknowledged.
pub(crate) static ACK: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(
        r#"
local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
if ARGV[4] == 'done' then
  redis.call('HSET', KEYS[2], ARGV[3], ARGV[5])
  redis.call('HDEL', KEYS[3], ARGV[3])
elseif redis.call('HEXISTS', KEYS[2], ARGV[3]) == 0 then
  redis.call('HSET', KEYS[3], ARGV[3], ARGV[5])
end
return acked
"#,
    )
});

/// Redis's clock, in milliseconds.
pub(crate) static NOW_MS: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(
        r#"
local t = redis.call('TIME')
return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"#,
    )
});
