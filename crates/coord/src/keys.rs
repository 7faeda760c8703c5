//! The Redis keys of one run: every key shares the run's hash tag, so that they live on one node.

/// The consumer group every runner reads the queue in.
pub const GROUP: &str = "runners";

/// The keys of run `name`.
#[derive(Debug, Clone)]
pub struct Keys {
    /// Hash: `fingerprint`, `total`, `loaded`.
    pub meta: String,
    /// Stream: one entry per item (`line`, `user`, `body`).
    pub items: String,
    /// Hash: line to the runner that wrote it.
    pub done: String,
    /// Hash: line to the reason it failed.
    pub failed: String,
    /// Hash: runner to `seen_ms|json`.
    pub runners: String,
    /// Hash: shared limit name to its model's line (`shape.rs`).
    pub limits: String,
    /// Counter: bumped each time a shared limit's model changes.
    pub generation: String,
    /// String with a time to live: the shared gate after a 429.
    pub gate: String,
    /// Prefix of each shared limit's state (`lua/model.lua`).
    pub state_prefix: String,
}

impl Keys {
    pub fn new(run: &str) -> Keys {
        let base = format!("pacer:{{{run}}}");
        Keys {
            meta: format!("{base}:meta"),
            items: format!("{base}:items"),
            done: format!("{base}:done"),
            failed: format!("{base}:failed"),
            runners: format!("{base}:runners"),
            limits: format!("{base}:limits"),
            generation: format!("{base}:generation"),
            gate: format!("{base}:gate"),
            state_prefix: format!("{base}:state:"),
        }
    }
}
