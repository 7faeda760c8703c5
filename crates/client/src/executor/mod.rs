//! The executor: drives the sans-IO pacing engine over a stream of items, sending each through the
//! HTTP layer, retrying by the engine's policy, and telling an observer everything that happens.
//!
//! One driver loop owns the [`Pacer`] and the [`RetryPolicy`]. It asks the pacer for a permit per
//! send, spawns the request, and sleeps until the earliest of the pacer's absolute deadline, the
//! next retry's time, or a response. Requests run as tasks so that they overlap; decisions never do.
//! The observer hears of each send before it leaves (so a journal can mark it in flight durably),
//! and of each outcome; it receives events in batches, one batch per turn of the loop, so that a
//! journal can commit them in one transaction.
//!
//! The loop is `driver.rs`; what follows an answer is `settle.rs`; one request's task is
//! `request.rs`. Around them: `config.rs` and `job.rs` (what it is told), `events.rs` (what it
//! tells), `retry_queue.rs`, `planning.rs` (plan, ideal, live plan), `limits.rs` (the limits API),
//! `call.rs` (one workflow request), `shared.rs` (a budget shared with other runners) and
//! `source.rs` (where jobs come from).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use pacer_core::pacer::{Acquire, Pacer, Permit, Route, ScopeId};
use pacer_core::retry::RetryPolicy;
use pacer_core::rng::Rng;
use tokio::time::Instant;
use url::Url;

mod call;
mod config;
mod driver;
mod events;
mod job;
mod limits;
mod planning;
mod request;
mod retry_queue;
mod settle;
mod shared;
mod source;

pub use call::{Beside, Call, Called, Target};
pub use config::ExecutorConfig;
pub use events::{Event, Observer, Progress, RequestRecord, Summary};
pub use job::Job;
pub use shared::{Admission, SharedBudget, SharedFuture};
pub use source::{IterSource, JobSource, Next, Wake};

use crate::http::HttpClient;
use crate::token::TokenManager;

/// Drives the pacing engine over many items.
pub struct Executor {
    config: ExecutorConfig,
    http: HttpClient,
    tokens: TokenManager,
    api_base: String,
    /// The API base parsed once (or why it does not parse): each request's URL is this with its
    /// own path, so that the host is not parsed again for every request.
    base_url: std::result::Result<Url, String>,
    pacer: Pacer,
    token_scopes: Vec<ScopeId>,
    endpoint: ScopeId,
    /// The time origin of workflow calls (see [`Executor::call`]).
    origin: Instant,
    /// The retry policy and jitter of workflow calls.
    call_policy: RetryPolicy,
    call_rng: Rng,
    /// Every workflow call attempt not yet taken by the caller.
    call_records: Vec<RequestRecord>,
    /// A budget shared with other runners, consulted before each request leaves.
    shared: Option<Arc<dyn SharedBudget>>,
    /// Every limit the limits API listed (key, value), once read.
    listed_limits: Vec<(String, u64)>,
}

impl Executor {
    /// An executor sending to `api_base` (such as `https://api.mypurecloud.com`) with `tokens`.
    pub fn new(
        config: ExecutorConfig,
        http: HttpClient,
        tokens: TokenManager,
        api_base: impl Into<String>,
    ) -> Self {
        let mut pacer = Pacer::new(config.pacer.clone());
        let token_scopes: Vec<ScopeId> = (0..tokens.pool_size().max(1))
            .map(|index| pacer.scope(&format!("token:{index}")))
            .collect();
        let endpoint = pacer.scope(&config.endpoint_name());
        if let Some(spec) = config.declared {
            for scope in &token_scopes {
                pacer.declare(*scope, spec, Duration::ZERO);
            }
        }
        let api_base = api_base.into().trim_end_matches('/').to_string();
        let base_url = Url::parse(&api_base)
            .map_err(|e| e.to_string())
            .and_then(|url| {
                if url.cannot_be_a_base() {
                    Err("it cannot be a base".to_string())
                } else {
                    Ok(url)
                }
            });
        Self {
            call_policy: RetryPolicy::new(config.retry.clone()),
            call_rng: Rng::new(config.seed ^ 0xCA11),
            call_records: Vec::new(),
            origin: Instant::now(),
            config,
            http,
            tokens,
            api_base,
            base_url,
            pacer,
            token_scopes,
            endpoint,
            shared: None,
            listed_limits: Vec::new(),
        }
    }

    /// Every limit the limits API listed (key and value), after [`Executor::read_org_limits`].
    pub fn listed_limits(&self) -> &[(String, u64)] {
        &self.listed_limits
    }

    /// Makes every request of [`Executor::run`] wait for `budget`'s admission too, and tells it
    /// every answer.
    pub fn with_shared_budget(mut self, budget: Arc<dyn SharedBudget>) -> Self {
        self.shared = Some(budget);
        self
    }

    /// The HTTP client the requests go through.
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// The pacer, for planning before the run.
    pub fn pacer(&self) -> &Pacer {
        &self.pacer
    }

    /// The first token's scope, whose budget reports describe.
    pub fn token_scope(&self) -> ScopeId {
        self.token_scopes[0]
    }

    /// Sends every job of `jobs`, paced, until all are done or failed, `shutdown` resolves, or
    /// the run's time bound is reached. Requests in flight at a stop are let finish.
    pub async fn run<I, S>(&mut self, jobs: I, observer: &mut dyn Observer, shutdown: S) -> Summary
    where
        I: IntoIterator<Item = Job>,
        S: Future<Output = ()>,
    {
        let mut source = IterSource(jobs.into_iter());
        self.run_source(&mut source, observer, shutdown).await
    }

    /// Asks every token's budget in turn for a permit; returns the permit and the token's index,
    /// or the earliest moment one may be granted (`None` when only a response can free one).
    fn acquire(
        &mut self,
        next_token: &mut usize,
        now: Duration,
    ) -> std::result::Result<(Permit, usize), Option<Duration>> {
        let count = self.token_scopes.len();
        let mut earliest: Option<Duration> = None;
        for offset in 0..count {
            let index = (*next_token + offset) % count;
            let route = Route::new(self.token_scopes[index], Some(self.endpoint));
            match self.pacer.acquire(route, now) {
                Acquire::Send(permit) => {
                    *next_token = (index + 1) % count;
                    return Ok((permit, index));
                }
                Acquire::Wait(until) => {
                    earliest = Some(earliest.map_or(until, |e: Duration| e.min(until)))
                }
                Acquire::AtCapacity => {}
            }
        }
        Err(earliest)
    }
}
