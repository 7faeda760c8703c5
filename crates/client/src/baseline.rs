//! The thread's approach, as a baseline to compare pacer with: many threads, each retrying on a
//! 429 after the Retry-After plus a random second, giving up after a few tries.
//!
//! This is what the snippets of the seed thread do when pasted into a JMeter or Python script:
//! `time.sleep(retry_after + random.uniform(0, 1))` around a loop of at most `max_retries` tries.
//! The other usual ways to wait ([`Wait`]) are here too, for `pacer compare`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use http::Method;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::bearer::BearerToken;
use crate::http::{HttpClient, Response};
use crate::token::TokenManager;
use crate::{Job, Result};
use pacer_core::rng::Rng;

/// How the baseline runs.
#[derive(Debug, Clone)]
pub struct BaselineConfig {
    /// Concurrent workers (JMeter threads).
    pub threads: usize,
    /// Tries per item before it is given up (and lost).
    pub max_tries: u32,
    /// The wait when a 429 has no Retry-After, in seconds (the snippet's default of 5).
    pub default_retry_after: u64,
    /// Seeds the jitter.
    pub seed: u64,
    /// How a worker waits after a 429.
    pub wait: Wait,
    /// Every wait is divided by this: a comparison run against limits K times faster waits K
    /// times less, so that the ratios stay those of real time.
    pub time_scale: f64,
}

/// How the usual scripts wait after a 429.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Wait {
    /// The Retry-After (or the default) plus a random second: the thread's snippet.
    RetryAfterJitter,
    /// `base x 2^n` for the n-th retry, whatever the server says.
    Exponential { base: Duration },
    /// The same pause every time.
    Fixed(Duration),
}

impl Default for BaselineConfig {
    fn default() -> Self {
        Self {
            threads: 50,
            max_tries: 5,
            default_retry_after: 5,
            seed: 1,
            wait: Wait::RetryAfterJitter,
            time_scale: 1.0,
        }
    }
}

/// What the baseline did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BaselineSummary {
    pub elapsed: Duration,
    pub requests: u64,
    pub throttled: u64,
    pub succeeded: u64,
    /// Items given up after `max_tries`, or failed on another error: never written.
    pub lost: u64,
}

/// Runs the baseline over `jobs` with token 0 of `tokens`, sending `method` to
/// `api_base + path_template` (with `{userId}` replaced).
pub async fn thread_approach(
    http: HttpClient,
    tokens: TokenManager,
    api_base: &str,
    method: Method,
    path_template: &str,
    jobs: Vec<Job>,
    config: BaselineConfig,
) -> Result<BaselineSummary> {
    let token = tokens.get(0).await?;
    let started = Instant::now();
    let queue = Arc::new(Mutex::new(jobs.into_iter()));
    let tally = Arc::new(Tally::default());
    let mut seeds = Rng::new(config.seed);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..config.threads.max(1) {
        let worker = Worker {
            http: http.clone(),
            token: token.clone(),
            method: method.clone(),
            base: api_base.trim_end_matches('/').to_string(),
            template: path_template.to_string(),
            rng: seeds.fork(),
            config: config.clone(),
            tally: tally.clone(),
        };
        workers.spawn(worker.run(queue.clone()));
    }
    while workers.join_next().await.is_some() {}
    Ok(BaselineSummary {
        elapsed: started.elapsed(),
        requests: tally.requests.load(Ordering::Relaxed),
        throttled: tally.throttled.load(Ordering::Relaxed),
        succeeded: tally.succeeded.load(Ordering::Relaxed),
        lost: tally.lost.load(Ordering::Relaxed),
    })
}

/// The counts every worker adds to.
#[derive(Default)]
struct Tally {
    requests: AtomicU64,
    throttled: AtomicU64,
    succeeded: AtomicU64,
    lost: AtomicU64,
}

/// One JMeter thread: takes the next job until there is none, and tries each a few times.
struct Worker {
    http: HttpClient,
    token: BearerToken,
    method: Method,
    base: String,
    template: String,
    rng: Rng,
    config: BaselineConfig,
    tally: Arc<Tally>,
}

impl Worker {
    async fn run(mut self, queue: Arc<Mutex<std::vec::IntoIter<Job>>>) {
        loop {
            let Some(job) = queue.lock().await.next() else {
                break;
            };
            let counter = if self.write(&job).await {
                &self.tally.succeeded
            } else {
                &self.tally.lost
            };
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Whether the job was written within `max_tries`, waiting after each 429 as configured.
    async fn write(&mut self, job: &Job) -> bool {
        let url = format!(
            "{}{}",
            self.base,
            self.template.replace("{userId}", &job.user_id)
        );
        for attempt in 0..self.config.max_tries {
            self.tally.requests.fetch_add(1, Ordering::Relaxed);
            match self
                .http
                .send(
                    self.method.clone(),
                    &url,
                    Some(job.body.clone()),
                    Some(&self.token),
                )
                .await
            {
                Ok(response) if response.status == 429 => {
                    self.tally.throttled.fetch_add(1, Ordering::Relaxed);
                    if attempt + 1 == self.config.max_tries {
                        return false;
                    }
                    let wait = self.wait_after_429(&response, attempt);
                    let scaled = wait / self.config.time_scale.max(1e-6);
                    tokio::time::sleep(Duration::from_secs_f64(scaled)).await;
                }
                Ok(response) if (200..300).contains(&response.status) => return true,
                // The snippets return any other answer to the caller, which moves on.
                Ok(_) | Err(_) => return false,
            }
        }
        false
    }

    /// The wait after a 429, in seconds of real time.
    fn wait_after_429(&mut self, response: &Response, attempt: u32) -> f64 {
        match self.config.wait {
            Wait::RetryAfterJitter => {
                let retry_after = response
                    .header("retry-after")
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .unwrap_or(self.config.default_retry_after);
                retry_after as f64 + self.rng.next_f64()
            }
            Wait::Exponential { base } => base.as_secs_f64() * f64::from(1u32 << attempt.min(16)),
            Wait::Fixed(pause) => pause.as_secs_f64(),
        }
    }
}
