//! Client strategies: the thread's JMeter run and snippets, the AWS SDK's adaptive mode, and pacer.
//!
//! `naive`, `retry-after` and `exp-backoff` run 50 threads (the thread's JMeter set-up), each
//! taking the next item when it is done with its own; `fixed-delay` runs one thread with a 2 s pause
//! after each request. Their failures are lost, as in the snippets. `aws-adaptive` follows the AWS
//! SDK's adaptive retry mode (botocore's `ClientRateLimiter` and standard retries). `pacer` is the
//! real `pacer_core::pacer::Pacer` with the real `pacer_core::retry::RetryPolicy`.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use pacer_core::pacer::{Acquire, Feedback, Pacer, PacerConfig, Permit, Route};
use pacer_core::retry::{Attempts, Outcome, RetryConfig, RetryPolicy, Verdict};
use pacer_core::signals::{ParseContext, Signals, parse};

use crate::SimError;
use crate::engine::{Client, World};
use crate::scenario::{ClientKnowledge, LayerScope, Scenario};
use crate::server::Response;

/// The client strategies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// 50 threads, no retry: the JMeter run.
    Naive,
    /// 50 threads; on 429 sleep Retry-After (5 s if absent) plus up to 1 s of jitter.
    RetryAfter,
    /// 50 threads; on 429 wait Retry-After or 2^attempt s, at most 5 tries.
    ExpBackoff,
    /// One thread with a 2 s pause after each request.
    FixedDelay,
    /// 50 threads behind the AWS SDK's adaptive client rate limiter, 3 attempts.
    AwsAdaptive,
    /// pacer's engine.
    Pacer,
}

impl Strategy {
    /// Every strategy, in report order.
    pub const ALL: [Strategy; 6] = [
        Strategy::Naive,
        Strategy::RetryAfter,
        Strategy::ExpBackoff,
        Strategy::FixedDelay,
        Strategy::AwsAdaptive,
        Strategy::Pacer,
    ];

    /// The name used on the command line and in results.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Naive => "naive",
            Strategy::RetryAfter => "retry-after",
            Strategy::ExpBackoff => "exp-backoff",
            Strategy::FixedDelay => "fixed-delay",
            Strategy::AwsAdaptive => "aws-adaptive",
            Strategy::Pacer => "pacer",
        }
    }

    pub(crate) fn client(self, scenario: &Scenario) -> Box<dyn Client> {
        match self {
            Strategy::Naive | Strategy::RetryAfter | Strategy::ExpBackoff => {
                Box::new(Threads::new(self, 50))
            }
            Strategy::FixedDelay => Box::new(Threads::new(self, 1)),
            Strategy::AwsAdaptive => Box::new(AwsAdaptive::new(50)),
            Strategy::Pacer => Box::new(PacerClient::new(&scenario.client)),
        }
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Strategy {
    type Err = SimError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Strategy::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| SimError::UnknownStrategy(s.to_owned()))
    }
}

fn signals_of(response: &Response) -> Signals {
    parse(
        response.status,
        &response.header_pairs(),
        &response.body,
        ParseContext::default(),
    )
}

fn is_ok(status: u16) -> bool {
    (200..300).contains(&status)
}

/// Thread-per-item strategies: each thread works on one item at a time.
struct Threads {
    kind: Strategy,
    threads: usize,
    /// Per thread: its item and the attempts made on it.
    current: Vec<Option<(u32, u32)>>,
}

impl Threads {
    fn new(kind: Strategy, threads: usize) -> Self {
        Self {
            kind,
            threads,
            current: vec![None; threads],
        }
    }

    fn next(&mut self, world: &mut World, thread: usize) {
        self.current[thread] = world.take_item().map(|item| (item, 0));
        self.resend(world, thread);
    }

    fn resend(&mut self, world: &mut World, thread: usize) {
        if let Some((item, attempts)) = &mut self.current[thread] {
            *attempts += 1;
            world.send(*item, thread as u64);
        }
    }

    /// Finishes the thread's item and moves on (after the pause, for `fixed-delay`).
    fn move_on(&mut self, world: &mut World, thread: usize) {
        if self.kind == Strategy::FixedDelay {
            self.current[thread] = None;
            world.wake_at(world.now() + Duration::from_secs(2), thread as u64);
        } else {
            self.next(world, thread);
        }
    }
}

impl Client for Threads {
    fn start(&mut self, world: &mut World) {
        for thread in 0..self.threads {
            self.next(world, thread);
        }
    }

    fn on_response(&mut self, world: &mut World, item: u32, tag: u64, response: Response) {
        let thread = tag as usize;
        let attempts = self.current[thread].map_or(1, |(_, a)| a);
        if is_ok(response.status) {
            world.done(item);
            return self.move_on(world, thread);
        }
        let wait = if response.status == 429 {
            let retry_after = signals_of(&response).retry_after.map(|d| d.as_secs());
            match self.kind {
                // `int(headers.get('Retry-After', 5))` then `random.uniform(0, 1)`; retried until it
                // passes (bounded here at 100 attempts).
                Strategy::RetryAfter if attempts < 100 => Some(
                    Duration::from_secs(retry_after.unwrap_or(5))
                        + Duration::from_secs_f64(world.rng.next_f64()),
                ),
                // `int(headers.get('Retry-After', 2 ** attempt))` for attempt in range(5).
                Strategy::ExpBackoff if attempts < 5 => Some(Duration::from_secs(
                    retry_after.unwrap_or(1 << (attempts - 1)),
                )),
                _ => None,
            }
        } else {
            None
        };
        match wait {
            Some(wait) => world.wake_at(world.now() + wait, tag),
            None => {
                world.lose(item);
                self.move_on(world, thread);
            }
        }
    }

    fn on_wake(&mut self, world: &mut World, tag: u64) {
        let thread = tag as usize;
        if self.current[thread].is_some() {
            self.resend(world, thread);
        } else {
            self.next(world, thread);
        }
    }
}

/// botocore's `ClientRateLimiter`: a token bucket enabled at the first throttle, its fill rate
/// following a cubic curve from the rate measured in half-second bins.
struct AwsRateLimiter {
    enabled: bool,
    fill_rate: f64,
    max_capacity: f64,
    capacity: f64,
    last_refill: f64,
    measured: f64,
    bucket: f64,
    count: f64,
    last_max: f64,
    last_throttle: f64,
    k: f64,
}

impl AwsRateLimiter {
    const BETA: f64 = 0.7;
    const C: f64 = 0.4;
    const SMOOTH: f64 = 0.8;
    const MIN_FILL: f64 = 0.5;

    fn new() -> Self {
        Self {
            enabled: false,
            fill_rate: Self::MIN_FILL,
            max_capacity: 1.0,
            capacity: 0.0,
            last_refill: 0.0,
            measured: 0.0,
            bucket: 0.0,
            count: 0.0,
            last_max: 0.0,
            last_throttle: 0.0,
            k: 0.0,
        }
    }

    fn refill(&mut self, t: f64) {
        self.capacity =
            (self.capacity + (t - self.last_refill) * self.fill_rate).min(self.max_capacity);
        self.last_refill = t;
    }

    /// `Ok` to send now, or the time to wait first.
    fn acquire(&mut self, t: f64) -> Result<(), f64> {
        if !self.enabled {
            return Ok(());
        }
        self.refill(t);
        if self.capacity >= 1.0 {
            self.capacity -= 1.0;
            Ok(())
        } else {
            Err((1.0 - self.capacity) / self.fill_rate)
        }
    }

    fn on_response(&mut self, t: f64, throttled: bool) {
        let bin = (t * 2.0).floor() / 2.0;
        self.count += 1.0;
        if bin > self.bucket {
            let rate = self.count / (bin - self.bucket);
            self.measured = rate * Self::SMOOTH + self.measured * (1.0 - Self::SMOOTH);
            self.count = 0.0;
            self.bucket = bin;
        }
        let new_rate = if throttled {
            let rate = if self.enabled {
                self.measured.min(self.fill_rate)
            } else {
                self.measured
            };
            self.last_max = rate;
            self.k = (self.last_max * (1.0 - Self::BETA) / Self::C).cbrt();
            self.last_throttle = t;
            self.enabled = true;
            rate * Self::BETA
        } else {
            self.k = (self.last_max * (1.0 - Self::BETA) / Self::C).cbrt();
            Self::C * (t - self.last_throttle - self.k).powi(3) + self.last_max
        };
        let new_rate = new_rate.min(2.0 * self.measured);
        self.refill(t);
        self.fill_rate = new_rate.max(Self::MIN_FILL);
        self.max_capacity = new_rate.max(1.0);
        self.capacity = self.capacity.min(self.max_capacity);
    }
}

/// The AWS SDK's adaptive retry mode: the rate limiter above, standard retries (3 attempts,
/// `rand * min(2^(n-1), 20)` s backoff, a retry quota of 500 at 5 per retry) and no Retry-After.
struct AwsAdaptive {
    threads: usize,
    limiter: AwsRateLimiter,
    current: Vec<Option<(u32, u32)>>,
    quota: u32,
}

impl AwsAdaptive {
    fn new(threads: usize) -> Self {
        Self {
            threads,
            limiter: AwsRateLimiter::new(),
            current: vec![None; threads],
            quota: 500,
        }
    }

    fn try_send(&mut self, world: &mut World, thread: usize) {
        let Some((item, attempts)) = &mut self.current[thread] else {
            return;
        };
        match self.limiter.acquire(world.now().as_secs_f64()) {
            Ok(()) => {
                *attempts += 1;
                world.send(*item, thread as u64);
            }
            Err(wait) => {
                // At least a millisecond, so that rounding cannot wake it at the same instant forever.
                let at = world.now() + Duration::from_secs_f64(wait.clamp(0.001, 3600.0));
                world.wake_at(at, thread as u64);
            }
        }
    }

    fn next(&mut self, world: &mut World, thread: usize) {
        self.current[thread] = world.take_item().map(|item| (item, 0));
        self.try_send(world, thread);
    }
}

impl Client for AwsAdaptive {
    fn start(&mut self, world: &mut World) {
        for thread in 0..self.threads {
            self.next(world, thread);
        }
    }

    fn on_response(&mut self, world: &mut World, item: u32, tag: u64, response: Response) {
        let thread = tag as usize;
        let t = world.now().as_secs_f64();
        let status = response.status;
        self.limiter.on_response(t, status == 429);
        let attempts = self.current[thread].map_or(1, |(_, a)| a);
        if is_ok(status) {
            self.quota = (self.quota + if attempts > 1 { 5 } else { 1 }).min(500);
            world.done(item);
            return self.next(world, thread);
        }
        let retryable = status == 429 || (500..600).contains(&status);
        if retryable && attempts < 3 && self.quota >= 5 {
            self.quota -= 5;
            let ceiling = 2f64.powi(attempts as i32 - 1).min(20.0);
            let wait = world.rng.next_f64() * ceiling;
            world.wake_at(world.now() + Duration::from_secs_f64(wait), tag);
        } else {
            world.lose(item);
            self.next(world, thread);
        }
    }

    fn on_wake(&mut self, world: &mut World, tag: u64) {
        self.try_send(world, tag as usize);
    }
}

/// pacer: the real engine. Items wait in a queue; the pacer says when each may go.
struct PacerClient {
    pacer: Pacer,
    retry: RetryPolicy,
    route: Route,
    knowledge: ClientKnowledge,
    ready: VecDeque<u32>,
    delayed: BinaryHeap<Reverse<(Duration, u32)>>,
    attempts: Vec<Attempts>,
    permits: Vec<Option<Permit>>,
    free: Vec<usize>,
    next_wake: Option<Duration>,
}

impl PacerClient {
    fn new(knowledge: &ClientKnowledge) -> Self {
        let mut pacer = Pacer::new(PacerConfig::default());
        let token = pacer.scope("token");
        let endpoint = pacer.scope("PUT /api/v2/wfm/usersettings/{userId}/schedule");
        Self {
            pacer,
            retry: RetryPolicy::new(RetryConfig::default()),
            route: Route::new(token, Some(endpoint)),
            knowledge: knowledge.clone(),
            ready: VecDeque::new(),
            delayed: BinaryHeap::new(),
            attempts: Vec::new(),
            permits: Vec::new(),
            free: Vec::new(),
            next_wake: None,
        }
    }

    fn wake(&mut self, world: &mut World, at: Duration) {
        if self.next_wake.is_none_or(|w| w <= world.now() || at < w) {
            self.next_wake = Some(at);
            world.wake_at(at, 0);
        }
    }

    /// Sends everything the pacer allows now and sets a wake-up for the rest.
    fn pump(&mut self, world: &mut World) {
        let now = world.now();
        while let Some(Reverse((at, item))) = self.delayed.peek().copied() {
            if at > now {
                break;
            }
            self.delayed.pop();
            // Retries go first: they are the oldest work.
            self.ready.push_front(item);
        }
        // Fresh items are taken from the world only when there is room, so the queue stays short.
        loop {
            if self.ready.is_empty() {
                match world.take_item() {
                    Some(item) => self.ready.push_back(item),
                    None => break,
                }
            }
            match self.pacer.acquire(self.route, now) {
                Acquire::Send(permit) => {
                    let item = self.ready.pop_front().expect("an item is ready");
                    let slot = match self.free.pop() {
                        Some(slot) => {
                            self.permits[slot] = Some(permit);
                            slot
                        }
                        None => {
                            self.permits.push(Some(permit));
                            self.permits.len() - 1
                        }
                    };
                    world.send(item, slot as u64);
                }
                Acquire::Wait(at) => {
                    self.wake(world, at);
                    break;
                }
                Acquire::AtCapacity => break,
            }
        }
        if let Some(Reverse((at, _))) = self.delayed.peek().copied() {
            self.wake(world, at);
        }
    }
}

impl Client for PacerClient {
    fn start(&mut self, world: &mut World) {
        self.attempts = vec![Attempts::default(); world.items() as usize];
        let now = world.now();
        if let Some(declared) = &self.knowledge.declared {
            let spec = declared.spec().expect("validated scenario");
            let scope = match declared.scope {
                LayerScope::Token => self.route.token,
                LayerScope::Endpoint => self.route.endpoint.unwrap_or(self.route.token),
            };
            self.pacer.declare(scope, spec, now);
        }
        if let Some(org) = &self.knowledge.org_limit {
            let window = Duration::from_secs_f64(org.window_s);
            self.pacer
                .org_limit(self.route.token, org.limit, window, now);
        }
        self.pump(world);
    }

    fn on_response(&mut self, world: &mut World, item: u32, tag: u64, response: Response) {
        let now = world.now();
        let permit = self.permits[tag as usize]
            .take()
            .expect("a permit per request");
        self.free.push(tag as usize);
        let signals = signals_of(&response);
        self.pacer
            .complete(permit, now, Feedback::Response(&signals));
        let attempts = &mut self.attempts[item as usize];
        let verdict = self.retry.decide(
            attempts,
            Outcome::Status(response.status),
            Some(&signals),
            now,
            &mut world.rng,
        );
        match verdict {
            Verdict::Done => world.done(item),
            Verdict::Retry { not_before, .. } => {
                if not_before <= now {
                    self.ready.push_front(item);
                } else {
                    self.delayed.push(Reverse((not_before, item)));
                }
            }
            // The simulated server never answers 401 or 409; a real executor re-authenticates or
            // hands the item back. Here every other verdict ends the item unwritten.
            Verdict::Reauthenticate
            | Verdict::Conflict
            | Verdict::Fail { .. }
            | Verdict::Park { .. } => world.lose(item),
        }
        self.pump(world);
    }

    fn on_wake(&mut self, world: &mut World, _tag: u64) {
        if self.next_wake.is_some_and(|w| w <= world.now()) {
            self.next_wake = None;
        }
        self.pump(world);
    }
}
