//! The planner: from N items and the known or learned limits, the earliest finish, the ETA now, and
//! whether a deadline can be met, with the reason in one sentence.
//!
//! [`crate::pacer::Pacer::plan`] builds the [`Constraint`]s from its budgets; [`plan`] is the pure
//! arithmetic, usable on its own (for example before a run, from declared limits only).

use std::time::Duration;

use crate::source::Source;

/// What one scope allows, as the planner needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Constraint {
    /// A name for the reason sentence (`token`, an endpoint).
    pub scope: String,
    /// Where the knowledge comes from; `None` when nothing is known yet.
    pub source: Option<Source>,
    /// Sends allowed right now, back to back.
    pub available_now: u64,
    /// The sustained rate in requests per second (infinite when only a window count applies).
    pub rate: f64,
    /// A count per window: at most `.0` sends in any `.1`.
    pub window: Option<(u32, Duration)>,
    /// Until when the window's next slot is taken (zero when one is free now).
    pub window_next_free: Duration,
    /// The gate: nothing is sent before this.
    pub gate_until: Duration,
}

impl Constraint {
    /// The least time this scope needs for `items` sends from `now`.
    pub fn time_for(&self, items: u64, now: Duration) -> Duration {
        if self.source.is_none() || items == 0 {
            return Duration::ZERO;
        }
        let gate = self.gate_until.saturating_sub(now);
        let after_burst = items.saturating_sub(self.available_now);
        let spaced = if self.rate.is_finite() && self.rate > 0.0 {
            Duration::from_secs_f64((after_burst as f64 / self.rate).min(1e12))
        } else {
            Duration::ZERO
        };
        let windowed = match self.window {
            Some((limit, window)) if after_burst > 0 => {
                let windows = after_burst.div_ceil(u64::from(limit.max(1)));
                let whole = u32::try_from(windows - 1).unwrap_or(u32::MAX);
                self.window_next_free.saturating_sub(now) + window.saturating_mul(whole)
            }
            _ => Duration::ZERO,
        };
        gate + spaced.max(windowed)
    }

    fn describe(&self) -> String {
        let source = self.source.map_or("unknown", Source::as_str);
        match self.window {
            Some((limit, window)) => format!(
                "{limit} per {} s on the {} ({source})",
                trim(window.as_secs_f64()),
                self.scope
            ),
            None if self.rate.is_finite() => format!(
                "{} requests/s on the {} ({source})",
                trim(self.rate),
                self.scope
            ),
            None => format!("no known limit on the {}", self.scope),
        }
    }
}

fn trim(x: f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

/// The planner's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The earliest the limits allow the last item to be sent, plus one round trip.
    pub earliest_finish: Duration,
    /// The expected finish: the earliest, or later when the observed throughput is slower.
    pub eta: Duration,
    /// Whether the deadline can be met (`None` without a deadline).
    pub meets_deadline: Option<bool>,
    /// Why, in one sentence.
    pub reason: String,
}

/// Plans `items` sends from `now` under every constraint.
///
/// `latency` is one round trip (the last response's wait); `observed_rate`, when given, is the
/// throughput measured so far in items per second, which may be slower than the limits allow.
pub fn plan(
    constraints: &[Constraint],
    items: u64,
    now: Duration,
    latency: Duration,
    observed_rate: Option<f64>,
    deadline: Option<Duration>,
) -> Plan {
    let binding = constraints
        .iter()
        .map(|c| (c.time_for(items, now), c))
        .max_by_key(|(t, _)| *t);
    let need = binding.map_or(Duration::ZERO, |(t, _)| t);
    let earliest_finish = now + need + latency;
    let observed = observed_rate
        .filter(|r| r.is_finite() && *r > 0.0)
        .map(|r| now + Duration::from_secs_f64((items as f64 / r).min(1e12)));
    let eta = observed.map_or(earliest_finish, |o| o.max(earliest_finish));
    let unknown = constraints.iter().all(|c| c.source.is_none())
        || binding.is_some_and(|(_, c)| c.source == Some(Source::Discovered));
    let what = match binding {
        Some((_, c)) if c.source.is_some() => c.describe(),
        _ => "no known limit".to_owned(),
    };
    let head = format!(
        "{items} items need at least {:.0} s at {what}",
        need.as_secs_f64() + latency.as_secs_f64()
    );
    let caveat = if unknown {
        " (the limit is still being discovered, so this may change)"
    } else {
        ""
    };
    let (meets_deadline, reason) = match deadline {
        None => (None, format!("{head}{caveat}.")),
        Some(deadline) if eta <= deadline => (
            Some(true),
            format!(
                "{head}, finishing about {:.0} s before the deadline{caveat}.",
                (deadline - eta).as_secs_f64()
            ),
        ),
        Some(deadline) if earliest_finish <= deadline => (
            Some(false),
            format!(
                "{head}, which fits the deadline, but the throughput observed so far ends {:.0} s after it{caveat}.",
                (eta - deadline).as_secs_f64()
            ),
        ),
        Some(deadline) => (
            Some(false),
            format!(
                "{head}, which ends {:.0} s after the deadline: the server's limit, not the client, is what binds{caveat}.",
                (earliest_finish - deadline).as_secs_f64()
            ),
        ),
    };
    Plan {
        earliest_finish,
        eta,
        meets_deadline,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(available: u64, rate: f64) -> Constraint {
        Constraint {
            scope: "token".into(),
            source: Some(Source::Advertised),
            available_now: available,
            rate,
            window: None,
            window_next_free: Duration::ZERO,
            gate_until: Duration::ZERO,
        }
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn token_bucket_earliest_is_the_textbook_bound() {
        let p = plan(&[bucket(10, 5.0)], 500, secs(0), Duration::ZERO, None, None);
        assert_eq!(p.earliest_finish, secs(98));
        assert_eq!(p.eta, secs(98));
        assert_eq!(p.meets_deadline, None);
        assert!(p.reason.contains("5 requests/s"), "{}", p.reason);
    }

    #[test]
    fn fixed_window_counts_whole_windows() {
        let c = Constraint {
            window: Some((300, secs(60))),
            rate: f64::INFINITY,
            available_now: 300,
            source: Some(Source::OrgLimits),
            ..bucket(0, 0.0)
        };
        // 300 now, the next 200 once the first window's slots free up at 60 s.
        let c = Constraint {
            window_next_free: secs(60),
            ..c
        };
        let p = plan(&[c], 500, secs(0), Duration::ZERO, None, Some(secs(300)));
        assert_eq!(p.earliest_finish, secs(60));
        assert_eq!(p.meets_deadline, Some(true));
        assert!(p.reason.contains("300 per 60 s"), "{}", p.reason);
    }

    #[test]
    fn the_tightest_constraint_binds_and_the_gate_delays_everything() {
        let token = bucket(10, 5.0);
        let endpoint = Constraint {
            scope: "endpoint".into(),
            gate_until: secs(30),
            ..bucket(0, 2.0)
        };
        let p = plan(
            &[token, endpoint],
            100,
            secs(0),
            Duration::ZERO,
            None,
            Some(secs(60)),
        );
        assert_eq!(p.earliest_finish, secs(80));
        assert_eq!(p.meets_deadline, Some(false));
        assert!(p.reason.contains("endpoint"), "{}", p.reason);
        assert!(p.reason.contains("20 s after the deadline"), "{}", p.reason);
    }

    #[test]
    fn slow_observed_throughput_pushes_the_eta() {
        let p = plan(
            &[bucket(0, 5.0)],
            100,
            secs(0),
            Duration::ZERO,
            Some(2.0),
            Some(secs(30)),
        );
        assert_eq!(p.earliest_finish, secs(20));
        assert_eq!(p.eta, secs(50));
        assert_eq!(p.meets_deadline, Some(false));
        assert!(p.reason.contains("observed"), "{}", p.reason);
    }

    #[test]
    fn unknown_limits_say_so() {
        let c = Constraint {
            source: None,
            ..bucket(0, 1.0)
        };
        let p = plan(&[c], 10, secs(0), Duration::ZERO, None, None);
        assert_eq!(p.earliest_finish, secs(0));
        assert!(p.reason.contains("discovered"), "{}", p.reason);
    }
}
