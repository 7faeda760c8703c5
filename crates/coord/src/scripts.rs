//! The Lua scripts the runners share (in `lua/`), each one decision taken atomically on Redis's
//! own clock (`TIME`), so that the runners' clocks do not matter. Loaded once per Redis (EVALSHA
//! after a SCRIPT LOAD). The budget's scripts begin with `lua/model.lua`, the shared limits'
//! models and their state: a token bucket is GCRA, the same arithmetic as `pacer_core::limiter`'s
//! (a permit is admitted when `tat - (burst - 1) * interval <= now`, and then
//! `tat = max(tat, now) + interval`); a count per window is a sliding log of the permits granted,
//! or, once its boundaries are known, a count per fixed window.

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

/// Grants a lease of permits against every shared limit, unless the gate is closed.
pub(crate) static ADMIT: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(concat!(
        include_str!("lua/model.lua"),
        include_str!("lua/admit.lua")
    ))
});

/// Declares a shared limit, keeping the stricter of the known one and this one.
pub(crate) static DECLARE: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(concat!(
        include_str!("lua/model.lua"),
        include_str!("lua/declare.lua")
    ))
});

/// Applies what a runner saw of a shared limit (its shape, its boundary, what is left).
pub(crate) static LEARN: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(concat!(
        include_str!("lua/model.lua"),
        include_str!("lua/learn.lua")
    ))
});

/// Closes the gate for a time, unless it is already closed for longer.
pub(crate) static GATE: LazyLock<Lua> = LazyLock::new(|| Lua::new(include_str!("lua/gate.lua")));

/// Records a runner as alive (on Redis's clock) and counts the runners seen lately.
pub(crate) static HEARTBEAT: LazyLock<Lua> =
    LazyLock::new(|| Lua::new(include_str!("lua/heartbeat.lua")));

/// Acknowledges a batch of items: out of the group's pending list, into `done` or `failed`.
pub(crate) static ACKS: LazyLock<Lua> = LazyLock::new(|| Lua::new(include_str!("lua/acks.lua")));

/// Redis's clock, in milliseconds.
pub(crate) static NOW_MS: LazyLock<Lua> =
    LazyLock::new(|| Lua::new(include_str!("lua/now_ms.lua")));
