//! Throttles, gates and probes: which scope a refusal came from, the gate it closes until the
//! server's time (one probe goes first when it reopens), and what a refusal that the known limits
//! do not explain teaches the budget.

use std::time::Duration;

use super::budget::Budget;
use super::discovery::discovery_burst;
use super::request::{Permit, Route, ScopeId};
use super::window::WindowLog;
use crate::signals::Signals;
use crate::source::Source;

/// Which limit refused? The body may say; otherwise, if the token's advertised quota still has
/// room, the refusal came from another (hidden) limit on the endpoint.
pub(super) fn throttled_scope(route: Route, signals: &Signals) -> ScopeId {
    let named_token = signals.named_limit().map(|n| n.is_token_limit());
    let token_has_room = signals
        .quota
        .as_ref()
        .and_then(|q| q.remaining)
        .is_some_and(|r| r > 0);
    match (named_token, route.endpoint) {
        (Some(false), Some(e)) => e,
        (None, Some(e)) if token_has_room => e,
        _ => route.token,
    }
}

impl Budget {
    /// Closes the gate until `until` (or later, if it already is); one probe reopens it.
    pub(super) fn close_gate(&mut self, until: Duration) {
        if until > self.gate_until {
            self.gate_until = until;
        }
        self.need_probe = true;
    }

    /// Takes a throttle of the request sent under `permit`, answered at `now` with a wait of
    /// `wait`; `unexplained` when the body names no limit that accounts for it.
    pub(super) fn on_throttle(
        &mut self,
        permit: &Permit,
        now: Duration,
        wait: Duration,
        unexplained: bool,
    ) {
        let until = now + wait;
        // Learn from this throttle unless it says nothing new: a request that was already in
        // flight when an earlier throttle closed the gate, or the probe that found it still shut.
        let in_flight_when_gated = self.gated_at.is_some_and(|at| permit.sent_at < at);
        if !in_flight_when_gated && !permit.probe && unexplained {
            self.learn_from_throttle(now, wait);
        }
        self.close_gate(until);
        self.gated_at = Some(now);
        self.epoch_start = until;
        self.epoch_first_send = None;
        self.epoch_admitted = 0;
    }

    fn learn_from_throttle(&mut self, now: Duration, wait: Duration) {
        let long_wait = wait >= Duration::from_secs(2) && wait >= self.interval * 5;
        if long_wait && self.epoch_admitted > 0 {
            self.learn_hidden_window(now, wait);
            return;
        }
        let admitted = self.admitted;
        let rate_now = self.rate();
        if let Some(d) = &mut self.discovery {
            let measured = d.throttled(admitted, rate_now, now, wait);
            let rate = 0.7 * measured;
            self.set_rate(rate, discovery_burst(rate), now);
        } else if self.rate().is_finite() {
            // The known rate was too high (or the burst too large): back off a little.
            let rate = self.rate() * 0.9;
            let burst = (self.full_burst / 2).max(1);
            self.set_rate(rate, burst, now);
        } else if let Some(log) = self.log.as_ref().filter(|l| wait * 4 < l.window) {
            // A count per window refused after a short wait: the server refills continuously (a
            // bucket), so pace at the window's rate, bursting only what passed before the refusal.
            let rate = f64::from(log.limit) / log.window.as_secs_f64();
            let burst = self.epoch_admitted.max(1);
            self.log = None;
            self.set_rate(rate, burst, now);
        } else if let Some(log) = &mut self.log {
            // A window limit refused earlier than expected: the bursts must be smaller.
            log.limit = (log.limit * 3 / 4).max(1);
        }
    }

    /// A long wait after a run of admissions: a count per window. Its size is what passed since
    /// the epoch began; its length reaches from the first of those to the reopening.
    fn learn_hidden_window(&mut self, now: Duration, wait: Duration) {
        let first = self.epoch_first_send.unwrap_or(self.epoch_start);
        let window = round_window((now + wait).saturating_sub(first));
        let limit = self.epoch_admitted;
        if self
            .log
            .as_ref()
            .is_none_or(|l| limit < l.limit || l.window < window)
        {
            self.log = Some(WindowLog::new(limit, window));
            if self.source.is_none() {
                self.source = Some(Source::Discovered);
            }
        }
    }
}

/// Rounds a learned window down to the period it almost certainly is.
///
/// A window measured from a throttle overshoots the real one: Retry-After is rounded up to whole
/// seconds and the response spends half a round trip coming back. Real limits count per second,
/// minute, hour or day (or simple multiples), so a measurement at most 5 % plus 1.5 s above such a
/// period is that period. Should the guess be short after all, the next throttle teaches again.
fn round_window(measured: Duration) -> Duration {
    const PERIODS: [u64; 14] = [
        1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 86_400,
    ];
    let secs = measured.as_secs_f64();
    PERIODS
        .iter()
        .rev()
        .map(|p| *p as f64)
        .find(|p| secs >= *p && secs <= p * 1.05 + 1.5)
        .map_or(measured, Duration::from_secs_f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn learned_windows_round_down_to_their_period() {
        assert_eq!(round_window(ms(60_900)), ms(60_000));
        assert_eq!(round_window(ms(61_400)), ms(60_000));
        assert_eq!(round_window(ms(10_400)), ms(10_000));
        assert_eq!(round_window(ms(3_600_700)), ms(3_600_000));
        // Too far from any period, or below one: kept as measured.
        assert_eq!(round_window(ms(75_000)), ms(75_000));
        assert_eq!(round_window(ms(59_000)), ms(59_000));
    }
}
