//! One scope's budget: what it knows of its limit, and the spacing of its sends by GCRA on
//! absolute deadlines (a theoretical arrival time and a burst tolerance), with its window log and
//! its discovery when those apply.

use std::time::Duration;

use super::config::PacerConfig;
use super::discovery::{Discovery, discovery_burst};
use super::quota::Advertised;
use super::window::WindowLog;
use crate::planner::Constraint;
use crate::source::Source;

/// What a budget currently believes, for reports and the planner.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetView {
    /// Where the belief comes from; `None` when nothing is known (no constraint applies).
    pub source: Option<Source>,
    /// The sustained rate in requests per second (infinite when only a window count applies).
    pub rate: f64,
    /// Sends allowed back to back by the spacing.
    pub burst: u32,
    /// A count per window, when one is known: at most `.0` sends in any `.1`.
    pub window: Option<(u32, Duration)>,
    /// The gate: nothing is sent before this time.
    pub gate_until: Duration,
    /// Sends the budget would allow right now, back to back (capped at a million).
    pub available_now: u64,
    /// The current limit on requests in flight (token scopes only).
    pub concurrency: u32,
    /// The smoothed latency, in seconds.
    pub latency: f64,
}

#[derive(Debug, Clone)]
pub(super) struct Budget {
    pub(super) source: Option<Source>,
    /// The GCRA emission interval; zero when sends are not spaced (only a window log applies).
    pub(super) interval: Duration,
    /// The server's burst (its bucket's capacity); the pacer keeps some of it in reserve.
    pub(super) full_burst: u32,
    /// Tokens always kept in reserve (the configured minimum).
    pub(super) reserve_min: u32,
    /// Sends allowed back to back, cached by [`Budget::refresh`].
    burst: u32,
    /// The jitter margin, cached by [`Budget::refresh`].
    margin: Duration,
    /// GCRA's theoretical arrival time in nanoseconds; signed, because a bucket that starts full
    /// has its allowance in the past of time zero.
    pub(super) tat: i128,
    pub(super) log: Option<WindowLog>,
    pub(super) gate_until: Duration,
    /// When a throttle last closed the gate.
    pub(super) gated_at: Option<Duration>,
    pub(super) need_probe: bool,
    pub(super) probe_out: bool,
    // Concurrency state (used on token scopes).
    pub(super) in_flight: u32,
    pub(super) latency: f64,
    /// A slow average of latency: the baseline that "rising" is judged against.
    pub(super) latency_baseline: f64,
    /// A smoothed mean absolute deviation of latency.
    pub(super) latency_jitter: f64,
    /// Responses whose latency was observed.
    pub(super) samples: u32,
    pub(super) health: f64,
    pub(super) max_in_flight: u32,
    pub(super) headroom: f64,
    // Learning state.
    pub(super) admitted: u64,
    pub(super) epoch_start: Duration,
    pub(super) epoch_first_send: Option<Duration>,
    pub(super) epoch_admitted: u32,
    pub(super) discovery: Option<Discovery>,
    pub(super) advertised: Advertised,
}

impl Budget {
    pub(super) fn new(config: &PacerConfig) -> Self {
        Self {
            source: None,
            interval: Duration::ZERO,
            full_burst: 1,
            reserve_min: 1,
            burst: 1,
            margin: Duration::from_millis(100),
            tat: 0,
            log: None,
            gate_until: Duration::ZERO,
            gated_at: None,
            need_probe: false,
            probe_out: false,
            in_flight: 0,
            latency: 0.0,
            latency_baseline: 0.0,
            latency_jitter: 0.0,
            samples: 0,
            health: 1.0,
            max_in_flight: config.max_in_flight,
            headroom: config.headroom,
            admitted: 0,
            epoch_start: Duration::ZERO,
            epoch_first_send: None,
            epoch_admitted: 0,
            discovery: None,
            advertised: Advertised::default(),
        }
    }

    /// The sustained rate in requests per second (infinite when sends are not spaced).
    #[inline]
    pub(super) fn rate(&self) -> f64 {
        rate_of(self.interval)
    }

    #[inline]
    pub(super) fn tolerance(&self) -> Duration {
        self.interval * self.burst().saturating_sub(1)
    }

    /// How much arrival times may differ from send times: four times the latency jitter plus a
    /// quarter of the latency, at least 50 ms. Until ten responses are in, the jitter is assumed
    /// to be half the latency (100 ms before any response).
    fn compute_margin(&self) -> Duration {
        let jitter = if self.samples >= 10 {
            self.latency_jitter
        } else if self.latency > 0.0 {
            self.latency_jitter.max(self.latency / 2.0)
        } else {
            0.1
        };
        Duration::from_secs_f64((4.0 * jitter + 0.25 * self.latency).clamp(0.05, 5.0))
    }

    /// Sends allowed back to back: the server's burst less a reserve of tokens that covers the
    /// latency jitter (arrivals bunch up by as much as sends are spread), at least one.
    fn compute_burst(&self) -> u32 {
        if self.interval.is_zero() || self.full_burst <= 1 {
            return self.full_burst.max(1);
        }
        let cover = (self.margin.as_nanos()).div_ceil(self.interval.as_nanos());
        // At high rates the margin covers many intervals: keep at least half the bucket usable,
        // or the pacer could send only one request per turn of its caller's loop.
        let reserve = u32::try_from(cover)
            .unwrap_or(u32::MAX)
            .min(self.full_burst / 2)
            .max(self.reserve_min)
            .min(self.full_burst - 1);
        self.full_burst - reserve
    }

    /// The cached margin (see [`Budget::compute_margin`]).
    #[inline]
    pub(super) fn margin(&self) -> Duration {
        self.margin
    }

    /// The cached burst (see [`Budget::compute_burst`]).
    #[inline]
    pub(super) fn burst(&self) -> u32 {
        self.burst
    }

    /// Recomputes the margin and the burst after the latency or the spacing changed.
    pub(super) fn refresh(&mut self) {
        self.margin = self.compute_margin();
        self.burst = self.compute_burst();
    }

    /// When GCRA allows the next send, in signed nanoseconds.
    #[inline]
    fn allow_at(&self) -> i128 {
        self.tat - nanos(self.tolerance())
    }

    /// The earliest time the spacing allows one more send (gate excluded).
    #[inline]
    pub(super) fn earliest(&self) -> Duration {
        let gcra = from_nanos(self.allow_at());
        match &self.log {
            Some(log) => gcra.max(log.earliest(self.margin())),
            None => gcra,
        }
    }

    /// The earliest time worth asking again (gate excluded): what the spacing allows, or sooner,
    /// the next step of a growing discovery.
    #[inline]
    pub(super) fn next_chance(&self) -> Duration {
        match &self.discovery {
            Some(d) => match d.next_step(self.samples, self.latency) {
                Some(step) => self.earliest().min(step),
                None => self.earliest(),
            },
            None => self.earliest(),
        }
    }

    #[inline]
    pub(super) fn available(&self, now: Duration) -> u64 {
        let interval = self.interval;
        let gcra = if interval.is_zero() {
            1_000_000
        } else {
            let since = nanos(now) - self.allow_at();
            if since < 0 {
                0
            } else {
                let due = (since / nanos(interval)) as u64 + 1;
                due.min(u64::from(self.burst()))
            }
        };
        match &self.log {
            Some(log) => gcra.min(log.available(now, self.margin())),
            None => gcra,
        }
    }

    #[inline]
    pub(super) fn record_send(&mut self, now: Duration) {
        let interval = self.interval;
        self.tat = self.tat.max(nanos(now)) + nanos(interval);
        if let Some(log) = &mut self.log {
            log.record(now);
        }
        if self.epoch_first_send.is_none() && now >= self.epoch_start {
            self.epoch_first_send = Some(now);
        }
    }

    /// Counts an admission of a request sent at `sent_at`.
    pub(super) fn record_admission(&mut self, sent_at: Duration) {
        self.admitted += 1;
        if sent_at >= self.epoch_start {
            self.epoch_admitted = self.epoch_admitted.saturating_add(1);
        }
    }

    /// Sets the sustained rate (in requests per second), keeping the spacing's position in time.
    pub(super) fn set_rate(&mut self, rate: f64, burst: u32, now: Duration) {
        let interval = if rate.is_finite() {
            // Rounded up to the next microsecond, so that float error never makes it faster.
            let nanos = (1e9 / rate.max(1e-3)).ceil();
            Duration::from_nanos((nanos as u64).div_ceil(1_000) * 1_000)
        } else {
            Duration::ZERO
        };
        self.set_interval(interval, burst, now);
    }

    /// Sets the spacing between sends, keeping how far ahead of now the schedule runs (in sends),
    /// so that a change neither grants a sudden burst nor stalls.
    pub(super) fn set_interval(&mut self, interval: Duration, burst: u32, now: Duration) {
        let ahead = if self.interval.is_zero() {
            0.0
        } else {
            (self.tat - nanos(now)).max(0) as f64 / nanos(self.interval) as f64
        };
        self.interval = interval;
        self.full_burst = burst.max(1);
        self.refresh();
        self.tat = nanos(now) + nanos(interval.mul_f64(ahead.min(f64::from(self.burst()))));
    }

    /// Starts discovery at `rate` if nothing is known of this scope's limit.
    #[inline]
    pub(super) fn ensure_discovery(&mut self, rate: f64, now: Duration) {
        if self.source.is_none() {
            self.source = Some(Source::Discovered);
            self.discovery = Some(Discovery::new(self.admitted, now));
            self.set_rate(rate, discovery_burst(rate), now);
        }
    }

    /// Grows a discovering budget's rate by one step when it is time to, up to `max`.
    #[inline]
    pub(super) fn grow_discovery(&mut self, max: f64, now: Duration) {
        let Some(d) = &mut self.discovery else {
            return;
        };
        let rate = rate_of(self.interval);
        let Some(new_rate) = d.next_rate(rate, self.samples, self.latency, max, now) else {
            return;
        };
        if (new_rate - rate).abs() > rate * 0.01 {
            self.set_rate(new_rate, discovery_burst(new_rate), now);
        }
    }

    /// What the planner needs of this budget, under the name `scope`.
    pub(super) fn constraint(&self, scope: String, now: Duration) -> Constraint {
        Constraint {
            scope,
            source: self.source,
            available_now: self.available(now),
            rate: self.rate(),
            window: self.log.as_ref().map(|l| (l.limit, l.window)),
            window_next_free: self
                .log
                .as_ref()
                .map_or(Duration::ZERO, |l| l.earliest(self.margin())),
            gate_until: self.gate_until,
        }
    }
}

/// The sustained rate of sends spaced by `interval`, in requests per second (infinite when they
/// are not spaced).
#[inline]
fn rate_of(interval: Duration) -> f64 {
    if interval.is_zero() {
        f64::INFINITY
    } else {
        1.0 / interval.as_secs_f64()
    }
}

/// A time as signed nanoseconds.
#[inline]
pub(super) fn nanos(d: Duration) -> i128 {
    d.as_nanos() as i128
}

/// A signed nanosecond time as a `Duration`, zero if it lies before the origin.
#[inline]
fn from_nanos(n: i128) -> Duration {
    Duration::from_nanos(u64::try_from(n.max(0)).unwrap_or(u64::MAX))
}
