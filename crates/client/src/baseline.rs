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

use crate::http::HttpClient;
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
    let requests = Arc::new(AtomicU64::new(0));
    let throttled = Arc::new(AtomicU64::new(0));
    let succeeded = Arc::new(AtomicU64::new(0));
    let lost = Arc::new(AtomicU64::new(0));
    let mut seeds = Rng::new(config.seed);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..config.threads.max(1) {
        let (queue, requests, throttled, succeeded, lost) = (
            queue.clone(),
            requests.clone(),
            throttled.clone(),
            succeeded.clone(),
            lost.clone(),
        );
        let (http, token, method) = (http.clone(), token.clone(), method.clone());
        let url_of = {
            let base = api_base.trim_end_matches('/').to_string();
            let template = path_template.to_string();
            move |user: &str| format!("{base}{}", template.replace("{userId}", user))
        };
        let mut rng = seeds.fork();
        let config = config.clone();
        workers.spawn(async move {
            loop {
                let Some(job) = queue.lock().await.next() else {
                    break;
                };
                let url = url_of(&job.user_id);
                let mut written = false;
                for attempt in 0..config.max_tries {
                    requests.fetch_add(1, Ordering::Relaxed);
                    match http
                        .send(method.clone(), &url, Some(job.body.clone()), Some(&token))
                        .await
                    {
                        Ok(response) if response.status == 429 => {
                            throttled.fetch_add(1, Ordering::Relaxed);
                            if attempt + 1 == config.max_tries {
                                break;
                            }
                            let wait = match config.wait {
                                Wait::RetryAfterJitter => {
                                    let retry_after = response
                                        .header("retry-after")
                                        .and_then(|v| v.trim().parse::<u64>().ok())
                                        .unwrap_or(config.default_retry_after);
                                    retry_after as f64 + rng.next_f64()
                                }
                                Wait::Exponential { base } => {
                                    base.as_secs_f64() * f64::from(1u32 << attempt.min(16))
                                }
                                Wait::Fixed(pause) => pause.as_secs_f64(),
                            };
                            let scaled = wait / config.time_scale.max(1e-6);
                            tokio::time::sleep(Duration::from_secs_f64(scaled)).await;
                        }
                        Ok(response) if (200..300).contains(&response.status) => {
                            written = true;
                            break;
                        }
                        // The snippets return any other answer to the caller, which moves on.
                        Ok(_) | Err(_) => break,
                    }
                }
                if written {
                    succeeded.fetch_add(1, Ordering::Relaxed);
                } else {
                    lost.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    while workers.join_next().await.is_some() {}
    Ok(BaselineSummary {
        elapsed: started.elapsed(),
        requests: requests.load(Ordering::Relaxed),
        throttled: throttled.load(Ordering::Relaxed),
        succeeded: succeeded.load(Ordering::Relaxed),
        lost: lost.load(Ordering::Relaxed),
    })
}
