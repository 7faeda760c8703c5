//! The shared budget: admission by the ADMIT script (GCRA over every shared limit, behind the
//! gate a 429 closes), limits declared or learned into Redis, and the local share used while
//! Redis is away.

use std::time::Duration;

use pacer_client::{Admission, SharedBudget, SharedFuture};
use pacer_core::limiter::{Algorithm, Decision, LimitSpec, Limiter};
use pacer_core::signals::Signals;

use crate::error::Result;
use crate::{Coordinator, scripts};

/// How long the gate closes after a 429 that names no wait.
const DEFAULT_GATE: Duration = Duration::from_secs(1);

/// While no shared limit is known, how long an open gate is trusted without asking again: a 429
/// another runner meets reaches this one within this time.
pub(crate) const OPEN_FOR: Duration = Duration::from_millis(50);

/// A limit every runner shares: an organization-wide or per-endpoint limit.
#[derive(Debug, Clone, PartialEq)]
pub struct SharedLimit {
    /// Its key, such as `org.api.rate.per.minute`.
    pub name: String,
    /// Requests per window.
    pub limit: u64,
    pub window: Duration,
    /// Learned from a 429 (else declared, by the limits API or the user).
    pub learned: bool,
}

impl SharedLimit {
    /// The time between two requests at the limit less `margin`, in microseconds.
    fn interval_us(&self, margin: f64) -> u64 {
        let rate = self.limit.max(1) as f64 * (1.0 - margin.clamp(0.0, 0.5));
        (self.window.as_micros() as f64 / rate).ceil() as u64
    }

    /// The hash value: `interval_us:burst:description`.
    fn encode(&self, margin: f64) -> String {
        format!(
            "{}:1:{}/{}s {}",
            self.interval_us(margin),
            self.limit,
            self.window.as_secs(),
            if self.learned { "learned" } else { "declared" }
        )
    }
}

/// The budget of a runner cut off from Redis: the strictest shared limit divided by the runners
/// last seen alive, as a local token bucket.
pub(crate) struct Fallback {
    interval_us: u64,
    limiter: Limiter,
}

impl Coordinator {
    /// Puts `limits` in the run's budget (a stricter one already there is kept).
    pub async fn declare(&self, limits: &[SharedLimit]) -> Result<()> {
        let inner = &self.inner;
        for limit in limits {
            let _: i64 = inner
                .link
                .eval(
                    &scripts::DECLARE,
                    &[&inner.keys.limits],
                    &[limit.name.clone(), limit.encode(inner.options.margin)],
                )
                .await?;
        }
        self.read_limits().await
    }

    /// Rereads the shared limits, for the fallback.
    pub(crate) async fn read_limits(&self) -> Result<()> {
        let inner = &self.inner;
        let mut cmd = redis::cmd("HGETALL");
        cmd.arg(&inner.keys.limits);
        let all: Vec<(String, String)> = inner.link.query(&cmd).await?;
        let known = all
            .into_iter()
            .filter_map(|(name, value)| {
                let interval = value.split(':').next()?.parse().ok()?;
                Some((name, interval))
            })
            .collect();
        *inner.known.lock().unwrap_or_else(|e| e.into_inner()) = known;
        Ok(())
    }

    /// The shared limits as last read: name and description.
    pub fn known_limits(&self) -> Vec<String> {
        self.inner
            .known
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(name, interval)| format!("{name} (one request every {interval} µs)"))
            .collect()
    }

    /// The local share while Redis is away, in requests per minute (`None` when no shared limit
    /// is known).
    pub fn fallback_share_per_min(&self) -> Option<f64> {
        let interval = self.strictest()?;
        let runners = f64::from(self.runners_alive());
        Some(60e6 / interval as f64 / runners)
    }

    /// The strictest shared limit in requests per second, as the server counts it (without the
    /// margin kept in reserve); `None` when none is known.
    pub fn shared_rate_per_sec(&self) -> Option<f64> {
        let interval = self.strictest()?;
        let margin = self.inner.options.margin.clamp(0.0, 0.5);
        Some(1e6 / interval as f64 / (1.0 - margin))
    }

    fn strictest(&self) -> Option<u64> {
        self.inner
            .known
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(_, interval)| *interval)
            .max()
    }

    async fn admit_shared(&self) -> Admission {
        let inner = &self.inner;
        let nothing_known = inner
            .known
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_empty();
        if nothing_known
            && inner
                .open_seen
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .is_some_and(|at| at.elapsed() < OPEN_FOR)
        {
            return Admission::Go;
        }
        let answer: Result<(i64, i64)> = inner
            .link
            .eval(
                &scripts::ADMIT,
                &[&inner.keys.limits, &inner.keys.gate],
                std::slice::from_ref(&inner.keys.tat_prefix),
            )
            .await;
        match answer {
            Ok((1, _)) => {
                *inner.fallback.lock().unwrap_or_else(|e| e.into_inner()) = None;
                if nothing_known {
                    *inner.open_seen.lock().unwrap_or_else(|e| e.into_inner()) =
                        Some(tokio::time::Instant::now());
                }
                Admission::Go
            }
            Ok((_, wait_us)) => Admission::Wait(Duration::from_micros(wait_us.max(1) as u64)),
            Err(_) => self.admit_alone(),
        }
    }

    /// Admission by the local share.
    fn admit_alone(&self) -> Admission {
        let Some(strictest) = self.strictest() else {
            return Admission::Go;
        };
        let interval_us = strictest.saturating_mul(u64::from(self.runners_alive()));
        let now = self.inner.started.elapsed();
        let mut slot = self
            .inner
            .fallback
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let fallback = match slot.as_mut() {
            Some(fallback) if fallback.interval_us == interval_us => fallback,
            _ => slot.insert(Fallback {
                interval_us,
                limiter: Limiter::new(LimitSpec {
                    algorithm: Algorithm::TokenBucket,
                    limit: 1,
                    window: Duration::from_micros(interval_us.max(1)),
                    burst: 1,
                }),
            }),
        };
        match fallback.limiter.check(now) {
            Decision::Admit => {
                fallback.limiter.record(now);
                Admission::Go
            }
            Decision::Reject { retry_after } => Admission::Wait(retry_after),
        }
    }

    /// What [`SharedBudget::observe`] does in the background, awaited: after a 429 that names no
    /// per-token limit, closes the shared gate for its wait and shares the limit it names.
    pub async fn observe_now(&self, status: u16, signals: &Signals) {
        if let Some((wait, learned)) = throttle_of(status, signals) {
            self.throttled(wait, learned).await;
        }
    }

    /// Closes the shared gate for `wait`, and shares `learned`.
    async fn throttled(&self, wait: Duration, learned: Option<SharedLimit>) {
        let inner = &self.inner;
        *inner.open_seen.lock().unwrap_or_else(|e| e.into_inner()) = None;
        let _: Result<i64> = inner
            .link
            .eval(
                &scripts::GATE,
                &[&inner.keys.gate],
                &[
                    wait.as_millis().max(1).to_string(),
                    inner.options.runner.clone(),
                ],
            )
            .await;
        if let Some(limit) = learned {
            let _ = self.declare(&[limit]).await;
        }
    }
}

impl SharedBudget for Coordinator {
    fn admit(&self) -> SharedFuture<'_, Admission> {
        Box::pin(self.admit_shared())
    }

    fn observe(&self, status: u16, signals: &Signals) {
        if let Some((wait, learned)) = throttle_of(status, signals) {
            let coordinator = self.clone();
            tokio::spawn(async move { coordinator.throttled(wait, learned).await });
        }
    }
}

/// What a response tells the other runners: a 429 not of this runner's own token closes the gate
/// for its wait, and teaches the limit it names.
fn throttle_of(status: u16, signals: &Signals) -> Option<(Duration, Option<SharedLimit>)> {
    if status != 429 {
        return None;
    }
    let named = signals.named_limit();
    if named.is_some_and(|limit| limit.is_token_limit()) {
        return None;
    }
    let learned = named.and_then(|limit| {
        Some(SharedLimit {
            name: limit.key.clone(),
            limit: limit.value?,
            window: limit.window()?,
            learned: true,
        })
    });
    Some((signals.wait_hint().unwrap_or(DEFAULT_GATE), learned))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_is_stored_as_its_interval_less_the_margin() {
        let limit = SharedLimit {
            name: "org.api.rate.per.minute".into(),
            limit: 600,
            window: Duration::from_secs(60),
            learned: false,
        };
        assert_eq!(limit.interval_us(0.0), 100_000);
        assert_eq!(limit.encode(0.02), "102041:1:600/60s declared");
    }
}
