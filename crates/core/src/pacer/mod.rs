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

mod budget;
mod concurrency;
mod config;
mod discovery;
mod learn;
mod quota;
mod request;
mod throttle;
mod window;

use std::collections::HashMap;
use std::time::Duration;

use crate::limiter::LimitSpec;
use crate::planner::{Constraint, Plan, plan};
use crate::signals::Signals;
use budget::Budget;
use learn::named_window;
use throttle::throttled_scope;

pub use crate::source::Source;
pub use budget::BudgetView;
pub use config::PacerConfig;
pub use request::{Acquire, Feedback, Permit, Route, ScopeId};

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

    #[inline]
    fn budget(&mut self, id: ScopeId) -> &mut Budget {
        &mut self.budgets[id.index()]
    }

    /// A scope's budget, beside the settings its learning reads.
    #[inline]
    fn budget_and_config(&mut self, id: ScopeId) -> (&mut Budget, &PacerConfig) {
        (&mut self.budgets[id.index()], &self.config)
    }

    /// Declares a scope's limit: it wins over every other source.
    pub fn declare(&mut self, scope: ScopeId, spec: LimitSpec, now: Duration) {
        let (b, config) = self.budget_and_config(scope);
        b.apply_spec(spec, Source::Declared, config, now);
    }

    /// Records what the organization's limits API reports: `limit` requests per `window`, shape
    /// unknown. The pacer then sends in bursts of at most `limit` per `window` (a sliding log,
    /// which every fixed or sliding window of that size admits).
    pub fn org_limit(&mut self, scope: ScopeId, limit: u32, window: Duration, now: Duration) {
        let (b, config) = self.budget_and_config(scope);
        b.adopt_org_limit(limit, window, config, now);
    }

    /// What a scope's budget currently believes.
    pub fn view(&self, scope: ScopeId, now: Duration) -> BudgetView {
        let b = &self.budgets[scope.index()];
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
        let constraints: Vec<Constraint> = route
            .scopes()
            .filter(|s| s.index() < self.budgets.len())
            .map(|scope| {
                let name = if scope == route.token {
                    "token"
                } else {
                    "endpoint"
                };
                let scope_name = reverse.get(&scope).copied().unwrap_or("?");
                self.budgets[scope.index()].constraint(format!("{name} `{scope_name}`"), now)
            })
            .collect();
        let latency = self
            .budgets
            .get(route.token.index())
            .map_or(Duration::ZERO, |b| Duration::from_secs_f64(b.latency));
        plan(&constraints, items, now, latency, observed_rate, deadline)
    }

    /// Asks whether a request on `route` may be sent at `now`.
    pub fn acquire(&mut self, route: Route, now: Duration) -> Acquire {
        // The token scope always has a budget: discovery if nothing else is known.
        let (discovery_rate, discovery_max_rate) =
            (self.config.discovery_rate, self.config.discovery_max_rate);
        self.budget(route.token)
            .ensure_discovery(discovery_rate, now);
        let mut wait = Duration::ZERO;
        let mut probe = false;
        for scope in route.scopes() {
            let b = self.budget(scope);
            b.grow_discovery(discovery_max_rate, now);
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
            wait = wait.max(b.next_chance());
        }
        if wait > now {
            return Acquire::Wait(wait);
        }
        let token = &self.budgets[route.token.index()];
        let limit = if probe { 1 } else { token.concurrency(now) };
        if token.in_flight >= limit {
            return Acquire::AtCapacity;
        }
        for scope in route.scopes() {
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
            for scope in route.scopes() {
                self.budget(scope).probe_out = false;
            }
        }
        let signals = match feedback {
            Feedback::Cancelled => return,
            Feedback::TransportError => {
                self.budget(route.token).transport_failed();
                return;
            }
            Feedback::Response(signals) => signals,
        };
        let latency = now.saturating_sub(permit.sent_at).as_secs_f64();
        for scope in route.scopes() {
            self.budget(scope).observe_latency(latency, signals.status);
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
                for scope in route.scopes() {
                    let b = self.budget(scope);
                    if permit.probe {
                        b.need_probe = false;
                    }
                    b.record_admission(permit.sent_at);
                }
                self.on_quota(route.token, now, signals);
                self.learn_named_limit(route, now, signals);
            }
        }
    }

    /// Folds an advertised quota into the token's budget.
    fn on_quota(&mut self, token: ScopeId, now: Duration, signals: &Signals) {
        let (b, config) = self.budget_and_config(token);
        b.on_quota(config, now, signals);
    }

    /// Learns from a 2xx body or a 429 body that names its limit (`limit {key, value}`).
    fn learn_named_limit(&mut self, route: Route, now: Duration, signals: &Signals) {
        if let Some((scope, limit, window)) = named_window(route, signals) {
            let (b, config) = self.budget_and_config(scope);
            b.learn_named_window(limit, window, config, now);
        }
    }

    /// Takes a 429: the body's named limit is learned, and the scope that refused closes its gate
    /// and learns from the refusal if nothing explains it.
    fn on_throttle(&mut self, permit: &Permit, now: Duration, signals: &Signals) {
        let route = permit.route;
        let wait = signals
            .wait_hint()
            .unwrap_or(self.config.default_throttle_wait);
        let scope = throttled_scope(route, signals);
        self.learn_named_limit(route, now, signals);
        let unexplained = signals.named_limit().is_none();
        self.budget(scope)
            .on_throttle(permit, now, wait, unexplained);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limiter::tests::spec;
    use crate::limiter::{Algorithm, Decision, Limiter};
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
