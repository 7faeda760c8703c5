//! The budget of a runner cut off from Redis: each shared limit divided by the runners last seen
//! alive, in its own shape, as local `pacer_core` limiters; what the run had used of them when
//! Redis was last reached counts as used by this runner's share too.

use std::time::Duration;

use pacer_client::Admission;
use pacer_core::limiter::{Algorithm, Limiter, admit_all};

use crate::Coordinator;
use crate::shape::Model;

/// The local limiters, and what they were built from.
pub(crate) struct Fallback {
    generation: u64,
    runners: u32,
    limiters: Vec<Limiter>,
}

impl Fallback {
    /// This runner's share of each of `models`, starting `used_ppm` millionths used, at `now`.
    fn new(
        models: &[Model],
        generation: u64,
        runners: u32,
        margin: f64,
        used_ppm: u64,
        now: Duration,
    ) -> Fallback {
        let used = (used_ppm.min(1_000_000) as f64) / 1e6;
        let limiters = models
            .iter()
            .map(|model| {
                let spec = model.share(runners, margin);
                let mut limiter = Limiter::new(spec);
                let capacity = match spec.algorithm {
                    Algorithm::TokenBucket => spec.burst,
                    _ => spec.limit,
                };
                for _ in 0..(f64::from(capacity) * used).ceil() as u32 {
                    limiter.record(now);
                }
                limiter
            })
            .collect();
        Fallback {
            generation,
            runners,
            limiters,
        }
    }
}

impl Coordinator {
    /// Admission by the local share.
    pub(crate) fn admit_alone(&self) -> Admission {
        let inner = &self.inner;
        let (generation, models) = {
            let known = inner.known.lock().unwrap_or_else(|e| e.into_inner());
            (known.generation, known.models.clone())
        };
        if models.is_empty() {
            return Admission::Go;
        }
        let runners = self.runners_alive();
        let now = inner.started.elapsed();
        let mut slot = inner.fallback.lock().unwrap_or_else(|e| e.into_inner());
        let fallback = match slot.as_mut() {
            Some(f) if f.generation == generation && f.runners == runners => f,
            _ => slot.insert(Fallback::new(
                &models,
                generation,
                runners,
                inner.options.margin,
                inner.used_ppm.load(std::sync::atomic::Ordering::Relaxed),
                now,
            )),
        };
        let mut layers: Vec<&mut Limiter> = fallback.limiters.iter_mut().collect();
        match admit_all(&mut layers, now) {
            Ok(()) => Admission::Go,
            Err((_, wait)) => Admission::Wait(wait),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_share_starts_as_used_as_the_run_was() {
        let org = Model::window("org", 600, Duration::from_secs(60), false);
        let mut fallback = Fallback::new(&[org], 0, 2, 0.0, 500_000, Duration::ZERO);
        let mut layers: Vec<&mut Limiter> = fallback.limiters.iter_mut().collect();
        // Half of 600 for each of two runners, half of which the run had used.
        for _ in 0..150 {
            assert_eq!(admit_all(&mut layers, Duration::ZERO), Ok(()));
        }
        assert!(admit_all(&mut layers, Duration::ZERO).is_err());
    }
}
