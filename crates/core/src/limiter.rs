//! Server-side rate limiter models (fixed window, sliding window, token bucket, concurrency), sans I/O.
//!
//! The emulator enforces these and the simulator's server models are built from them, so both judge
//! clients by the very same rules. Time is a `Duration` since an arbitrary origin chosen by the caller;
//! fixed windows are aligned to multiples of their length from that origin.

use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::Error;

/// How a limiter counts requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Algorithm {
    /// At most `limit` requests in each aligned window; the count resets at each window boundary.
    FixedWindow,
    /// At most `limit` requests in any window of length `window` (an exact sliding log).
    SlidingWindow,
    /// A bucket of `burst` tokens refilled at `limit` per `window`, as GCRA computes it.
    TokenBucket,
    /// At most `limit` requests in flight at once.
    Concurrency,
}

impl Algorithm {
    /// The name used in configuration files and flags.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::FixedWindow => "fixed-window",
            Algorithm::SlidingWindow => "sliding-window",
            Algorithm::TokenBucket => "token-bucket",
            Algorithm::Concurrency => "concurrency",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "fixed-window" => Ok(Algorithm::FixedWindow),
            "sliding-window" => Ok(Algorithm::SlidingWindow),
            "token-bucket" => Ok(Algorithm::TokenBucket),
            "concurrency" => Ok(Algorithm::Concurrency),
            other => Err(Error::UnknownAlgorithm(other.to_owned())),
        }
    }
}

/// What a limiter enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitSpec {
    /// How requests are counted.
    pub algorithm: Algorithm,
    /// Requests per window (in flight at once, for [`Algorithm::Concurrency`]).
    pub limit: u32,
    /// The window length; for [`Algorithm::Concurrency`], the Retry-After advised on refusal.
    pub window: Duration,
    /// The token bucket's capacity; other algorithms ignore it but it must not be zero.
    pub burst: u32,
}

impl LimitSpec {
    /// Checks that a server could enforce this limit.
    pub fn validate(&self) -> Result<(), Error> {
        if self.limit == 0 {
            return Err(Error::InvalidLimit {
                field: "limit",
                reason: "must be at least 1",
            });
        }
        if self.window.is_zero() {
            return Err(Error::InvalidLimit {
                field: "window",
                reason: "must be longer than zero",
            });
        }
        if self.burst == 0 {
            return Err(Error::InvalidLimit {
                field: "burst",
                reason: "must be at least 1",
            });
        }
        Ok(())
    }

    /// The sustained rate in requests per second.
    pub fn rate_per_sec(&self) -> f64 {
        f64::from(self.limit) / self.window.as_secs_f64()
    }

    /// The token bucket's emission interval: the time one token takes to refill.
    fn interval(&self) -> Duration {
        self.window / self.limit
    }

    /// The token bucket's tolerance: how far ahead of now its theoretical arrival time may run.
    fn tolerance(&self) -> Duration {
        self.interval() * (self.burst - 1)
    }
}

/// Whether one more request is admitted now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// It is admitted.
    Admit,
    /// It is refused; the same request would be admitted after `retry_after`, if nothing else is sent.
    Reject {
        /// The exact time until admission.
        retry_after: Duration,
    },
}

/// A limiter's state as rate-limit headers describe it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    /// The limit per window (or the bucket's capacity).
    pub limit: u32,
    /// Requests that would be admitted right now, one after the other.
    pub remaining: u32,
    /// Time until the budget is whole again.
    pub reset_after: Duration,
}

#[derive(Debug, Clone)]
enum State {
    Fixed { window_index: u64, count: u32 },
    Sliding { admitted: VecDeque<Duration> },
    Bucket { tat: Duration },
    Concurrency { in_flight: u32 },
}

/// One limiter's state for one key, such as one token or one user.
#[derive(Debug, Clone)]
pub struct Limiter {
    spec: LimitSpec,
    state: State,
}

impl Limiter {
    /// Creates a limiter with a whole budget. The spec should have passed [`LimitSpec::validate`].
    pub fn new(spec: LimitSpec) -> Self {
        let state = match spec.algorithm {
            Algorithm::FixedWindow => State::Fixed {
                window_index: 0,
                count: 0,
            },
            Algorithm::SlidingWindow => State::Sliding {
                admitted: VecDeque::new(),
            },
            Algorithm::TokenBucket => State::Bucket {
                tat: Duration::ZERO,
            },
            Algorithm::Concurrency => State::Concurrency { in_flight: 0 },
        };
        Self { spec, state }
    }

    /// What this limiter enforces.
    pub fn spec(&self) -> &LimitSpec {
        &self.spec
    }

    fn window_index(&self, now: Duration) -> u64 {
        (now.as_nanos() / self.spec.window.as_nanos()) as u64
    }

    fn window_end(&self, now: Duration) -> Duration {
        let index = u32::try_from(self.window_index(now) + 1).unwrap_or(u32::MAX);
        self.spec.window * index
    }

    /// Requests counted in the fixed window that contains `now`.
    fn fixed_count(&self, now: Duration) -> u32 {
        match self.state {
            State::Fixed {
                window_index,
                count,
            } if window_index == self.window_index(now) => count,
            _ => 0,
        }
    }

    /// The index of the first admission of the sliding log still inside the window that ends at `now`.
    fn sliding_start(&self, admitted: &VecDeque<Duration>, now: Duration) -> usize {
        let window = self.spec.window;
        admitted.partition_point(|at| *at + window <= now)
    }

    /// Would one more request be admitted at `now`? Changes nothing.
    pub fn check(&self, now: Duration) -> Decision {
        let spec = &self.spec;
        match &self.state {
            State::Fixed { .. } => {
                if self.fixed_count(now) < spec.limit {
                    Decision::Admit
                } else {
                    Decision::Reject {
                        retry_after: self.window_end(now) - now,
                    }
                }
            }
            State::Sliding { admitted } => {
                let live = admitted.len() - self.sliding_start(admitted, now);
                if live < spec.limit as usize {
                    Decision::Admit
                } else {
                    // The request fits once enough of the oldest admissions have left the window.
                    let oldest = admitted[admitted.len() - spec.limit as usize];
                    Decision::Reject {
                        retry_after: oldest + spec.window - now,
                    }
                }
            }
            State::Bucket { tat } => {
                let allow_at = tat.saturating_sub(spec.tolerance());
                if now >= allow_at {
                    Decision::Admit
                } else {
                    Decision::Reject {
                        retry_after: allow_at - now,
                    }
                }
            }
            State::Concurrency { in_flight } => {
                if *in_flight < spec.limit {
                    Decision::Admit
                } else {
                    Decision::Reject {
                        retry_after: spec.window,
                    }
                }
            }
        }
    }

    /// Counts one admitted request at `now`. Call it only once every layer has admitted the request.
    pub fn record(&mut self, now: Duration) {
        let index = self.window_index(now);
        let count = self.fixed_count(now);
        let interval = self.spec.interval();
        let window = self.spec.window;
        match &mut self.state {
            State::Fixed {
                window_index,
                count: stored,
            } => {
                *window_index = index;
                *stored = count + 1;
            }
            State::Sliding { admitted } => {
                while admitted.front().is_some_and(|at| *at + window <= now) {
                    admitted.pop_front();
                }
                admitted.push_back(now);
            }
            State::Bucket { tat } => *tat = (*tat).max(now) + interval,
            State::Concurrency { in_flight } => *in_flight += 1,
        }
    }

    /// Tells the limiter that a request it admitted has finished; only concurrency limiters care.
    pub fn release(&mut self, _now: Duration) {
        if let State::Concurrency { in_flight } = &mut self.state {
            *in_flight = in_flight.saturating_sub(1);
        }
    }

    /// The limiter's budget at `now`, as rate-limit headers report it.
    pub fn snapshot(&self, now: Duration) -> Snapshot {
        let spec = &self.spec;
        match &self.state {
            State::Fixed { .. } => Snapshot {
                limit: spec.limit,
                remaining: spec.limit.saturating_sub(self.fixed_count(now)),
                reset_after: self.window_end(now) - now,
            },
            State::Sliding { admitted } => {
                let count = (admitted.len() - self.sliding_start(admitted, now)) as u32;
                Snapshot {
                    limit: spec.limit,
                    remaining: spec.limit.saturating_sub(count),
                    reset_after: admitted.back().map_or(Duration::ZERO, |last| {
                        (*last + spec.window).saturating_sub(now)
                    }),
                }
            }
            State::Bucket { tat } => {
                let owed = tat.saturating_sub(now);
                let used = owed.as_nanos().div_ceil(spec.interval().as_nanos().max(1));
                Snapshot {
                    limit: spec.burst,
                    remaining: spec
                        .burst
                        .saturating_sub(u32::try_from(used).unwrap_or(u32::MAX)),
                    reset_after: owed,
                }
            }
            State::Concurrency { in_flight } => Snapshot {
                limit: spec.limit,
                remaining: spec.limit.saturating_sub(*in_flight),
                reset_after: Duration::ZERO,
            },
        }
    }

    /// True when the state equals a fresh limiter's, so that a keyed store may drop it.
    pub fn is_idle(&self, now: Duration) -> bool {
        match &self.state {
            State::Fixed { .. } => self.fixed_count(now) == 0,
            State::Sliding { admitted } => self.sliding_start(admitted, now) == admitted.len(),
            State::Bucket { tat } => *tat <= now,
            State::Concurrency { in_flight } => *in_flight == 0,
        }
    }
}

/// Admits a request through every layer, or through none.
///
/// When every layer admits, each records the request and the result is `Ok`. Otherwise nothing is
/// recorded and the result names the refusing layer with the longest wait, and that wait: the
/// request cannot pass before every layer would admit it.
pub fn admit_all(layers: &mut [&mut Limiter], now: Duration) -> Result<(), (usize, Duration)> {
    let mut refusal: Option<(usize, Duration)> = None;
    for (index, layer) in layers.iter().enumerate() {
        if let Decision::Reject { retry_after } = layer.check(now)
            && refusal.is_none_or(|(_, longest)| retry_after > longest)
        {
            refusal = Some((index, retry_after));
        }
    }
    match refusal {
        Some(refusal) => Err(refusal),
        None => {
            for layer in layers.iter_mut() {
                layer.record(now);
            }
            Ok(())
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A limit of `limit` per `window_s` seconds with `burst`, for tests here and in the pacer.
    pub(crate) fn spec(algorithm: Algorithm, limit: u32, window_s: u64, burst: u32) -> LimitSpec {
        LimitSpec {
            algorithm,
            limit,
            window: Duration::from_secs(window_s),
            burst,
        }
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Sends at `now` until refused and returns how many were admitted and the refusal's wait.
    fn drain(limiter: &mut Limiter, now: Duration) -> (u32, Duration) {
        for admitted in 0..100_000 {
            match limiter.check(now) {
                Decision::Admit => limiter.record(now),
                Decision::Reject { retry_after } => return (admitted, retry_after),
            }
        }
        panic!("the limiter never refused");
    }

    #[test]
    fn fixed_window_admits_limit_per_aligned_window() {
        let mut limiter = Limiter::new(spec(Algorithm::FixedWindow, 300, 60, 300));
        assert_eq!(drain(&mut limiter, ms(15_000)), (300, ms(45_000)));
        assert_eq!(
            limiter.snapshot(ms(15_000)),
            Snapshot {
                limit: 300,
                remaining: 0,
                reset_after: ms(45_000)
            }
        );
        // Just before the boundary nothing more passes; at the boundary a whole window is free.
        assert_eq!(
            limiter.check(ms(59_999)),
            Decision::Reject { retry_after: ms(1) }
        );
        assert_eq!(drain(&mut limiter, ms(60_000)), (300, ms(60_000)));
    }

    #[test]
    fn sliding_window_counts_any_window() {
        let mut limiter = Limiter::new(spec(Algorithm::SlidingWindow, 3, 10, 3));
        limiter.record(ms(0));
        limiter.record(ms(4_000));
        limiter.record(ms(5_000));
        assert_eq!(
            limiter.check(ms(6_000)),
            Decision::Reject {
                retry_after: ms(4_000)
            }
        );
        assert_eq!(
            limiter.check(ms(9_999)),
            Decision::Reject { retry_after: ms(1) }
        );
        assert_eq!(limiter.check(ms(10_000)), Decision::Admit);
        limiter.record(ms(10_000));
        // Now 4 s, 5 s and 10 s are live: the next slot opens when 4 s leaves, at 14 s.
        assert_eq!(
            limiter.check(ms(10_000)),
            Decision::Reject {
                retry_after: ms(4_000)
            }
        );
        assert_eq!(limiter.snapshot(ms(10_000)).remaining, 0);
        assert!(limiter.is_idle(ms(20_000)));
    }

    #[test]
    fn token_bucket_allows_burst_then_rate() {
        let mut limiter = Limiter::new(spec(Algorithm::TokenBucket, 300, 60, 10));
        assert_eq!(drain(&mut limiter, ms(0)), (10, ms(200)));
        assert_eq!(
            limiter.check(ms(199)),
            Decision::Reject { retry_after: ms(1) }
        );
        assert_eq!(drain(&mut limiter, ms(200)), (1, ms(200)));
        // After a long idle period the bucket is full again, and no fuller.
        assert!(limiter.is_idle(ms(10_000)));
        assert_eq!(limiter.snapshot(ms(10_000)).remaining, 10);
        assert_eq!(drain(&mut limiter, ms(10_000)), (10, ms(200)));
    }

    #[test]
    fn token_bucket_snapshot_counts_tokens() {
        let mut limiter = Limiter::new(spec(Algorithm::TokenBucket, 300, 60, 10));
        for _ in 0..4 {
            limiter.record(ms(0));
        }
        assert_eq!(
            limiter.snapshot(ms(0)),
            Snapshot {
                limit: 10,
                remaining: 6,
                reset_after: ms(800)
            }
        );
        assert_eq!(limiter.snapshot(ms(300)).remaining, 7);
    }

    #[test]
    fn concurrency_counts_in_flight() {
        let mut limiter = Limiter::new(spec(Algorithm::Concurrency, 2, 1, 1));
        assert_eq!(drain(&mut limiter, ms(0)), (2, ms(1_000)));
        limiter.release(ms(5));
        assert_eq!(limiter.check(ms(5)), Decision::Admit);
    }

    #[test]
    fn refused_request_consumes_nothing_in_any_layer() {
        let mut token = Limiter::new(spec(Algorithm::FixedWindow, 5, 60, 5));
        let mut route = Limiter::new(spec(Algorithm::TokenBucket, 60, 60, 1));
        assert_eq!(admit_all(&mut [&mut token, &mut route], ms(0)), Ok(()));
        assert_eq!(
            admit_all(&mut [&mut token, &mut route], ms(0)),
            Err((1, ms(1_000)))
        );
        assert_eq!(token.snapshot(ms(0)).remaining, 4);
        assert_eq!(admit_all(&mut [&mut token, &mut route], ms(1_000)), Ok(()));
    }

    #[test]
    fn longest_refusal_wins() {
        let mut short = Limiter::new(spec(Algorithm::TokenBucket, 60, 60, 1));
        let mut long = Limiter::new(spec(Algorithm::FixedWindow, 1, 60, 1));
        assert_eq!(admit_all(&mut [&mut short, &mut long], ms(0)), Ok(()));
        assert_eq!(
            admit_all(&mut [&mut short, &mut long], ms(0)),
            Err((1, ms(60_000)))
        );
    }

    proptest::proptest! {
        /// Whatever the arrival times, no window ever holds more than the limit allows.
        #[test]
        fn never_admits_beyond_the_limit(
            algorithm in proptest::sample::select(vec![Algorithm::FixedWindow, Algorithm::SlidingWindow, Algorithm::TokenBucket]),
            limit in 1u32..20,
            burst in 1u32..20,
            gaps in proptest::collection::vec(0u64..400, 1..400),
        ) {
            let spec = LimitSpec { algorithm, limit, window: ms(1_000), burst };
            let mut limiter = Limiter::new(spec);
            let mut now = Duration::ZERO;
            let mut admitted = Vec::new();
            for gap in gaps {
                now += ms(gap);
                if limiter.check(now) == Decision::Admit {
                    limiter.record(now);
                    admitted.push(now);
                }
            }
            for (i, start) in admitted.iter().enumerate() {
                for span_ms in [1u64, 500, 1_000, 3_000] {
                    let span = ms(span_ms);
                    let inside = admitted[i..].iter().take_while(|at| **at < *start + span).count() as u64;
                    let allowed = match algorithm {
                        // A span of one window meets at most two aligned windows.
                        Algorithm::FixedWindow => u64::from(limit) * (span_ms.div_ceil(1_000) + 1),
                        Algorithm::SlidingWindow => u64::from(limit) * span_ms.div_ceil(1_000),
                        _ => u64::from(burst) + (span_ms * u64::from(limit)).div_ceil(1_000),
                    };
                    proptest::prop_assert!(inside <= allowed, "{inside} > {allowed} in {span_ms} ms");
                }
            }
        }
    }

    #[test]
    fn invalid_specs_are_refused() {
        assert!(spec(Algorithm::FixedWindow, 0, 60, 1).validate().is_err());
        assert!(spec(Algorithm::FixedWindow, 1, 0, 1).validate().is_err());
        assert!(spec(Algorithm::TokenBucket, 1, 60, 0).validate().is_err());
        assert!(spec(Algorithm::TokenBucket, 1, 60, 1).validate().is_ok());
        assert_eq!(
            "token-bucket".parse::<Algorithm>(),
            Ok(Algorithm::TokenBucket)
        );
        assert!("leaky".parse::<Algorithm>().is_err());
    }
}
