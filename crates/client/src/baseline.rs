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

/// The emulator's exact wait beside Retry-After, in milliseconds (`pacer_emulator`'s
/// `EXACT_WAIT_HEADER`; the client does not depend on the emulator).
const EXACT_WAIT_HEADER: &str = "x-emulator-retry-after-ms";

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
    /// The script's own waits (its pauses, backoff, jitter and default Retry-After) are divided
    /// by this: against a server K times faster, whose Retry-After is already scaled, the script
    /// waits K times less, so that the ratios stay those of real time.
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
    /// When each item was written, in seconds from the start, in order.
    pub written_at: Vec<f64>,
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
        workers.spawn(worker.run(queue.clone(), started));
    }
    while workers.join_next().await.is_some() {}
    let mut written_at = std::mem::take(&mut *tally.written_at.lock().await);
    written_at.sort_by(f64::total_cmp);
    Ok(BaselineSummary {
        elapsed: started.elapsed(),
        requests: tally.requests.load(Ordering::Relaxed),
        throttled: tally.throttled.load(Ordering::Relaxed),
        succeeded: tally.succeeded.load(Ordering::Relaxed),
        lost: tally.lost.load(Ordering::Relaxed),
        written_at,
    })
}

/// The counts every worker adds to.
#[derive(Default)]
struct Tally {
    requests: AtomicU64,
    throttled: AtomicU64,
    succeeded: AtomicU64,
    lost: AtomicU64,
    written_at: Mutex<Vec<f64>>,
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
    async fn run(mut self, queue: Arc<Mutex<std::vec::IntoIter<Job>>>, started: Instant) {
        loop {
            let Some(job) = queue.lock().await.next() else {
                break;
            };
            if self.write(&job).await {
                self.tally.succeeded.fetch_add(1, Ordering::Relaxed);
                let at = started.elapsed().as_secs_f64();
                self.tally.written_at.lock().await.push(at);
            } else {
                self.tally.lost.fetch_add(1, Ordering::Relaxed);
            }
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
                    tokio::time::sleep(Duration::from_secs_f64(wait)).await;
                }
                Ok(response) if (200..300).contains(&response.status) => return true,
                // The snippets return any other answer to the caller, which moves on.
                Ok(_) | Err(_) => return false,
            }
        }
        false
    }

    /// The wait after a 429, in seconds: the server's Retry-After as it says it (a faster
    /// server already scales it), the script's own part divided by `time_scale`.
    fn wait_after_429(&mut self, response: &Response, attempt: u32) -> f64 {
        let scale = self.config.time_scale.max(1e-6);
        match self.config.wait {
            Wait::RetryAfterJitter => {
                let said = response
                    .header("retry-after")
                    .and_then(|v| v.trim().parse::<u64>().ok());
                let exact_ms = response
                    .header(EXACT_WAIT_HEADER)
                    .and_then(|v| v.trim().parse::<u64>().ok());
                let retry_after = match (said, exact_ms) {
                    // Against the emulator at K times real time: the whole seconds real time's
                    // Retry-After would have said, K times shorter.
                    (Some(_), Some(ms)) if scale > 1.0 => {
                        (ms as f64 / 1000.0 * scale).ceil().max(1.0) / scale
                    }
                    (Some(secs), _) => secs as f64,
                    (None, _) => self.config.default_retry_after as f64 / scale,
                };
                retry_after + self.rng.next_f64() / scale
            }
            Wait::Exponential { base } => {
                base.as_secs_f64() * f64::from(1u32 << attempt.min(16)) / scale
            }
            Wait::Fixed(pause) => pause.as_secs_f64() / scale,
        }
    }
}
