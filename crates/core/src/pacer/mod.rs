//! The pacer: decides when each request may be sent, sans I/O, from an injected clock.
//!
//! There is one budget per scope: per token, and per endpoint once a limit is known for it. A send
//! must pass the budget of its token and of its endpoint. Each budget spaces sends by GCRA on
//! absolute deadlines (a theoretical arrival time and a burst tolerance) and, where the server's
//! limit is a count per window whose bursts are allowed, by a sliding log of the last sends, so that
//! a fixed window is used as bursts at each reset rather than an even trickle.
//!
//! Where the rate comes from, best first: what the caller declares ([`Pacer::declare`]), what the
//! organization's limits API reports ([`Pacer::org_limit`]), what response headers advertise, and
//! otherwise discovery (start at Genesys's per-token rate, grow one step per quarter second or per
//! four round trips of a faster server, settle under the first throttle, estimate the server's rate
//! from what it admitted between throttles, and recover along a cubic curve towards, but never
//! above, the rate so estimated). A 429, or a 503 with Retry-After,
//! closes the scope's gate until the server's time; then one probe goes first and the rest follow
//! at the budget's own spacing, so no herd forms. A throttle that the known limits do not explain
//! teaches the pacer a limit: a count per window when the server asks for a long wait (a hidden
//! window limit), otherwise a lower rate.
//!
//! Concurrency follows Little's law: rate times observed latency, with head-room, bounded by
//! [`PacerConfig::max_in_flight`]; it shrinks when latency rises or the server answers 5xx, and it
//! is never below one.
//!
//! An executor drives it like this (see also the engine report in the notes):
//! ```
//! use std::time::Duration;
//! use pacer_core::pacer::{Acquire, Feedback, Pacer, PacerConfig, Route};
//! use pacer_core::signals::{parse, ParseContext};
//!
//! let mut pacer = Pacer::new(PacerConfig::default());
//! let route = Route::new(pacer.scope("token:1"), Some(pacer.scope("PUT /schedule")));
//! let now = Duration::ZERO;
//! match pacer.acquire(route, now) {
//!     Acquire::Send(permit) => {
//!         // ... send the request, then, when the response arrives at `later`:
//!         let later = now + Duration::from_millis(200);
//!         let signals = parse(200, &[], b"", ParseContext::default());
//!         pacer.complete(permit, later, Feedback::Response(&signals));
//!     }
//!     Acquire::Wait(until) => { /* sleep until `until`, or until a response arrives */ }
//!     Acquire::AtCapacity => { /* wait for a response */ }
//! }
//! ```

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use crate::limiter::{Algorithm, LimitSpec};
use crate::planner::{Constraint, Plan, plan};
use crate::signals::{HeaderStyle, Signals};

pub use crate::source::Source;

/// The pacer's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct PacerConfig {
    /// The most requests in flight at once, per token.
    pub max_in_flight: u32,
    /// Little's law head-room: in flight = rate x latency x this.
    pub headroom: f64,
    /// Tokens of an advertised or declared bucket left unused, to absorb latency jitter.
    pub reserve: u32,
    /// The window assumed for a quota advertised without one (Genesys limits are per minute).
    pub default_window: Duration,
    /// Discovery's first rate, in requests per second. The default is Genesys Cloud's limit per
    /// token (300 a minute), the lowest a Platform API client meets: starting there costs nothing
    /// against it, and a faster server is reached sooner.
    pub discovery_rate: f64,
    /// Discovery's highest rate before any throttle, in requests per second.
    pub discovery_max_rate: f64,
    /// The wait assumed when a throttle says nothing about how long to wait.
    pub default_throttle_wait: Duration,
}

impl Default for PacerConfig {
    fn default() -> Self {
        Self {
            max_in_flight: 64,
            headroom: 2.0,
            reserve: 1,
            default_window: Duration::from_secs(60),
            discovery_rate: 5.0,
            discovery_max_rate: 1_000_000.0,
            default_throttle_wait: Duration::from_secs(1),
        }
    }
}

/// A scope's handle: a token or an endpoint, interned by [`Pacer::scope`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScopeId(u32);

/// The scopes one request counts against: its token, and its endpoint if the caller names one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Route {
    /// The token's scope (gate, concurrency and the token's rate limit).
    pub token: ScopeId,
    /// The endpoint's scope, where endpoint limits are learned or declared.
    pub endpoint: Option<ScopeId>,
}

impl Route {
    /// A route through a token and, optionally, an endpoint.
    pub fn new(token: ScopeId, endpoint: Option<ScopeId>) -> Self {
        Self { token, endpoint }
    }
}

/// The answer to [`Pacer::acquire`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acquire {
    /// Send now; give the permit back to [`Pacer::complete`] with the outcome.
    Send(Permit),
    /// Nothing may be sent before this absolute time (a response arriving earlier may change it).
    Wait(Duration),
    /// As many requests are in flight as allowed: ask again when one completes.
    AtCapacity,
}

/// The right to send one request, returned to the pacer with its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permit {
    route: Route,
    sent_at: Duration,
    probe: bool,
}

impl Permit {
    /// The route it was granted for.
    pub fn route(&self) -> Route {
        self.route
    }

    /// When it was granted.
    pub fn sent_at(&self) -> Duration {
        self.sent_at
    }

    /// Whether it is the probe that re-opens a gate.
    pub fn is_probe(&self) -> bool {
        self.probe
    }
}

/// How a request ended, as the pacer needs to know it.
#[derive(Debug, Clone, Copy)]
pub enum Feedback<'a> {
    /// The server answered; its signals are parsed.
    Response(&'a Signals),
    /// No answer: a timeout or a broken connection.
    TransportError,
    /// The request was never sent (the caller gave the permit back unused).
    Cancelled,
}

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

/// A sliding log of the last `limit` sends, for a count-per-window limit.
#[derive(Debug, Clone)]
struct WindowLog {
    limit: u32,
    window: Duration,
    sends: VecDeque<Duration>,
}

impl WindowLog {
    fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit: limit.max(1),
            window,
            sends: VecDeque::new(),
        }
    }

    /// The earliest time one more send fits, given a safety margin on the window.
    fn earliest(&self, margin: Duration) -> Duration {
        if (self.sends.len() as u32) < self.limit {
            Duration::ZERO
        } else {
            self.sends[self.sends.len() - self.limit as usize] + self.window + margin
        }
    }

    fn record(&mut self, at: Duration) {
        self.sends.push_back(at);
        while self.sends.len() > self.limit as usize {
            self.sends.pop_front();
        }
    }

    fn available(&self, now: Duration, margin: Duration) -> u64 {
        // Sends are recorded in time order, so the live ones are a suffix.
        let expired = self
            .sends
            .partition_point(|s| *s + self.window + margin <= now);
        let live = (self.sends.len() - expired) as u64;
        u64::from(self.limit).saturating_sub(live)
    }
}

/// Discovery: the AWS adaptive cubic, but settling under the first throttle instead of above it.
#[derive(Debug, Clone)]
struct Discovery {
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

/// Tracks advertised quotas to estimate the refill rate by conservation of tokens.
#[derive(Debug, Clone, Default)]
struct Advertised {
    /// The first sample of the current estimation span: (time, remaining, admitted so far).
    anchor: Option<(Duration, u32, u64)>,
    /// The highest limit seen.
    limit: u32,
    /// The rate the organization's limits API reported, in requests per second: a ceiling for
    /// what the headers suggest, and the first guess before they have said enough.
    org_rate: Option<f64>,
}

#[derive(Debug, Clone)]
struct Budget {
    source: Option<Source>,
    /// The GCRA emission interval; zero when sends are not spaced (only a window log applies).
    interval: Duration,
    /// The server's burst (its bucket's capacity); the pacer keeps some of it in reserve.
    full_burst: u32,
    /// Tokens always kept in reserve (the configured minimum).
    reserve_min: u32,
    /// Sends allowed back to back, cached by [`Budget::refresh`].
    burst: u32,
    /// The jitter margin, cached by [`Budget::refresh`].
    margin: Duration,
    /// GCRA's theoretical arrival time in nanoseconds; signed, because a bucket that starts full
    /// has its allowance in the past of time zero.
    tat: i128,
    log: Option<WindowLog>,
    gate_until: Duration,
    /// When a throttle last closed the gate.
    gated_at: Option<Duration>,
    need_probe: bool,
    probe_out: bool,
    // Concurrency state (used on token scopes).
    in_flight: u32,
    latency: f64,
    /// A slow average of latency: the baseline that "rising" is judged against.
    latency_baseline: f64,
    /// A smoothed mean absolute deviation of latency.
    latency_jitter: f64,
    /// Responses whose latency was observed.
    samples: u32,
    health: f64,
    max_in_flight: u32,
    headroom: f64,
    // Learning state.
    admitted: u64,
    epoch_start: Duration,
    epoch_first_send: Option<Duration>,
    epoch_admitted: u32,
    discovery: Option<Discovery>,
    advertised: Advertised,
}

impl Budget {
    fn new(config: &PacerConfig) -> Self {
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
    fn rate(&self) -> f64 {
        if self.interval.is_zero() {
            f64::INFINITY
        } else {
            1.0 / self.interval.as_secs_f64()
        }
    }

    fn tolerance(&self) -> Duration {
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
    fn margin(&self) -> Duration {
        self.margin
    }

    /// The cached burst (see [`Budget::compute_burst`]).
    fn burst(&self) -> u32 {
        self.burst
    }

    /// Recomputes the margin and the burst after the latency or the spacing changed.
    fn refresh(&mut self) {
        self.margin = self.compute_margin();
        self.burst = self.compute_burst();
    }

    /// When GCRA allows the next send, in signed nanoseconds.
    fn allow_at(&self) -> i128 {
        self.tat - nanos(self.tolerance())
    }

    /// The earliest time the spacing allows one more send (gate excluded).
    fn earliest(&self) -> Duration {
        let gcra = from_nanos(self.allow_at());
        match &self.log {
            Some(log) => gcra.max(log.earliest(self.margin())),
            None => gcra,
        }
    }

    fn available(&self, now: Duration) -> u64 {
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

    /// In flight allowed: Little's law on the baseline latency (so a latency rise, which means the
    /// server is queueing, does not buy more requests in flight), with head-room, or the burst
    /// available now if larger, times the health factor; between one and the maximum.
    fn concurrency(&self, now: Duration) -> u32 {
        let latency = if self.latency_baseline > 0.0 {
            self.latency_baseline
        } else {
            0.2
        };
        let rate = if self.rate().is_finite() {
            self.rate()
        } else {
            f64::from(self.max_in_flight) / latency
        };
        let little = (rate * latency * self.headroom).ceil() + 1.0;
        let burst = self.available(now).min(u64::from(self.max_in_flight)) as f64;
        let wanted = little.max(burst) * self.health;
        (wanted as u32).clamp(1, self.max_in_flight.max(1))
    }

    fn record_send(&mut self, now: Duration) {
        let interval = self.interval;
        self.tat = self.tat.max(nanos(now)) + nanos(interval);
        if let Some(log) = &mut self.log {
            log.record(now);
        }
        if self.epoch_first_send.is_none() && now >= self.epoch_start {
            self.epoch_first_send = Some(now);
        }
    }

    /// Sets the sustained rate (in requests per second), keeping the spacing's position in time.
    fn set_rate(&mut self, rate: f64, burst: u32, now: Duration) {
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
    fn set_interval(&mut self, interval: Duration, burst: u32, now: Duration) {
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

    fn close_gate(&mut self, until: Duration) {
        if until > self.gate_until {
            self.gate_until = until;
        }
        self.need_probe = true;
    }
}

fn nanos(d: Duration) -> i128 {
    d.as_nanos() as i128
}

/// A signed nanosecond time as a `Duration`, zero if it lies before the origin.
fn from_nanos(n: i128) -> Duration {
    Duration::from_nanos(u64::try_from(n.max(0)).unwrap_or(u64::MAX))
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

/// The pacing engine for one process: budgets per scope, gates, concurrency and learning.
#[derive(Debug, Clone)]
pub struct Pacer {
    config: PacerConfig,
    names: HashMap<String, ScopeId>,
    budgets: Vec<Budget>,
}

impl Pacer {
    /// A pacer that knows nothing yet: every token starts in discovery until told more.
    pub fn new(config: PacerConfig) -> Self {
        Self {
            config,
            names: HashMap::new(),
            budgets: Vec::new(),
        }
    }

    /// The settings.
    pub fn config(&self) -> &PacerConfig {
        &self.config
    }

    /// The scope of this name, created on first use (names are the caller's: `token:...`, a route).
    pub fn scope(&mut self, name: &str) -> ScopeId {
        if let Some(id) = self.names.get(name) {
            return *id;
        }
        let id = ScopeId(self.budgets.len() as u32);
        self.budgets.push(Budget::new(&self.config));
        self.names.insert(name.to_owned(), id);
        id
    }

    fn budget(&mut self, id: ScopeId) -> &mut Budget {
        &mut self.budgets[id.0 as usize]
    }

    /// Declares a scope's limit: it wins over every other source.
    pub fn declare(&mut self, scope: ScopeId, spec: LimitSpec, now: Duration) {
        self.apply_spec(scope, spec, Source::Declared, now);
    }

    /// Records what the organization's limits API reports: `limit` requests per `window`, shape
    /// unknown. The pacer then sends in bursts of at most `limit` per `window` (a sliding log,
    /// which every fixed or sliding window of that size admits).
    pub fn org_limit(&mut self, scope: ScopeId, limit: u32, window: Duration, now: Duration) {
        let spec = LimitSpec {
            algorithm: Algorithm::SlidingWindow,
            limit,
            window,
            burst: limit,
        };
        self.apply_spec(scope, spec, Source::OrgLimits, now);
        let b = self.budget(scope);
        if b.source == Some(Source::OrgLimits) {
            b.advertised.org_rate = Some(f64::from(limit) / window.as_secs_f64());
            // The API gives the count, not the shape: one request goes first, alone, so that
            // advertised headers (a bucket's capacity) can refine it before any burst.
            b.need_probe = true;
        }
    }

    fn apply_spec(&mut self, scope: ScopeId, spec: LimitSpec, source: Source, now: Duration) {
        if spec.validate().is_err() {
            return;
        }
        let reserve = self.config.reserve;
        let max_in_flight = self.config.max_in_flight;
        let b = self.budget(scope);
        if b.source.is_some_and(|s| s < source) {
            return;
        }
        b.source = Some(source);
        b.discovery = None;
        match spec.algorithm {
            Algorithm::TokenBucket => {
                b.log = None;
                b.reserve_min = reserve;
                // The server's own interval, truncated the same way, so that both agree exactly.
                b.set_interval(spec.window / spec.limit, spec.burst, now);
            }
            Algorithm::FixedWindow | Algorithm::SlidingWindow => {
                b.log = Some(WindowLog::new(spec.limit, spec.window));
                b.set_rate(f64::INFINITY, spec.limit, now);
            }
            Algorithm::Concurrency => {
                b.max_in_flight = spec.limit.min(max_in_flight).max(1);
            }
        }
    }

    /// What a scope's budget currently believes.
    pub fn view(&self, scope: ScopeId, now: Duration) -> BudgetView {
        let b = &self.budgets[scope.0 as usize];
        BudgetView {
            source: b.source,
            rate: b.rate(),
            burst: b.burst(),
            window: b.log.as_ref().map(|l| (l.limit, l.window)),
            gate_until: b.gate_until,
            available_now: b.available(now),
            concurrency: b.concurrency(now),
            latency: b.latency,
        }
    }

    /// Plans `items` more sends on `route` from `now`: the earliest finish the known limits allow,
    /// the ETA (slower if `observed_rate`, in items per second, is slower), and whether `deadline`
    /// can be met, with the reason in one sentence.
    pub fn plan(
        &self,
        route: Route,
        items: u64,
        now: Duration,
        observed_rate: Option<f64>,
        deadline: Option<Duration>,
    ) -> Plan {
        let reverse: HashMap<ScopeId, &str> =
            self.names.iter().map(|(n, id)| (*id, n.as_str())).collect();
        let constraints: Vec<Constraint> = Self::scopes(route)
            .filter(|s| (s.0 as usize) < self.budgets.len())
            .map(|scope| {
                let b = &self.budgets[scope.0 as usize];
                let name = if scope == route.token {
                    "token"
                } else {
                    "endpoint"
                };
                Constraint {
                    scope: format!("{name} `{}`", reverse.get(&scope).copied().unwrap_or("?")),
                    source: b.source,
                    available_now: b.available(now),
                    rate: b.rate(),
                    window: b.log.as_ref().map(|l| (l.limit, l.window)),
                    window_next_free: b
                        .log
                        .as_ref()
                        .map_or(Duration::ZERO, |l| l.earliest(b.margin())),
                    gate_until: b.gate_until,
                }
            })
            .collect();
        let latency = self
            .budgets
            .get(route.token.0 as usize)
            .map_or(Duration::ZERO, |b| Duration::from_secs_f64(b.latency));
        plan(&constraints, items, now, latency, observed_rate, deadline)
    }

    fn scopes(route: Route) -> impl Iterator<Item = ScopeId> {
        std::iter::once(route.token).chain(route.endpoint)
    }

    fn ensure_discovery(&mut self, scope: ScopeId, now: Duration) {
        let rate = self.config.discovery_rate;
        let b = self.budget(scope);
        if b.source.is_none() {
            b.source = Some(Source::Discovered);
            b.discovery = Some(Discovery {
                peak: None,
                throttled_at: now,
                reopened_at: now,
                admitted_then: b.admitted,
                last_growth: now,
            });
            b.set_rate(rate, discovery_burst(rate), now);
        }
    }

    fn grow_discovery(&mut self, scope: ScopeId, now: Duration) {
        let max = self.config.discovery_max_rate;
        let b = self.budget(scope);
        let Some(d) = &mut b.discovery else {
            return;
        };
        let new_rate = match d.peak {
            None => {
                // Slow start: the rate grows by half every step without a throttle. A step is a
                // quarter second, or four round trips of a server that answers faster (see
                // `discovery_step`), so that growth never outruns the evidence of the responses
                // and a fast server without limits is found in about a second.
                // One step at a time: time spent waiting is no evidence, so it is not caught up.
                if b.samples == 0 || now < d.last_growth + discovery_step(b.latency) {
                    return;
                }
                d.last_growth = now;
                // Past 50 requests a second without a single throttle the server is plainly not
                // one of the few-a-second limits: quadruple instead, to reach its pace quickly.
                let factor = if b.rate() >= 50.0 { 4.0 } else { 1.5 };
                (b.rate() * factor).min(max)
            }
            Some(peak) => {
                // Cubic recovery towards the throttled rate, settling just under it.
                let t = now.saturating_sub(d.throttled_at).as_secs_f64();
                let k = (peak * 0.3 / 0.4).cbrt();
                (0.4 * (t - k).powi(3) + peak).clamp(0.7 * peak, 0.95 * peak)
            }
        };
        if (new_rate - b.rate()).abs() > b.rate() * 0.01 {
            b.set_rate(new_rate, discovery_burst(new_rate), now);
        }
    }

    /// Asks whether a request on `route` may be sent at `now`.
    pub fn acquire(&mut self, route: Route, now: Duration) -> Acquire {
        // The token scope always has a budget: discovery if nothing else is known.
        self.ensure_discovery(route.token, now);
        let mut wait = Duration::ZERO;
        let mut probe = false;
        for scope in Self::scopes(route) {
            self.grow_discovery(scope, now);
            let b = &self.budgets[scope.0 as usize];
            if now < b.gate_until {
                wait = wait.max(b.gate_until);
                continue;
            }
            if b.need_probe {
                if b.probe_out {
                    return Acquire::AtCapacity;
                }
                probe = true;
            }
            // A sender waiting on a growing discovery comes back at its next step, which may let
            // it send sooner.
            let earliest = match &b.discovery {
                Some(d) if d.peak.is_none() && b.samples > 0 => {
                    b.earliest().min(d.last_growth + discovery_step(b.latency))
                }
                _ => b.earliest(),
            };
            wait = wait.max(earliest);
        }
        if wait > now {
            return Acquire::Wait(wait);
        }
        let token = &self.budgets[route.token.0 as usize];
        let limit = if probe { 1 } else { token.concurrency(now) };
        if token.in_flight >= limit {
            return Acquire::AtCapacity;
        }
        for scope in Self::scopes(route) {
            let b = self.budget(scope);
            b.record_send(now);
            if probe && b.need_probe {
                b.probe_out = true;
            }
        }
        self.budget(route.token).in_flight += 1;
        Acquire::Send(Permit {
            route,
            sent_at: now,
            probe,
        })
    }

    /// Reports how a permitted request ended, at `now`.
    pub fn complete(&mut self, permit: Permit, now: Duration, feedback: Feedback<'_>) {
        let route = permit.route;
        {
            let token = self.budget(route.token);
            token.in_flight = token.in_flight.saturating_sub(1);
        }
        if permit.probe {
            for scope in Self::scopes(route) {
                self.budget(scope).probe_out = false;
            }
        }
        let signals = match feedback {
            Feedback::Cancelled => return,
            Feedback::TransportError => {
                let token = self.budget(route.token);
                token.health = (token.health * 0.8).max(0.05);
                return;
            }
            Feedback::Response(signals) => signals,
        };
        let latency = now.saturating_sub(permit.sent_at).as_secs_f64();
        for scope in Self::scopes(route) {
            self.observe_latency(scope, latency, signals.status);
        }
        match signals.status {
            429 => self.on_throttle(&permit, now, signals),
            500..=599 => {
                if let Some(wait) = signals.retry_after {
                    // Maintenance: the whole token waits, then probes.
                    let until = now + wait;
                    self.budget(route.token).close_gate(until);
                }
                // Whether a limit counted a 5xx is unknown; not counting it keeps every estimate
                // on the safe side.
                self.on_quota(route.token, now, signals);
            }
            _ => {
                for scope in Self::scopes(route) {
                    let b = self.budget(scope);
                    if permit.probe {
                        b.need_probe = false;
                    }
                    self.admitted(scope, permit.sent_at);
                }
                self.on_quota(route.token, now, signals);
                self.learn_named_limit(route, now, signals);
            }
        }
    }

    fn admitted(&mut self, scope: ScopeId, sent_at: Duration) {
        let b = self.budget(scope);
        b.admitted += 1;
        if sent_at >= b.epoch_start {
            b.epoch_admitted = b.epoch_admitted.saturating_add(1);
        }
    }

    fn observe_latency(&mut self, scope: ScopeId, latency: f64, status: u16) {
        let b = self.budget(scope);
        b.samples = b.samples.saturating_add(1);
        if b.latency == 0.0 {
            b.latency = latency;
            b.latency_baseline = latency;
        } else {
            b.latency_jitter = 0.95 * b.latency_jitter + 0.05 * (latency - b.latency).abs();
            b.latency = 0.8 * b.latency + 0.2 * latency;
            b.latency_baseline = 0.99 * b.latency_baseline + 0.01 * latency;
        }
        if (500..=599).contains(&status) {
            b.health = (b.health * 0.8).max(0.05);
        } else if b.latency > 2.0 * b.latency_baseline && b.latency > 0.05 {
            // Rising latency: the server is queueing; hold back.
            b.health = (b.health * 0.95).max(0.05);
        } else {
            b.health = (b.health + 0.02).min(1.0);
        }
        b.refresh();
    }

    /// Folds an advertised quota into the token's budget.
    fn on_quota(&mut self, token: ScopeId, now: Duration, signals: &Signals) {
        let Some(q) = &signals.quota else {
            return;
        };
        let (Some(limit), Some(remaining)) = (q.limit, q.remaining) else {
            return;
        };
        let reserve = self.config.reserve;
        let default_window = self.config.default_window;
        let b = self.budget(token);
        // A declared limit is the user's word. The org limits API gives only a count per window,
        // so headers, which describe the server's very limiter, refine its shape.
        if b.source.is_some_and(|s| s < Source::OrgLimits) {
            return;
        }
        let org_rate = b.advertised.org_rate;
        if b.source == Some(Source::OrgLimits) {
            b.log = None;
        }
        let first = b.source != Some(Source::Advertised);
        b.source = Some(Source::Advertised);
        b.discovery = None;
        b.advertised.limit = b.advertised.limit.max(limit);
        let limit = b.advertised.limit;
        // A policy with a window (IETF drafts) states the quota outright: a count per window.
        if let Some(window) = q.window.filter(|_| q.style != HeaderStyle::XRateLimit) {
            if first
                || b.log
                    .as_ref()
                    .is_none_or(|l| l.limit != limit || l.window != window)
            {
                b.log = Some(WindowLog::new(limit, window));
                b.set_rate(f64::INFINITY, limit, now);
            }
            return;
        }
        // Otherwise estimate the refill rate. Over a long span, tokens are conserved: what refilled
        // equals what was admitted plus the change in remaining (while the quota is not full).
        let admitted = b.admitted;
        let mut rate = None;
        match b.advertised.anchor {
            Some((at, r0, a0)) if remaining < limit && now > at => {
                let span = (now - at).as_secs_f64();
                let refilled = (admitted - a0) as f64 + f64::from(remaining) - f64::from(r0);
                if span >= 2.0 {
                    rate = Some(refilled / span);
                }
            }
            _ => b.advertised.anchor = (remaining < limit).then_some((now, remaining, admitted)),
        }
        if rate.is_none() {
            // Early on: the time to become whole again, for what is used (exact for a bucket).
            if let Some(reset) = q.reset_after.filter(|r| !r.is_zero())
                && remaining < limit
                && limit - remaining >= 2
            {
                rate = Some(f64::from(limit - remaining) / reset.as_secs_f64());
            }
        }
        let rate = rate
            .filter(|r| r.is_finite() && *r > 0.0)
            .or_else(|| {
                first.then(|| org_rate.unwrap_or(f64::from(limit) / default_window.as_secs_f64()))
            })
            .map(|r| org_rate.map_or(r, |ceiling| r.min(ceiling)));
        b.reserve_min = reserve;
        b.refresh();
        if let Some(rate) = rate
            && (first || (rate - b.rate()).abs() > b.rate() * 0.005 || limit != b.full_burst)
        {
            b.set_rate(rate, limit, now);
        }
        // Closed loop: when the server has fewer left than the spacing assumes (someone else spends
        // the same quota, or the estimate ran ahead), pull the schedule back; when it has more,
        // let the surplus out. A dead band of one keeps ordinary jitter from moving it.
        let interval = b.interval;
        if !interval.is_zero() {
            let others = u64::from(b.in_flight);
            let server = u64::from(remaining).saturating_sub(others);
            let server = server.saturating_sub(u64::from(b.full_burst - b.burst()));
            let ours = b.available(now);
            if server + 1 < ours || server > ours + 1 {
                let server = server.min(u64::from(b.burst())) as u32;
                // Allow exactly `server` sends now: tat - tolerance = now - (server - 1) * interval.
                b.tat =
                    nanos(now) + nanos(b.tolerance()) - nanos(interval) * (i128::from(server) - 1);
            }
        }
    }

    /// Learns from a 2xx body or a 429 body that names its limit (`limit {key, value}`).
    fn learn_named_limit(&mut self, route: Route, now: Duration, signals: &Signals) {
        let Some(named) = signals.named_limit() else {
            return;
        };
        let (Some(value), Some(window)) = (named.value, named.window()) else {
            return;
        };
        let scope = if named.is_token_limit() {
            route.token
        } else {
            match route.endpoint {
                Some(e) => e,
                None => route.token,
            }
        };
        let limit = u32::try_from(value).unwrap_or(u32::MAX).max(1);
        let known = self.budgets[scope.0 as usize]
            .log
            .as_ref()
            .is_some_and(|l| l.limit == limit && l.window == window);
        if !known {
            let spec = LimitSpec {
                algorithm: Algorithm::SlidingWindow,
                limit,
                window,
                burst: limit,
            };
            self.apply_spec(scope, spec, Source::Advertised, now);
        }
    }

    fn on_throttle(&mut self, permit: &Permit, now: Duration, signals: &Signals) {
        let route = permit.route;
        let wait = signals
            .wait_hint()
            .unwrap_or(self.config.default_throttle_wait);
        let until = now + wait;
        // Which limit refused? The body may say; otherwise, if the token's advertised quota still
        // has room, the refusal came from another (hidden) limit on the endpoint.
        let named_token = signals.named_limit().map(|n| n.is_token_limit());
        let token_has_room = signals
            .quota
            .as_ref()
            .and_then(|q| q.remaining)
            .is_some_and(|r| r > 0);
        let scope = match (named_token, route.endpoint) {
            (Some(false), Some(e)) => e,
            (None, Some(e)) if token_has_room => e,
            _ => route.token,
        };
        self.learn_named_limit(route, now, signals);
        // Learn from this throttle unless it says nothing new: a request that was already in
        // flight when an earlier throttle closed the gate, or the probe that found it still shut.
        let b = &self.budgets[scope.0 as usize];
        let in_flight_when_gated = b.gated_at.is_some_and(|at| permit.sent_at < at);
        if !in_flight_when_gated && !permit.probe && signals.named_limit().is_none() {
            self.learn_from_throttle(scope, now, wait);
        }
        let b = self.budget(scope);
        b.close_gate(until);
        b.gated_at = Some(now);
        b.epoch_start = until;
        b.epoch_first_send = None;
        b.epoch_admitted = 0;
    }

    fn learn_from_throttle(&mut self, scope: ScopeId, now: Duration, wait: Duration) {
        let interval = self.budgets[scope.0 as usize].interval;
        let b = self.budget(scope);
        let long_wait = wait >= Duration::from_secs(2) && wait >= interval * 5;
        if long_wait && b.epoch_admitted > 0 {
            // A long wait after a run of admissions: a count per window. Its size is what passed
            // since the epoch began; its length reaches from the first of those to the reopening.
            let first = b.epoch_first_send.unwrap_or(b.epoch_start);
            let window = round_window((now + wait).saturating_sub(first));
            let limit = b.epoch_admitted;
            if b.log
                .as_ref()
                .is_none_or(|l| limit < l.limit || l.window < window)
            {
                b.log = Some(WindowLog::new(limit, window));
                if b.source.is_none() {
                    b.source = Some(Source::Discovered);
                }
            }
            return;
        }
        let admitted = b.admitted;
        let rate_now = b.rate();
        if let Some(d) = &mut b.discovery {
            // The rate sent at is above the server's (or it would not have refused), by up to a
            // step of growth, or by far more while a large burst hid the limit: the first
            // throttle takes it as the ceiling. Between two throttles the bucket went from empty
            // to empty, so the admissions in between bound its rate: over the time since the
            // reopening they are at least the rate (what refilled while the gate was shut came
            // on top), and over the time since the last throttle at most the rate (the bucket may
            // have overflowed while shut). The estimate is the geometric mean of the two, which
            // both close in on the rate as the time between throttles grows.
            let admissions = admitted.saturating_sub(d.admitted_then) as f64;
            let since_reopening = now.saturating_sub(d.reopened_at).as_secs_f64();
            let since_throttle = now.saturating_sub(d.throttled_at).as_secs_f64();
            let measured = match d.peak {
                Some(_) if since_reopening > 0.0 && admissions > 0.0 => {
                    let upper = admissions / since_reopening;
                    let lower = admissions / since_throttle;
                    (upper * lower).sqrt().min(rate_now).max(rate_now * 0.25)
                }
                _ => rate_now,
            };
            d.peak = Some(d.peak.map_or(measured, |p| p.min(measured)));
            d.throttled_at = now;
            d.reopened_at = now + wait;
            d.admitted_then = admitted;
            let rate = 0.7 * measured;
            b.set_rate(rate, discovery_burst(rate), now);
        } else if b.rate().is_finite() {
            // The known rate was too high (or the burst too large): back off a little.
            let rate = b.rate() * 0.9;
            let burst = (b.full_burst / 2).max(1);
            b.set_rate(rate, burst, now);
        } else if let Some(log) = b.log.as_ref().filter(|l| wait * 4 < l.window) {
            // A count per window refused after a short wait: the server refills continuously (a
            // bucket), so pace at the window's rate, bursting only what passed before the refusal.
            let rate = f64::from(log.limit) / log.window.as_secs_f64();
            let burst = b.epoch_admitted.max(1);
            b.log = None;
            b.set_rate(rate, burst, now);
        } else if let Some(log) = &mut b.log {
            // A window limit refused earlier than expected: the bursts must be smaller.
            log.limit = (log.limit * 3 / 4).max(1);
        }
    }
}

/// The time between two steps of discovery's growth for a server answering in `latency` seconds:
/// a quarter second, or four round trips of a server that answers faster, but at least 50 ms.
fn discovery_step(latency: f64) -> Duration {
    Duration::from_secs_f64((latency * 4.0).clamp(0.05, 0.25))
}

/// The burst discovery allows at `rate`: 20 ms of sends, at least one. At a few requests a second
/// this is one (sends evenly spaced); at thousands it lets a caller whose loop turns more slowly
/// than the interval catch up.
fn discovery_burst(rate: f64) -> u32 {
    if rate.is_finite() {
        (rate * 0.02).ceil().clamp(1.0, 1_000_000.0) as u32
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limiter::tests::spec;
    use crate::limiter::{Decision, Limiter};
    use crate::signals::{ParseContext, parse};

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn ok() -> Signals {
        parse(200, &[], b"", ParseContext::default())
    }

    /// Drives a pacer told `spec` against a server limiter of `spec` with a fixed latency; returns
    /// the send times that the server saw and the number of refusals.
    fn drive(spec: LimitSpec, n: usize, latency: Duration) -> (Vec<Duration>, u32) {
        let mut pacer = Pacer::new(PacerConfig::default());
        let token = pacer.scope("t");
        pacer.declare(token, spec, Duration::ZERO);
        let route = Route::new(token, None);
        let mut server = Limiter::new(spec);
        let mut now = Duration::ZERO;
        let mut in_flight: Vec<(Duration, Permit, bool)> = Vec::new();
        let mut admitted = Vec::new();
        let mut refused = 0;
        let mut sent = 0;
        for _ in 0..1_000_000 {
            if admitted.len() >= n {
                break;
            }
            // Deliver responses due now.
            in_flight.sort_by_key(|(t, _, _)| *t);
            while in_flight.first().is_some_and(|(t, _, _)| *t <= now) {
                let (_, permit, ok_) = in_flight.remove(0);
                let s = if ok_ {
                    ok()
                } else {
                    parse(429, &[(b"Retry-After", b"1")], b"", ParseContext::default())
                };
                pacer.complete(permit, now, Feedback::Response(&s));
            }
            let mut next = in_flight.first().map(|(t, _, _)| *t);
            while sent < n {
                match pacer.acquire(route, now) {
                    Acquire::Send(permit) => {
                        sent += 1;
                        let ok_ = server.check(now) == Decision::Admit;
                        if ok_ {
                            server.record(now);
                            admitted.push(now);
                        } else {
                            refused += 1;
                            sent -= 1;
                        }
                        in_flight.push((now + latency, permit, ok_));
                        next = Some(next.map_or(now + latency, |t: Duration| t.min(now + latency)));
                    }
                    Acquire::Wait(t) => {
                        next = Some(next.map_or(t, |x| x.min(t)));
                        break;
                    }
                    Acquire::AtCapacity => break,
                }
            }
            match next {
                Some(t) if t > now => now = t,
                Some(_) => now += ms(1),
                None => break,
            }
        }
        (admitted, refused)
    }

    #[test]
    fn declared_token_bucket_runs_at_the_ideal() {
        let spec = spec(Algorithm::TokenBucket, 300, 60, 10);
        let (admitted, refused) = drive(spec, 500, ms(200));
        assert_eq!(refused, 0);
        let last = admitted.last().unwrap().as_secs_f64();
        // Ideal (500 - 10) / 5 = 98 s; one token is kept in reserve.
        assert!((98.0..=98.5).contains(&last), "{last}");
    }

    #[test]
    fn declared_fixed_window_bursts_at_each_reset() {
        let spec = spec(Algorithm::FixedWindow, 300, 60, 300);
        let (admitted, refused) = drive(spec, 500, ms(200));
        assert_eq!(refused, 0);
        let in_first_second = admitted.iter().filter(|t| t.as_secs_f64() < 2.0).count();
        assert_eq!(in_first_second, 300, "the first window is one burst");
        let last = admitted.last().unwrap().as_secs_f64();
        assert!((60.0..61.5).contains(&last), "{last}");
    }

    #[test]
    fn a_throttle_closes_the_gate_and_one_probe_reopens_it() {
        let mut pacer = Pacer::new(PacerConfig::default());
        let token = pacer.scope("t");
        let route = Route::new(token, None);
        let Acquire::Send(p) = pacer.acquire(route, ms(0)) else {
            panic!("first send refused")
        };
        let throttle = parse(429, &[(b"Retry-After", b"5")], b"", ParseContext::default());
        pacer.complete(p, ms(100), Feedback::Response(&throttle));
        assert_eq!(pacer.acquire(route, ms(200)), Acquire::Wait(ms(5_100)));
        let Acquire::Send(probe) = pacer.acquire(route, ms(5_100)) else {
            panic!("no probe")
        };
        assert!(probe.is_probe());
        assert_eq!(pacer.acquire(route, ms(5_150)), Acquire::AtCapacity);
        pacer.complete(probe, ms(5_300), Feedback::Response(&ok()));
        assert!(!matches!(
            pacer.acquire(route, ms(10_000)),
            Acquire::AtCapacity
        ));
    }

    #[test]
    fn concurrency_is_never_below_one_and_shrinks_on_5xx() {
        let mut pacer = Pacer::new(PacerConfig::default());
        let token = pacer.scope("t");
        let spec = spec(Algorithm::TokenBucket, 6000, 60, 1);
        pacer.declare(token, spec, Duration::ZERO);
        let route = Route::new(token, None);
        let before = pacer.view(token, ms(0)).concurrency;
        let failure = parse(503, &[], b"", ParseContext::default());
        let mut now = ms(0);
        for _ in 0..50 {
            if let Acquire::Send(p) = pacer.acquire(route, now) {
                pacer.complete(p, now + ms(500), Feedback::Response(&failure));
            }
            now += ms(600);
        }
        let after = pacer.view(token, now).concurrency;
        assert!(after >= 1);
        assert!(after < before.max(2), "{before} -> {after}");
    }

    /// Sends `n` requests 100 ms apart, each answered 200 after `latency`.
    fn answer_all(
        pacer: &mut Pacer,
        route: Route,
        now: &mut Duration,
        latency: Duration,
        n: usize,
    ) {
        for _ in 0..n {
            if let Acquire::Send(p) = pacer.acquire(route, *now) {
                pacer.complete(p, *now + latency, Feedback::Response(&ok()));
            }
            *now += ms(100);
        }
    }

    #[test]
    fn concurrency_shrinks_when_latency_rises() {
        let mut pacer = Pacer::new(PacerConfig::default());
        let token = pacer.scope("t");
        pacer.declare(
            token,
            spec(Algorithm::TokenBucket, 3000, 60, 1),
            Duration::ZERO,
        );
        let route = Route::new(token, None);
        let mut now = ms(0);
        answer_all(&mut pacer, route, &mut now, ms(200), 200);
        let steady = pacer.view(token, now);
        // Little's law alone: 50/s x 0.2 s x head-room 2, plus one (give or take rounding).
        assert!((21..=22).contains(&steady.concurrency), "{steady:?}");
        // Latency five times the baseline: the server is queueing. Little's law on the current
        // latency would now allow the maximum (50/s x ~1 s x 2 > 64); the pacer shrinks instead.
        answer_all(&mut pacer, route, &mut now, ms(1_000), 20);
        let queueing = pacer.view(token, now);
        assert!(queueing.latency > 0.9, "{queueing:?}");
        assert!(queueing.concurrency >= 1);
        assert!(queueing.concurrency < steady.concurrency, "{queueing:?}");
    }

    /// Runs discovery against `server` answering after `latency`, for `secs` seconds; returns the
    /// pacer, the throttle times and the sends. Requests in flight are completed in time order.
    fn discover(
        server: LimitSpec,
        latency: Duration,
        secs: u64,
    ) -> (Pacer, ScopeId, Vec<Duration>, Vec<Duration>) {
        let mut pacer = Pacer::new(PacerConfig::default());
        let token = pacer.scope("t");
        let route = Route::new(token, None);
        let mut server = Limiter::new(server);
        let mut now = Duration::ZERO;
        let mut throttles = Vec::new();
        let mut sends = Vec::new();
        let mut in_flight: std::collections::VecDeque<(Duration, Permit, Option<Duration>)> =
            std::collections::VecDeque::new();
        while now < Duration::from_secs(secs) {
            while in_flight.front().is_some_and(|(at, _, _)| *at <= now) {
                let (at, p, refusal) = in_flight.pop_front().unwrap();
                let s = match refusal {
                    None => ok(),
                    Some(wait) => {
                        // Retry-After in whole seconds, rounded up, as real servers send it.
                        throttles.push(at);
                        let wait = wait.as_secs_f64().ceil().max(1.0).to_string();
                        let headers = [(&b"Retry-After"[..], wait.as_bytes())];
                        parse(429, &headers, b"", ParseContext::default())
                    }
                };
                pacer.complete(p, at, Feedback::Response(&s));
            }
            let next_answer = in_flight.front().map(|(at, _, _)| *at);
            match pacer.acquire(route, now) {
                Acquire::Send(p) => {
                    sends.push(now);
                    let refusal = match server.check(now) {
                        Decision::Admit => {
                            server.record(now);
                            None
                        }
                        Decision::Reject { retry_after } => Some(retry_after),
                    };
                    in_flight.push_back((now + latency, p, refusal));
                }
                Acquire::Wait(t) => {
                    let t = t.max(now + Duration::from_micros(100));
                    now = next_answer.map_or(t, |a| a.min(t));
                }
                Acquire::AtCapacity => {
                    now = next_answer.unwrap_or(now + ms(10)).max(now);
                }
            }
        }
        (pacer, token, throttles, sends)
    }

    #[test]
    fn discovery_finds_a_fast_server_without_limits_within_a_second() {
        let unlimited = spec(Algorithm::TokenBucket, 60_000_000, 60, 1_000_000);
        let (pacer, token, throttles, sends) = discover(unlimited, ms(1), 2);
        assert!(throttles.is_empty());
        let in_first_second = sends.iter().filter(|t| t.as_secs() < 1).count();
        assert!(in_first_second >= 10_000, "{in_first_second} sends");
        assert!(pacer.view(token, Duration::from_secs(1)).rate >= 10_000.0);
    }

    #[test]
    fn discovery_settles_under_a_small_hidden_bucket_with_few_throttles() {
        for (rate, burst) in [(10, 5), (5, 10)] {
            for latency in [ms(1), ms(5), ms(50)] {
                let server = spec(Algorithm::TokenBucket, rate * 60, 60, burst);
                let (pacer, token, throttles, _) = discover(server, latency, 300);
                let settled = pacer.view(token, Duration::from_secs(300)).rate;
                let case = format!("{rate}/s burst {burst}, {latency:?}: {settled}/s");
                assert!(
                    settled <= rate as f64 && settled > 0.8 * rate as f64,
                    "{case}"
                );
                assert!(throttles.len() <= 10, "{case}: {throttles:?}");
                let late = throttles.iter().filter(|t| t.as_secs() > 100).count();
                assert!(late <= 2, "{case}: {throttles:?}");
            }
        }
    }

    #[test]
    fn discovery_measures_the_first_throttle_from_the_rate_sent_not_a_stale_second() {
        // A hidden 200/s bucket found on a fast ramp, with a tiny burst and with a second of it:
        // the old measure (the previous whole second of sends) settled the small one at 10/s.
        for burst in [5, 200] {
            for latency in [ms(1), ms(5), ms(50)] {
                let server = spec(Algorithm::TokenBucket, 12_000, 60, burst);
                let (pacer, token, throttles, _) = discover(server, latency, 300);
                let settled = pacer.view(token, Duration::from_secs(300)).rate;
                let case = format!("burst {burst}, {latency:?}: {settled}/s");
                assert!(settled <= 200.0 && settled > 120.0, "{case}");
                assert!(
                    throttles.len() <= 150,
                    "{case}: {} throttles",
                    throttles.len()
                );
                let late = throttles.iter().filter(|t| t.as_secs() > 100).count();
                assert!(late <= 2, "{case}: {throttles:?}");
            }
        }
    }

    #[test]
    fn discovery_grows_then_settles_under_the_first_throttle() {
        let mut pacer = Pacer::new(PacerConfig::default());
        let token = pacer.scope("t");
        let route = Route::new(token, None);
        let spec = spec(Algorithm::TokenBucket, 600, 60, 5);
        let mut server = Limiter::new(spec);
        let mut now = Duration::ZERO;
        let mut throttles = Vec::new();
        let mut sent = 0u32;
        while now < Duration::from_secs(300) {
            match pacer.acquire(route, now) {
                Acquire::Send(p) => {
                    sent += 1;
                    let s = if server.check(now) == Decision::Admit {
                        server.record(now);
                        ok()
                    } else {
                        throttles.push(now);
                        parse(429, &[(b"Retry-After", b"1")], b"", ParseContext::default())
                    };
                    pacer.complete(p, now, Feedback::Response(&s));
                }
                Acquire::Wait(t) => now = t.max(now + ms(1)),
                Acquire::AtCapacity => now += ms(10),
            }
        }
        let rate = pacer.view(token, now).rate;
        assert!(rate <= 10.0 && rate > 5.0, "settled at {rate}");
        // Throttles come early, while discovering, not once per adjustment afterwards.
        let late = throttles.iter().filter(|t| t.as_secs() > 100).count();
        assert!(late <= 2, "{throttles:?}");
        assert!(sent > 2000);
    }

    #[test]
    fn plan_uses_the_budget_it_was_told() {
        let mut pacer = Pacer::new(PacerConfig::default());
        let token = pacer.scope("token:a");
        let spec = spec(Algorithm::TokenBucket, 300, 60, 10);
        pacer.declare(token, spec, Duration::ZERO);
        let route = Route::new(token, None);
        let plan = pacer.plan(
            route,
            500,
            Duration::ZERO,
            None,
            Some(Duration::from_secs(300)),
        );
        // One token is kept in reserve: 9 at once, then 5 per second.
        assert_eq!(plan.earliest_finish.as_secs(), 98);
        assert_eq!(plan.meets_deadline, Some(true));
        assert!(plan.reason.contains("declared"), "{}", plan.reason);
        let plan = pacer.plan(
            route,
            500,
            Duration::ZERO,
            None,
            Some(Duration::from_secs(60)),
        );
        assert_eq!(plan.meets_deadline, Some(false));
    }

    #[test]
    fn a_long_throttle_after_a_run_teaches_a_hidden_window() {
        let mut pacer = Pacer::new(PacerConfig::default());
        let token = pacer.scope("token");
        let endpoint = pacer.scope("endpoint");
        let fast = spec(Algorithm::TokenBucket, 600, 60, 10);
        pacer.declare(token, fast, Duration::ZERO);
        let route = Route::new(token, Some(endpoint));
        // The hidden limit: 20 per fixed 10 s window on the endpoint.
        let hidden = spec(Algorithm::FixedWindow, 20, 10, 20);
        let mut server = Limiter::new(hidden);
        let mut now = Duration::ZERO;
        let mut refused = Vec::new();
        let mut admitted = 0;
        while admitted < 100 && now < Duration::from_secs(600) {
            match pacer.acquire(route, now) {
                Acquire::Send(p) => {
                    let s = match server.check(now) {
                        Decision::Admit => {
                            server.record(now);
                            admitted += 1;
                            ok()
                        }
                        Decision::Reject { retry_after } => {
                            refused.push(now);
                            let secs = retry_after.as_secs_f64().ceil().to_string();
                            // The token's own quota still has room: another limit refused.
                            let headers: [(&[u8], &[u8]); 3] = [
                                (b"Retry-After", secs.as_bytes()),
                                (b"X-RateLimit-Limit", b"10"),
                                (b"X-RateLimit-Remaining", b"5"),
                            ];
                            parse(429, &headers, b"", ParseContext::default())
                        }
                    };
                    pacer.complete(p, now + ms(50), Feedback::Response(&s));
                }
                Acquire::Wait(t) => now = t.max(now + ms(1)),
                Acquire::AtCapacity => now += ms(10),
            }
        }
        assert_eq!(admitted, 100);
        // One refusal teaches the window; the endpoint's gate holds everything else back.
        assert_eq!(refused.len(), 1, "{refused:?}");
        let view = pacer.view(endpoint, now);
        assert_eq!(view.window.map(|(limit, _)| limit), Some(20));
        assert_eq!(view.source, Some(Source::Discovered));
        // Five windows of 20: done a little after 40 s.
        assert!(now < Duration::from_secs(45), "{now:?}");
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

    proptest::proptest! {
        /// A pacer told the limit never exceeds it in any window, for every algorithm.
        #[test]
        fn told_the_limit_it_never_exceeds_it(
            algorithm in proptest::sample::select(vec![Algorithm::FixedWindow, Algorithm::SlidingWindow, Algorithm::TokenBucket]),
            limit in 1u32..40,
            burst in 1u32..20,
            window_ms in 200u64..5_000,
            latency_ms in 1u64..400,
        ) {
            let spec = LimitSpec { algorithm, limit, window: ms(window_ms), burst };
            let (admitted, refused) = drive(spec, 120, ms(latency_ms));
            proptest::prop_assert_eq!(refused, 0);
            // Replaying the admissions through a fresh server limiter admits every one of them.
            let mut server = Limiter::new(spec);
            for at in &admitted {
                proptest::prop_assert_eq!(server.check(*at), Decision::Admit);
                server.record(*at);
            }
        }
    }
}
