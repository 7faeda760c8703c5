//! Discovery: how a budget that knows no limit finds the server's rate, the AWS adaptive cubic but
//! settling under the first throttle instead of above it.

use std::time::Duration;

/// Discovery: the AWS adaptive cubic, but settling under the first throttle instead of above it.
#[derive(Debug, Clone)]
pub(super) struct Discovery {
    /// The rate at the last throttle (the ceiling), once one happened.
    peak: Option<f64>,
    /// When the last throttle happened.
    throttled_at: Duration,
    /// When the gate of the last throttle reopened, and the admissions counted at that throttle:
    /// what the server admits from then until its next refusal is at least its rate.
    reopened_at: Duration,
    admitted_then: u64,
    /// When the rate last grew before any throttle.
    last_growth: Duration,
}

impl Discovery {
    /// Discovery that starts at `now`, after `admitted` admissions.
    pub(super) fn new(admitted: u64, now: Duration) -> Self {
        Self {
            peak: None,
            throttled_at: now,
            reopened_at: now,
            admitted_then: admitted,
            last_growth: now,
        }
    }

    /// The rate discovery moves to from `rate` at `now`, or `None` when it is not yet time to grow.
    pub(super) fn next_rate(
        &mut self,
        rate: f64,
        samples: u32,
        latency: f64,
        max: f64,
        now: Duration,
    ) -> Option<f64> {
        match self.peak {
            None => {
                // Slow start: the rate grows by half every step without a throttle. A step is a
                // quarter second, or four round trips of a server that answers faster (see
                // `discovery_step`), so that growth never outruns the evidence of the responses
                // and a fast server without limits is found in about a second.
                // One step at a time: time spent waiting is no evidence, so it is not caught up.
                if samples == 0 || now < self.last_growth + discovery_step(latency) {
                    return None;
                }
                self.last_growth = now;
                // Past 50 requests a second without a single throttle the server is plainly not
                // one of the few-a-second limits: quadruple instead, to reach its pace quickly.
                let factor = if rate >= 50.0 { 4.0 } else { 1.5 };
                Some((rate * factor).min(max))
            }
            Some(peak) => {
                // Cubic recovery towards the throttled rate, settling just under it.
                let t = now.saturating_sub(self.throttled_at).as_secs_f64();
                let k = (peak * 0.3 / 0.4).cbrt();
                Some((0.4 * (t - k).powi(3) + peak).clamp(0.7 * peak, 0.95 * peak))
            }
        }
    }

    /// When a sender waiting on a growing discovery should come back: at its next step, which may
    /// let it send sooner. `None` once a throttle ended the growth, or before any response.
    #[inline]
    pub(super) fn next_step(&self, samples: u32, latency: f64) -> Option<Duration> {
        if self.peak.is_none() && samples > 0 {
            Some(self.last_growth + discovery_step(latency))
        } else {
            None
        }
    }

    /// Takes a throttle at `now` (the gate reopening after `wait`), with `admitted` admissions so
    /// far and `rate_now` the rate sent at; returns the rate measured for the server.
    pub(super) fn throttled(
        &mut self,
        admitted: u64,
        rate_now: f64,
        now: Duration,
        wait: Duration,
    ) -> f64 {
        // The rate sent at is above the server's (or it would not have refused), by up to a
        // step of growth, or by far more while a large burst hid the limit: the first
        // throttle takes it as the ceiling. Between two throttles the bucket went from empty
        // to empty, so the admissions in between bound its rate: over the time since the
        // reopening they are at least the rate (what refilled while the gate was shut came
        // on top), and over the time since the last throttle at most the rate (the bucket may
        // have overflowed while shut). The estimate is the geometric mean of the two, which
        // both close in on the rate as the time between throttles grows.
        let admissions = admitted.saturating_sub(self.admitted_then) as f64;
        let since_reopening = now.saturating_sub(self.reopened_at).as_secs_f64();
        let since_throttle = now.saturating_sub(self.throttled_at).as_secs_f64();
        let measured = match self.peak {
            Some(_) if since_reopening > 0.0 && admissions > 0.0 => {
                let upper = admissions / since_reopening;
                let lower = admissions / since_throttle;
                (upper * lower).sqrt().min(rate_now).max(rate_now * 0.25)
            }
            _ => rate_now,
        };
        self.peak = Some(self.peak.map_or(measured, |p| p.min(measured)));
        self.throttled_at = now;
        self.reopened_at = now + wait;
        self.admitted_then = admitted;
        measured
    }
}

/// The time between two steps of discovery's growth for a server answering in `latency` seconds:
/// a quarter second, or four round trips of a server that answers faster, but at least 50 ms.
#[inline]
fn discovery_step(latency: f64) -> Duration {
    Duration::from_secs_f64((latency * 4.0).clamp(0.05, 0.25))
}

/// The burst discovery allows at `rate`: 20 ms of sends, at least one. At a few requests a second
/// this is one (sends evenly spaced); at thousands it lets a caller whose loop turns more slowly
/// than the interval catch up.
pub(super) fn discovery_burst(rate: f64) -> u32 {
    if rate.is_finite() {
        (rate * 0.02).ceil().clamp(1.0, 1_000_000.0) as u32
    } else {
        1
    }
}
