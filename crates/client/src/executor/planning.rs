//! What the executor can say of a run before and during it: the plan against a deadline, the
//! server's ideal time, and the live plan for the items left.

use std::time::Duration;

use pacer_core::pacer::{Route, Source};
use pacer_core::planner::{self, Constraint, Plan};

use super::Executor;
use super::events::Progress;

impl Executor {
    /// Plans `items` sends from `now` (time since the run's start) with what the pacer knows, the
    /// items spread over the token pool; `observed_rate` is the throughput so far, in items a second.
    pub fn plan(
        &self,
        items: u64,
        now: Duration,
        observed_rate: Option<f64>,
        deadline: Option<Duration>,
    ) -> Plan {
        let per_token = items.div_ceil(self.token_scopes.len() as u64);
        let route = Route::new(self.token_scopes[0], Some(self.endpoint));
        let latency =
            Duration::from_secs_f64(self.pacer.view(self.token_scopes[0], now).latency.max(0.0));
        let mut plan = self
            .pacer
            .plan(route, per_token, now, observed_rate, deadline);
        plan.earliest_finish = plan.earliest_finish.max(now + latency);
        plan
    }

    /// The server's earliest possible time for `items` sends from a whole budget, under the limit
    /// the pacer knows or learned (declared, reported or advertised); `None` while it is unknown.
    pub fn ideal(&self, items: u64, now: Duration) -> Option<Duration> {
        let per_token = items.div_ceil(self.token_scopes.len() as u64);
        let mut worst: Option<Duration> = None;
        for scope in [self.token_scopes[0], self.endpoint] {
            let view = self.pacer.view(scope, now);
            let Some(source) = view.source else { continue };
            if source == Source::Discovered {
                return None;
            }
            let constraint = Constraint {
                scope: String::new(),
                source: Some(source),
                available_now: match view.window {
                    Some((limit, _)) if !view.rate.is_finite() => u64::from(limit),
                    _ => u64::from(view.burst),
                },
                rate: view.rate,
                window: view.window,
                window_next_free: Duration::ZERO,
                gate_until: Duration::ZERO,
            };
            let need = planner::plan(
                &[constraint],
                per_token,
                Duration::ZERO,
                Duration::ZERO,
                None,
                None,
            )
            .earliest_finish;
            worst = Some(worst.map_or(need, |w| w.max(need)));
        }
        worst
    }

    /// The plan for the items left, from the counts so far.
    pub(super) fn live_plan(&self, progress: &Progress, now: Duration) -> Option<Plan> {
        let expected = self.config.expected_items?;
        let finished = progress.succeeded + progress.failed;
        let left = expected.saturating_sub(finished);
        let secs = now.as_secs_f64();
        let observed = (secs >= 2.0 && finished > 0).then(|| finished as f64 / secs);
        Some(self.plan(left, now, observed, self.config.deadline))
    }
}
