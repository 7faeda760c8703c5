//! Retry policy: classifies each outcome and decides whether, when and how an item is tried again.
//!
//! Classes: done; throttled (429: wait as the server says, through the pacer's gate); transient
//! (5xx, timeout, connection reset: full-jitter backoff, paid from a retry budget so that failures
//! cannot multiply the load); auth (401: re-authenticate once); conflict (409: back to the caller);
//! permanent (any other 4xx: fail the item, never retry). No single wait is longer than
//! [`RetryConfig::max_wait`] (180 s by default, as the official SDKs): an item told to wait longer
//! is parked with the reason, instead of sleeping for hours.

use std::time::Duration;

use crate::rng::Rng;
use crate::signals::Signals;

/// What happened to one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The server answered with this status.
    Status(u16),
    /// No answer in time.
    Timeout,
    /// The connection broke (reset, refused, closed early).
    ConnectionError,
}

/// The class of an outcome, which decides what happens next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// 2xx or 3xx: the item is done.
    Done,
    /// 429: the server's rate limit refused it.
    Throttled,
    /// 5xx, 408, timeout or connection error: worth retrying after a pause.
    Transient,
    /// 401: the token is unknown or expired.
    Auth,
    /// 409: the item conflicts with the server's state; only the caller can resolve it.
    Conflict,
    /// Any other 4xx: retrying cannot help.
    Permanent,
}

/// Classifies an outcome.
pub fn classify(outcome: Outcome) -> Class {
    match outcome {
        Outcome::Timeout | Outcome::ConnectionError => Class::Transient,
        Outcome::Status(status) => match status {
            200..=399 => Class::Done,
            429 => Class::Throttled,
            401 => Class::Auth,
            409 => Class::Conflict,
            408 | 500..=599 => Class::Transient,
            // 1xx as a final status is a broken exchange, like a reset connection.
            100..=199 => Class::Transient,
            _ => Class::Permanent,
        },
    }
}

/// The policy's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryConfig {
    /// The first backoff's ceiling; each transient retry doubles it.
    pub base: Duration,
    /// The largest backoff ceiling.
    pub cap: Duration,
    /// The longest single wait; a longer Retry-After parks the item.
    pub max_wait: Duration,
    /// Attempts an item may make in all (throttled ones included) before it fails.
    pub max_attempts: u32,
    /// Transient retries an item may make before it fails.
    pub max_transient_retries: u32,
    /// Retry budget: retries always allowed before any success.
    pub budget_floor: f64,
    /// Retry budget: each success earns this many retries (0.1 = at most one retry per ten).
    pub budget_ratio: f64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            base: Duration::from_millis(500),
            cap: Duration::from_secs(20),
            max_wait: Duration::from_secs(180),
            max_attempts: 30,
            max_transient_retries: 8,
            budget_floor: 20.0,
            budget_ratio: 0.2,
        }
    }
}

/// What an item's caller should do next.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// The item is done.
    Done,
    /// Send it again through the pacer, not before `not_before`.
    Retry {
        /// The earliest moment to send again.
        not_before: Duration,
        /// The class that caused the retry.
        class: Class,
    },
    /// Get a new token, then send again (allowed once per item).
    Reauthenticate,
    /// The server reports a conflict: the caller decides (re-read and merge, or give up).
    Conflict,
    /// The item failed for good.
    Fail {
        /// Why, in one sentence.
        reason: String,
    },
    /// The item must wait longer than the policy allows in one go: set it aside.
    Park {
        /// When the server said it may be tried again.
        until: Duration,
        /// Why, in one sentence.
        reason: String,
    },
}

/// One item's retry history, kept by the caller beside the item.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Attempts {
    /// Attempts made so far, counting the one being judged.
    pub total: u32,
    /// Transient retries made so far.
    pub transient: u32,
    /// Whether the item has already caused a re-authentication.
    pub reauthenticated: bool,
}

/// The retry budget shared by all items: retries spend it, successes earn it back.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryBudget {
    tokens: f64,
    ratio: f64,
    cap: f64,
}

impl RetryBudget {
    fn new(floor: f64, ratio: f64) -> Self {
        Self {
            tokens: floor,
            ratio,
            cap: floor.max(1.0) * 10.0,
        }
    }

    fn earn(&mut self) {
        self.tokens = (self.tokens + self.ratio).min(self.cap);
    }

    fn spend(&mut self) -> bool {
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Retries the budget allows right now.
    pub fn available(&self) -> f64 {
        self.tokens
    }
}

/// The retry policy, shared by all items of a run.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    config: RetryConfig,
    budget: RetryBudget,
}

impl RetryPolicy {
    /// A policy with these settings and a full budget.
    pub fn new(config: RetryConfig) -> Self {
        let budget = RetryBudget::new(config.budget_floor, config.budget_ratio);
        Self { config, budget }
    }

    /// The settings.
    pub fn config(&self) -> &RetryConfig {
        &self.config
    }

    /// The shared retry budget.
    pub fn budget(&self) -> &RetryBudget {
        &self.budget
    }

    /// Decides what follows one attempt of an item.
    ///
    /// `attempts` is the item's history and is updated; `signals` are the response's parsed signals
    /// (absent for transport errors); `now` is the caller's clock; `rng` draws the backoff jitter.
    pub fn decide(
        &mut self,
        attempts: &mut Attempts,
        outcome: Outcome,
        signals: Option<&Signals>,
        now: Duration,
        rng: &mut Rng,
    ) -> Verdict {
        attempts.total = attempts.total.saturating_add(1);
        let class = classify(outcome);
        let hint = signals.and_then(Signals::wait_hint);
        match class {
            Class::Done => {
                self.budget.earn();
                Verdict::Done
            }
            Class::Conflict => Verdict::Conflict,
            Class::Permanent => Verdict::Fail {
                reason: format!("{} is a permanent error: not retried", describe(outcome)),
            },
            Class::Auth if attempts.reauthenticated => Verdict::Fail {
                reason: "401 again after re-authenticating: the credentials are refused".into(),
            },
            Class::Auth => {
                attempts.reauthenticated = true;
                Verdict::Reauthenticate
            }
            Class::Throttled | Class::Transient => {
                self.retry(attempts, outcome, class, hint, now, rng)
            }
        }
    }

    /// What follows a throttle or a transient failure: parked when the server asks for too long a
    /// wait, failed after too many attempts, otherwise retried (a throttle behind the pacer's
    /// gate, a transient failure after a backoff).
    fn retry(
        &mut self,
        attempts: &mut Attempts,
        outcome: Outcome,
        class: Class,
        hint: Option<Duration>,
        now: Duration,
        rng: &mut Rng,
    ) -> Verdict {
        if let Some(wait) = hint.filter(|w| *w > self.config.max_wait) {
            return Verdict::Park {
                until: now.saturating_add(wait),
                reason: format!(
                    "the server asked to wait {} s after {}, longer than the {} s allowed in one wait",
                    wait.as_secs(),
                    describe(outcome),
                    self.config.max_wait.as_secs()
                ),
            };
        }
        if attempts.total >= self.config.max_attempts {
            return Verdict::Fail {
                reason: format!(
                    "gave up after {} attempts, the last one {}",
                    attempts.total,
                    describe(outcome)
                ),
            };
        }
        if class == Class::Throttled {
            // The pacer's gate holds every send until the Retry-After; the item only needs
            // to queue behind it.
            return Verdict::Retry {
                not_before: now.saturating_add(hint.unwrap_or_default()),
                class,
            };
        }
        self.retry_transient(attempts, outcome, hint, now, rng)
    }

    /// A transient failure's retry: failed after too many of them, parked when the shared budget
    /// is spent, otherwise retried after the server's hint or a full-jitter backoff.
    fn retry_transient(
        &mut self,
        attempts: &mut Attempts,
        outcome: Outcome,
        hint: Option<Duration>,
        now: Duration,
        rng: &mut Rng,
    ) -> Verdict {
        if attempts.transient >= self.config.max_transient_retries {
            return Verdict::Fail {
                reason: format!(
                    "gave up after {} transient failures, the last one {}",
                    attempts.transient + 1,
                    describe(outcome)
                ),
            };
        }
        if !self.budget.spend() {
            return Verdict::Park {
                until: now.saturating_add(self.config.cap),
                reason: format!(
                    "the retry budget is spent ({} with too few successes): the server is failing too often to retry now",
                    describe(outcome)
                ),
            };
        }
        attempts.transient += 1;
        let wait = match hint {
            Some(wait) => wait,
            None => full_jitter(&self.config, attempts.transient, rng),
        };
        Verdict::Retry {
            not_before: now.saturating_add(wait),
            class: Class::Transient,
        }
    }
}

/// Full jitter: a uniform draw in `[0, min(cap, base * 2^(retry - 1)))`.
pub fn full_jitter(config: &RetryConfig, retry: u32, rng: &mut Rng) -> Duration {
    let exp = retry.saturating_sub(1).min(30);
    let ceiling = config
        .base
        .saturating_mul(1u32 << exp)
        .min(config.cap)
        .as_secs_f64();
    Duration::from_secs_f64(rng.range_f64(0.0, ceiling))
}

fn describe(outcome: Outcome) -> String {
    match outcome {
        Outcome::Status(s) => format!("status {s}"),
        Outcome::Timeout => "a timeout".into(),
        Outcome::ConnectionError => "a connection error".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signals::{ParseContext, parse};

    fn signals(status: u16, retry_after: Option<&str>) -> Signals {
        let headers: Vec<(&[u8], &[u8])> = retry_after
            .map(|v| vec![(b"Retry-After".as_slice(), v.as_bytes())])
            .unwrap_or_default();
        parse(status, &headers, b"", ParseContext::default())
    }

    fn decide(
        policy: &mut RetryPolicy,
        a: &mut Attempts,
        o: Outcome,
        s: Option<&Signals>,
    ) -> Verdict {
        policy.decide(a, o, s, Duration::from_secs(100), &mut Rng::new(1))
    }

    #[test]
    fn classes_of_every_outcome() {
        assert_eq!(classify(Outcome::Status(200)), Class::Done);
        assert_eq!(classify(Outcome::Status(204)), Class::Done);
        assert_eq!(classify(Outcome::Status(429)), Class::Throttled);
        assert_eq!(classify(Outcome::Status(503)), Class::Transient);
        assert_eq!(classify(Outcome::Status(408)), Class::Transient);
        assert_eq!(classify(Outcome::Timeout), Class::Transient);
        assert_eq!(classify(Outcome::ConnectionError), Class::Transient);
        assert_eq!(classify(Outcome::Status(401)), Class::Auth);
        assert_eq!(classify(Outcome::Status(409)), Class::Conflict);
        assert_eq!(classify(Outcome::Status(400)), Class::Permanent);
        assert_eq!(classify(Outcome::Status(404)), Class::Permanent);
        assert_eq!(classify(Outcome::Status(413)), Class::Permanent);
    }

    #[test]
    fn done_is_done() {
        let mut p = RetryPolicy::new(RetryConfig::default());
        let mut a = Attempts::default();
        assert_eq!(
            decide(&mut p, &mut a, Outcome::Status(200), None),
            Verdict::Done
        );
    }

    #[test]
    fn throttled_waits_for_retry_after_and_parks_beyond_the_cap() {
        let mut p = RetryPolicy::new(RetryConfig::default());
        let mut a = Attempts::default();
        let s = signals(429, Some("7"));
        assert_eq!(
            decide(&mut p, &mut a, Outcome::Status(429), Some(&s)),
            Verdict::Retry {
                not_before: Duration::from_secs(107),
                class: Class::Throttled
            }
        );
        // Throttled retries do not spend the transient budget.
        assert_eq!(p.budget().available(), 20.0);
        let s = signals(429, Some("3600"));
        match decide(&mut p, &mut a, Outcome::Status(429), Some(&s)) {
            Verdict::Park { until, reason } => {
                assert_eq!(until, Duration::from_secs(3700));
                assert!(reason.contains("3600 s"), "{reason}");
            }
            other => panic!("expected a park, got {other:?}"),
        }
    }

    #[test]
    fn transient_backs_off_with_full_jitter_within_the_cap() {
        let config = RetryConfig::default();
        let mut rng = Rng::new(9);
        for retry in 1..20 {
            let ceiling = config
                .base
                .saturating_mul(1 << (retry - 1).min(30))
                .min(config.cap);
            for _ in 0..50 {
                assert!(full_jitter(&config, retry, &mut rng) < ceiling);
            }
        }
        let mut p = RetryPolicy::new(config);
        let mut a = Attempts::default();
        match decide(&mut p, &mut a, Outcome::Status(503), None) {
            Verdict::Retry { not_before, class } => {
                assert_eq!(class, Class::Transient);
                assert!(not_before < Duration::from_millis(100_500));
            }
            other => panic!("expected a retry, got {other:?}"),
        }
        // A 503 with Retry-After (maintenance) waits exactly that long.
        let s = signals(503, Some("30"));
        assert_eq!(
            decide(&mut p, &mut a, Outcome::Timeout, Some(&s)),
            Verdict::Retry {
                not_before: Duration::from_secs(130),
                class: Class::Transient
            }
        );
    }

    #[test]
    fn transient_retries_are_bounded_per_item() {
        let mut p = RetryPolicy::new(RetryConfig::default());
        let mut a = Attempts::default();
        for _ in 0..8 {
            assert!(matches!(
                decide(&mut p, &mut a, Outcome::ConnectionError, None),
                Verdict::Retry { .. }
            ));
        }
        assert!(matches!(
            decide(&mut p, &mut a, Outcome::ConnectionError, None),
            Verdict::Fail { .. }
        ));
    }

    #[test]
    fn the_retry_budget_stops_retry_storms_and_successes_refill_it() {
        let config = RetryConfig {
            budget_floor: 2.0,
            budget_ratio: 0.5,
            ..RetryConfig::default()
        };
        let mut p = RetryPolicy::new(config);
        for _ in 0..2 {
            let mut a = Attempts::default();
            assert!(matches!(
                decide(&mut p, &mut a, Outcome::Status(500), None),
                Verdict::Retry { .. }
            ));
        }
        let mut a = Attempts::default();
        assert!(matches!(
            decide(&mut p, &mut a, Outcome::Status(500), None),
            Verdict::Park { .. }
        ));
        for _ in 0..2 {
            decide(&mut p, &mut Attempts::default(), Outcome::Status(200), None);
        }
        assert!(matches!(
            decide(&mut p, &mut Attempts::default(), Outcome::Status(500), None),
            Verdict::Retry { .. }
        ));
    }

    #[test]
    fn auth_reauthenticates_once_then_fails() {
        let mut p = RetryPolicy::new(RetryConfig::default());
        let mut a = Attempts::default();
        assert_eq!(
            decide(&mut p, &mut a, Outcome::Status(401), None),
            Verdict::Reauthenticate
        );
        assert!(matches!(
            decide(&mut p, &mut a, Outcome::Status(401), None),
            Verdict::Fail { .. }
        ));
    }

    #[test]
    fn conflict_goes_back_to_the_caller() {
        let mut p = RetryPolicy::new(RetryConfig::default());
        assert_eq!(
            decide(&mut p, &mut Attempts::default(), Outcome::Status(409), None),
            Verdict::Conflict
        );
    }

    #[test]
    fn permanent_errors_are_never_retried() {
        let mut p = RetryPolicy::new(RetryConfig::default());
        for status in [400, 403, 404, 413, 422] {
            match decide(
                &mut p,
                &mut Attempts::default(),
                Outcome::Status(status),
                None,
            ) {
                Verdict::Fail { reason } => assert!(reason.contains("permanent"), "{reason}"),
                other => panic!("{status}: expected a failure, got {other:?}"),
            }
        }
    }

    #[test]
    fn attempts_are_bounded_even_when_throttled() {
        let mut p = RetryPolicy::new(RetryConfig::default());
        let mut a = Attempts::default();
        let s = signals(429, Some("1"));
        let mut verdicts = 0;
        while let Verdict::Retry { .. } = decide(&mut p, &mut a, Outcome::Status(429), Some(&s)) {
            verdicts += 1;
            assert!(verdicts < 100);
        }
        assert_eq!(a.total, 30);
    }
}
