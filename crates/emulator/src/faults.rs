//! Injected faults: latency, error answers, connection resets and maintenance windows, all drawn
//! from one seeded generator so that a run can be replayed.

use std::sync::Mutex;
use std::time::Duration;

use pacer_core::rng::Rng;

use crate::config::Faults;

/// What to do to one request instead of answering it normally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Injected {
    /// Answer `status` with a Retry-After of `retry_after` (a maintenance window).
    Maintenance { status: u16, retry_after: Duration },
    /// Answer `status`, with a Retry-After if configured.
    Error {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// Reset the connection without answering.
    Reset,
}

/// Draws faults for requests.
#[derive(Debug)]
pub struct FaultEngine {
    faults: Faults,
    enabled: bool,
    rng: Mutex<Rng>,
}

impl FaultEngine {
    /// An engine for `faults`, seeded.
    pub fn new(faults: &Faults, seed: u64) -> Self {
        FaultEngine {
            enabled: !faults.is_empty(),
            faults: faults.clone(),
            rng: Mutex::new(Rng::new(seed)),
        }
    }

    /// True when any fault is configured.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// When tokens minted earlier stop working.
    pub fn revoke_tokens_at(&self) -> Option<Duration> {
        self.faults.revoke_tokens_at
    }

    /// Draws the latency to add and the fault (if any) for one request at `now`.
    pub fn draw(&self, now: Duration) -> (Duration, Option<Injected>) {
        if !self.enabled {
            return (Duration::ZERO, None);
        }
        for window in &self.faults.maintenance {
            if now >= window.start && now < window.end() {
                let injected = Injected::Maintenance {
                    status: window.status.0,
                    retry_after: window.end() - now,
                };
                return (Duration::ZERO, Some(injected));
            }
        }
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        let latency = self.faults.latency.sample(&mut rng);
        if self.faults.reset_rate.is_some_and(|p| rng.chance(p.0)) {
            return (latency, Some(Injected::Reset));
        }
        for error in &self.faults.errors {
            if rng.chance(error.rate.0) {
                let retry_after = error.retry_after.map(|d| d.0);
                return (
                    latency,
                    Some(Injected::Error {
                        status: error.status.0,
                        retry_after,
                    }),
                );
            }
        }
        (latency, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ErrorFault, Maintenance};
    use crate::units::Latency;

    fn engine(faults: Faults, seed: u64) -> FaultEngine {
        FaultEngine::new(&faults, seed)
    }

    #[test]
    fn no_faults_draws_nothing() {
        let engine = engine(Faults::default(), 1);
        assert!(!engine.enabled());
        assert_eq!(engine.draw(Duration::ZERO), (Duration::ZERO, None));
    }

    #[test]
    fn maintenance_answers_with_the_rest_of_the_window() {
        let faults = Faults {
            maintenance: vec!["10s+5s".parse::<Maintenance>().unwrap()],
            ..Faults::default()
        };
        let engine = engine(faults, 1);
        assert_eq!(engine.draw(Duration::from_secs(9)).1, None);
        assert_eq!(
            engine.draw(Duration::from_millis(12_500)).1,
            Some(Injected::Maintenance {
                status: 503,
                retry_after: Duration::from_millis(2_500)
            })
        );
        assert_eq!(engine.draw(Duration::from_secs(15)).1, None);
    }

    #[test]
    fn error_rates_are_seeded_and_close_to_their_rate() {
        let faults = Faults {
            errors: vec!["503=0.1:5s".parse::<ErrorFault>().unwrap()],
            latency: "1ms..2ms".parse::<Latency>().unwrap(),
            ..Faults::default()
        };
        let run = |seed| {
            let engine = engine(faults.clone(), seed);
            (0..10_000)
                .map(|_| engine.draw(Duration::ZERO))
                .collect::<Vec<_>>()
        };
        let first = run(3);
        assert_eq!(first, run(3));
        assert_ne!(first, run(4));
        let errors = first.iter().filter(|(_, f)| f.is_some()).count();
        assert!(
            (800..1200).contains(&errors),
            "{errors} errors in 10000 at 10%"
        );
        assert!(
            first
                .iter()
                .all(|(l, _)| *l >= Duration::from_millis(1) && *l < Duration::from_millis(2))
        );
        assert!(first.iter().flat_map(|(_, f)| f).all(|f| *f
            == Injected::Error {
                status: 503,
                retry_after: Some(Duration::from_secs(5))
            }));
    }
}
