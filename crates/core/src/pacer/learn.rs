//! Learning from responses: limits declared or reported by the organization's limits API, quotas
//! advertised in headers, and limits a body names.

use std::time::Duration;

use super::budget::{Budget, nanos};
use super::config::PacerConfig;
use super::request::{Route, ScopeId};
use super::window::WindowLog;
use crate::limiter::{Algorithm, LimitSpec};
use crate::signals::{HeaderStyle, Signals};
use crate::source::Source;

impl Budget {
    /// Adopts a limit from `source`, unless a better source already spoke.
    pub(super) fn apply_spec(
        &mut self,
        spec: LimitSpec,
        source: Source,
        config: &PacerConfig,
        now: Duration,
    ) {
        if spec.validate().is_err() {
            return;
        }
        if self.source.is_some_and(|s| s < source) {
            return;
        }
        self.source = Some(source);
        self.discovery = None;
        match spec.algorithm {
            Algorithm::TokenBucket => {
                self.log = None;
                self.reserve_min = config.reserve;
                // The server's own interval, truncated the same way, so that both agree exactly.
                self.set_interval(spec.window / spec.limit, spec.burst, now);
            }
            Algorithm::FixedWindow | Algorithm::SlidingWindow => {
                self.log = Some(WindowLog::new(spec.limit, spec.window));
                self.set_rate(f64::INFINITY, spec.limit, now);
            }
            Algorithm::Concurrency => {
                self.max_in_flight = spec.limit.min(config.max_in_flight).max(1);
            }
        }
    }

    /// Adopts what the organization's limits API reports: `limit` requests per `window`, shape
    /// unknown, sent in bursts of at most `limit` per `window`.
    pub(super) fn adopt_org_limit(
        &mut self,
        limit: u32,
        window: Duration,
        config: &PacerConfig,
        now: Duration,
    ) {
        self.apply_spec(window_spec(limit, window), Source::OrgLimits, config, now);
        if self.source == Some(Source::OrgLimits) {
            self.advertised.org_rate = Some(f64::from(limit) / window.as_secs_f64());
            // The API gives the count, not the shape: one request goes first, alone, so that
            // advertised headers (a bucket's capacity) can refine it before any burst.
            self.need_probe = true;
        }
    }

    /// Adopts a count per window that a body named, unless it is the one already known.
    pub(super) fn learn_named_window(
        &mut self,
        limit: u32,
        window: Duration,
        config: &PacerConfig,
        now: Duration,
    ) {
        let known = self
            .log
            .as_ref()
            .is_some_and(|l| l.limit == limit && l.window == window);
        if !known {
            self.apply_spec(window_spec(limit, window), Source::Advertised, config, now);
        }
    }

    /// Folds an advertised quota into the token's budget.
    pub(super) fn on_quota(&mut self, config: &PacerConfig, now: Duration, signals: &Signals) {
        let Some(q) = &signals.quota else {
            return;
        };
        let (Some(limit), Some(remaining)) = (q.limit, q.remaining) else {
            return;
        };
        let Some(first) = self.adopt_advertised(limit) else {
            return;
        };
        let limit = self.advertised.limit;
        // A policy with a window (IETF drafts) states the quota outright: a count per window.
        if let Some(window) = q.window.filter(|_| q.style != HeaderStyle::XRateLimit) {
            self.adopt_advertised_window(limit, window, first, now);
            return;
        }
        // Otherwise estimate the refill rate, and space sends by it.
        let rate = self.advertised.estimate_rate(
            remaining,
            q.reset_after,
            self.admitted,
            first,
            config.default_window,
            now,
        );
        self.reserve_min = config.reserve;
        self.refresh();
        if let Some(rate) = rate
            && (first
                || (rate - self.rate()).abs() > self.rate() * 0.005
                || limit != self.full_burst)
        {
            self.set_rate(rate, limit, now);
        }
        self.follow_remaining(remaining, now);
    }

    /// Makes advertised headers the budget's source, keeping the highest `limit` seen; returns
    /// whether they are new to it, or `None` when a declared limit outranks them.
    fn adopt_advertised(&mut self, limit: u32) -> Option<bool> {
        // A declared limit is the user's word. The org limits API gives only a count per window,
        // so headers, which describe the server's very limiter, refine its shape.
        if self.source.is_some_and(|s| s < Source::OrgLimits) {
            return None;
        }
        if self.source == Some(Source::OrgLimits) {
            self.log = None;
        }
        let first = self.source != Some(Source::Advertised);
        self.source = Some(Source::Advertised);
        self.discovery = None;
        self.advertised.limit = self.advertised.limit.max(limit);
        Some(first)
    }

    /// Paces by an advertised count per window, unless it is the one already followed.
    fn adopt_advertised_window(
        &mut self,
        limit: u32,
        window: Duration,
        first: bool,
        now: Duration,
    ) {
        if first
            || self
                .log
                .as_ref()
                .is_none_or(|l| l.limit != limit || l.window != window)
        {
            self.log = Some(WindowLog::new(limit, window));
            self.set_rate(f64::INFINITY, limit, now);
        }
    }

    /// Closed loop: when the server has fewer left than the spacing assumes (someone else spends
    /// the same quota, or the estimate ran ahead), pull the schedule back; when it has more, let
    /// the surplus out. A dead band of one keeps ordinary jitter from moving it.
    fn follow_remaining(&mut self, remaining: u32, now: Duration) {
        let interval = self.interval;
        if !interval.is_zero() {
            let others = u64::from(self.in_flight);
            let server = u64::from(remaining).saturating_sub(others);
            let server = server.saturating_sub(u64::from(self.full_burst - self.burst()));
            let ours = self.available(now);
            if server + 1 < ours || server > ours + 1 {
                let server = server.min(u64::from(self.burst())) as u32;
                // Allow exactly `server` sends now: tat - tolerance = now - (server - 1) * interval.
                self.tat = nanos(now) + nanos(self.tolerance())
                    - nanos(interval) * (i128::from(server) - 1);
            }
        }
    }
}

/// A count per window of known size but unknown shape: at most `limit` sends in any `window`,
/// which every fixed or sliding window of that size admits.
fn window_spec(limit: u32, window: Duration) -> LimitSpec {
    LimitSpec {
        algorithm: Algorithm::SlidingWindow,
        limit,
        window,
        burst: limit,
    }
}

/// The scope and the count per window that a 2xx or 429 body names (`limit {key, value}`), if it
/// names one: the token's, or else the endpoint's (the token's when the route names none).
pub(super) fn named_window(route: Route, signals: &Signals) -> Option<(ScopeId, u32, Duration)> {
    let named = signals.named_limit()?;
    let (Some(value), Some(window)) = (named.value, named.window()) else {
        return None;
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
    Some((scope, limit, window))
}
