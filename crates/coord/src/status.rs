//! The whole run as Redis holds it: items per state, runners alive with their figures, and the
//! shared budget.

use std::fmt;

use crate::error::Result;
use crate::keys::Keys;
use crate::link::Link;
use crate::queue::{RunCounts, read_counts};
use crate::shape::Model;
use crate::{ALIVE_WITHIN, scripts};

/// One runner as it last reported itself.
#[derive(Debug, Clone, PartialEq)]
pub struct RunnerStatus {
    pub name: String,
    /// Since Redis last heard from it.
    pub seen_ms_ago: u64,
    pub alive: bool,
    /// What it said: `sent`, `written`, `rate_per_min`, `held`, `fallback`.
    pub figures: serde_json::Value,
}

/// The whole run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunStatus {
    pub run: String,
    pub url: String,
    pub counts: RunCounts,
    pub runners: Vec<RunnerStatus>,
    /// Shared limits: name and what is known of it (`600/60s declared, a token bucket ...`).
    pub limits: Vec<(String, String)>,
    /// How long the shared gate stays closed, in milliseconds (0: open).
    pub gate_ms: u64,
}

/// Reads run `run` from Redis at `url`.
pub async fn status(url: &str, run: &str) -> Result<RunStatus> {
    let link = Link::open(url, None).await?;
    let keys = Keys::new(run);
    let counts = read_counts(&link, &keys).await?;
    let now: u64 = link.eval(&scripts::NOW_MS, &[], &[]).await?;
    let mut cmd = redis::cmd("HGETALL");
    cmd.arg(&keys.runners);
    let all: Vec<(String, String)> = link.query(&cmd).await?;
    let mut runners: Vec<RunnerStatus> = all
        .into_iter()
        .map(|(name, value)| {
            let (seen, json) = value.split_once('|').unwrap_or(("0", "{}"));
            let seen: u64 = seen.parse().unwrap_or(0);
            let ago = now.saturating_sub(seen);
            RunnerStatus {
                name,
                seen_ms_ago: ago,
                alive: ago <= ALIVE_WITHIN.as_millis() as u64,
                figures: serde_json::from_str(json).unwrap_or_default(),
            }
        })
        .collect();
    runners.sort_by(|a, b| a.name.cmp(&b.name));
    let mut cmd = redis::cmd("HGETALL");
    cmd.arg(&keys.limits);
    let all: Vec<(String, String)> = link.query(&cmd).await?;
    let mut limits: Vec<(String, String)> = all
        .into_iter()
        .map(|(name, line)| {
            let known = Model::decode(&name, &line).map_or(line, |model| model.to_string());
            (name, known)
        })
        .collect();
    limits.sort();
    let mut cmd = redis::cmd("PTTL");
    cmd.arg(&keys.gate);
    let gate: i64 = link.query(&cmd).await?;
    Ok(RunStatus {
        run: run.to_string(),
        url: link.shown.clone(),
        counts,
        runners,
        limits,
        gate_ms: gate.max(0) as u64,
    })
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.counts;
        writeln!(f, "run {} on {}", self.run, self.url)?;
        if !c.loaded && c.total == 0 {
            return writeln!(f, "  not loaded: no runner has joined it yet");
        }
        writeln!(
            f,
            "  {} items: {} done, {} failed, {} leased, {} queued",
            c.total,
            c.done,
            c.failed,
            c.leased,
            c.remaining().saturating_sub(c.leased)
        )?;
        let alive = self.runners.iter().filter(|r| r.alive).count();
        writeln!(f, "  runners: {alive} alive of {}", self.runners.len())?;
        for r in &self.runners {
            let get = |key: &str| r.figures.get(key).cloned().unwrap_or_default();
            writeln!(
                f,
                "    {:<20} {:<5} seen {:>6.1} s ago  sent {}  written {}  {}/min{}",
                r.name,
                if get("finished") == serde_json::Value::Bool(true) {
                    "done"
                } else if r.alive {
                    "alive"
                } else {
                    "gone"
                },
                r.seen_ms_ago as f64 / 1000.0,
                get("sent"),
                get("written"),
                get("rate_per_min"),
                if get("fallback") == serde_json::Value::Bool(true) {
                    "  (alone: Redis lost)"
                } else {
                    ""
                }
            )?;
        }
        if self.limits.is_empty() {
            writeln!(f, "  shared budget: no shared limit known")?;
        }
        for (name, known) in &self.limits {
            writeln!(f, "  shared budget: {name} {known}")?;
        }
        if self.gate_ms > 0 {
            writeln!(
                f,
                "  gate closed for {:.1} s more (a 429)",
                self.gate_ms as f64 / 1000.0
            )?;
        }
        Ok(())
    }
}
