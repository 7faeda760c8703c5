//! Results of simulation runs: one record per scenario and strategy, as JSON or as a table.

use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;

use crate::engine::Counters;
use crate::scenario::Scenario;
use crate::strategies::Strategy;

/// The result of one strategy against one scenario; the JSON field names are part of the interface.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunResult {
    /// The scenario's name.
    pub scenario: String,
    /// The strategy's name.
    pub strategy: String,
    /// Items to write.
    pub items: u64,
    /// Items written.
    pub completed: u64,
    /// Items not written (failed, given up, or parked).
    pub lost: u64,
    /// Virtual seconds until the last item was finished.
    pub elapsed_s: f64,
    /// The server's earliest possible time for all items (see [`Scenario::ideal`]).
    pub ideal_s: f64,
    /// `elapsed_s / ideal_s` (1 when the ideal is zero and so is the elapsed time).
    pub ratio: f64,
    /// Requests sent.
    pub requests: u64,
    /// 429 responses.
    pub throttled: u64,
    /// The most attempts one item took.
    pub max_attempts: u32,
    /// Items written over time, cumulative, in virtual seconds (for the HTML page's headline
    /// chart; not in the JSON, whose fields are part of the interface).
    #[serde(skip)]
    pub written_over_time: Vec<(f64, u64)>,
}

impl RunResult {
    pub(crate) fn new(
        scenario: &Scenario,
        strategy: Strategy,
        items: u64,
        counters: &Counters,
        ideal: Duration,
    ) -> Self {
        let elapsed_s = counters.elapsed.as_secs_f64();
        let ideal_s = ideal.as_secs_f64();
        let ratio = if ideal_s > 0.0 {
            elapsed_s / ideal_s
        } else if elapsed_s == 0.0 {
            1.0
        } else {
            f64::INFINITY
        };
        Self {
            scenario: scenario.name.clone(),
            strategy: strategy.as_str().to_owned(),
            items,
            completed: counters.completed,
            lost: counters.lost,
            elapsed_s: round3(elapsed_s),
            ideal_s: round3(ideal_s),
            ratio: round3(ratio),
            requests: counters.requests,
            throttled: counters.throttled,
            max_attempts: counters.max_attempts,
            written_over_time: counters
                .progress
                .iter()
                .map(|(at, n)| (at.as_secs_f64(), *n))
                .collect(),
        }
    }
}

fn round3(x: f64) -> f64 {
    if x.is_finite() {
        (x * 1000.0).round() / 1000.0
    } else {
        x
    }
}

/// Formats results as an aligned text table.
pub fn table(results: &[RunResult]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<12} {:<13} {:>7} {:>9} {:>6} {:>10} {:>9} {:>7} {:>9} {:>9} {:>12}",
        "scenario",
        "strategy",
        "items",
        "completed",
        "lost",
        "elapsed_s",
        "ideal_s",
        "ratio",
        "requests",
        "throttled",
        "max_attempts"
    );
    for r in results {
        let _ = writeln!(
            out,
            "{:<12} {:<13} {:>7} {:>9} {:>6} {:>10.1} {:>9.1} {:>7.3} {:>9} {:>9} {:>12}",
            r.scenario,
            r.strategy,
            r.items,
            r.completed,
            r.lost,
            r.elapsed_s,
            r.ideal_s,
            r.ratio,
            r.requests,
            r.throttled,
            r.max_attempts
        );
    }
    out
}
