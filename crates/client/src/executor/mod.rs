//! The executor: drives the sans-IO pacing engine over a stream of items, sending each through the
//! HTTP layer, retrying by the engine's policy, and telling an observer everything that happens.
//!
//! One driver loop owns the [`Pacer`] and the [`RetryPolicy`]. It asks the pacer for a permit per
//! send, spawns the request, and sleeps until the earliest of the pacer's absolute deadline, the
//! next retry's time, or a response. Requests run as tasks so that they overlap; decisions never do.
//! The observer hears of each send before it leaves (so a journal can mark it in flight durably),
//! and of each outcome; it receives events in batches, one batch per turn of the loop, so that a
//! journal can commit them in one transaction.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::future::Future;
use std::time::{Duration, SystemTime};

use http::Method;
use pacer_core::limiter::LimitSpec;
use pacer_core::pacer::{
    Acquire, BudgetView, Feedback, Pacer, PacerConfig, Permit, Route, ScopeId, Source,
};
use pacer_core::planner::{self, Constraint, Plan};
use pacer_core::retry::{Attempts, Outcome, RetryConfig, RetryPolicy, Verdict};
use pacer_core::rng::Rng;
use pacer_core::signals::{ParseContext, Signals, parse};
use tokio::task::JoinSet;
use tokio::time::Instant;
use url::Url;

mod call;
mod shared;
mod source;

pub use call::{Call, Called, Target};
pub use shared::{Admission, SharedBudget, SharedFuture};
pub use source::{IterSource, JobSource, Next, Wake};

use crate::error::Result;
use crate::http::{HttpClient, Response};
use crate::token::{BearerToken, TokenManager};

/// One unit of work: a request for one agent.
#[derive(Debug, Clone)]
pub struct Job {
    /// The input line it came from, which identifies it in the journal.
    pub line: u64,
    /// The agent, substituted for `{userId}` in the path.
    pub user_id: String,
    /// The request body, shared by every attempt without a copy.
    pub body: bytes::Bytes,
}

/// How the executor runs.
#[derive(Debug, Clone)]
pub struct ExecutorConfig {
    /// The HTTP method of every request.
    pub method: Method,
    /// The request path with `{userId}`, e.g. `/api/v2/wfm/usersettings/{userId}/schedule`.
    pub path_template: String,
    /// The pacer's settings.
    pub pacer: PacerConfig,
    /// The retry policy's settings.
    pub retry: RetryConfig,
    /// A limit per token that the user declared, which outranks anything learned.
    pub declared: Option<LimitSpec>,
    /// Seeds the jitter, so that a run's retry timing can be replayed.
    pub seed: u64,
    /// The longest the whole run may take before the executor stops sending (a safety bound).
    pub max_run_time: Duration,
    /// Items the run is expected to send, for the live plan (ETA and deadline).
    pub expected_items: Option<u64>,
    /// The time the run must finish in, from its start, for the live plan.
    pub deadline: Option<Duration>,
}

impl ExecutorConfig {
    /// A configuration with the engine's defaults for `method` and `path_template`.
    pub fn new(method: Method, path_template: impl Into<String>) -> Self {
        Self {
            method,
            path_template: path_template.into(),
            pacer: PacerConfig::default(),
            retry: RetryConfig::default(),
            declared: None,
            seed: 0x7061_6365,
            max_run_time: Duration::from_secs(24 * 3600),
            expected_items: None,
            deadline: None,
        }
    }

    /// The pacer's name for the endpoint scope, such as `PUT /api/v2/users/{userId}`.
    fn endpoint_name(&self) -> String {
        format!("{} {}", self.method, self.path_template)
    }
}

/// What the executor tells its observer.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A request for `line` is about to leave; record it before it does.
    Sending {
        line: u64,
        /// 1 for the first attempt.
        attempt: u32,
    },
    /// A request ended, with or without an answer: one JTL line.
    Request(RequestRecord),
    /// The item is done.
    Done {
        line: u64,
        status: u16,
        correlation_id: Option<String>,
        attempts: u32,
    },
    /// The item failed for good, or was parked because the server asked for too long a wait.
    Failed {
        line: u64,
        status: Option<u16>,
        reason: String,
        attempts: u32,
    },
}

/// One request as JMeter's result format records it.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestRecord {
    /// The input line of the item.
    pub line: u64,
    /// When the request left, in milliseconds since the Unix epoch.
    pub started_unix_ms: u64,
    /// Until the response headers arrived (or the transport failed).
    pub latency: Duration,
    /// Until the body was read.
    pub elapsed: Duration,
    /// The HTTP status, or `None` when no answer came.
    pub status: Option<u16>,
    /// The transport failure, when no answer came.
    pub error: Option<String>,
    /// The transport failure's kind (`timeout`, `connection_reset`, ...), when no answer came.
    pub error_kind: Option<&'static str>,
    /// The full URL.
    pub url: String,
    /// Bytes received (body only).
    pub bytes_received: u64,
    /// Bytes sent (body only).
    pub bytes_sent: u64,
    /// Requests in flight when this one left, this one included.
    pub in_flight: u32,
    /// Which token of the pool carried it.
    pub token_index: usize,
    /// A workflow call's endpoint name (see [`Call`]); `None` for a run's items.
    pub label: Option<&'static str>,
}

/// Receives the executor's events, in batches.
pub trait Observer {
    /// Takes one batch of events. An error stops the run: no further request is sent.
    fn events(
        &mut self,
        events: &[Event],
    ) -> std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>;

    /// Sees the progress after each batch; the default ignores it.
    fn progress(&mut self, _progress: &Progress) {}

    /// Why the run should stop sending now (most items failing alike, say); asked after each
    /// batch of events. The default never stops.
    fn stop_reason(&mut self) -> Option<String> {
        None
    }
}

/// Counts of a run so far.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Progress {
    /// Items handed to the executor so far.
    pub items_started: u64,
    /// Items done.
    pub succeeded: u64,
    /// Items failed or parked.
    pub failed: u64,
    /// Requests sent.
    pub requests: u64,
    /// Responses by status.
    pub responses_by_status: BTreeMap<u16, u64>,
    /// Requests that got no answer.
    pub transport_errors: u64,
    /// 429 answers.
    pub throttled: u64,
    /// Requests that were retries.
    pub retries: u64,
    /// Requests in flight now.
    pub in_flight: u32,
    /// Time since the run started.
    pub elapsed: Duration,
    /// What the pacer believes of the first token's budget.
    pub budget: Option<BudgetView>,
    /// Whether the input is exhausted (every item has been started).
    pub input_done: bool,
    /// The live plan for the items left, when the run knows how many to expect.
    pub plan: Option<Plan>,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// The final counts.
    pub progress: Progress,
    /// Whether the run stopped early (shutdown asked, or the run's time bound reached): the items
    /// not started are still pending.
    pub interrupted: bool,
    /// Whether the observer failed, which stopped the run.
    pub observer_error: Option<String>,
    /// Why the observer stopped the run early, when it did: the items not sent stay pending.
    pub stopped_early: Option<String>,
}

/// An item between attempts.
#[derive(Debug)]
struct Work {
    job: Job,
    attempts: Attempts,
}

/// What a request task returns to the driver.
struct Finished {
    work: Work,
    permit: Permit,
    token: Option<BearerToken>,
    result: Result<Response>,
    record: RequestRecord,
}

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
    shared: Option<std::sync::Arc<dyn SharedBudget>>,
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
    pub fn with_shared_budget(mut self, budget: std::sync::Arc<dyn SharedBudget>) -> Self {
        self.shared = Some(budget);
        self
    }

    /// The pacer, for planning before the run.
    pub fn pacer(&self) -> &Pacer {
        &self.pacer
    }

    /// The first token's scope, whose budget reports describe.
    pub fn token_scope(&self) -> ScopeId {
        self.token_scopes[0]
    }

    /// Plans `items` sends from `now` (time since the run's start) with what the pacer knows, the
    /// items spread over the token pool; `observed_rate` is the throughput so far, in items a second.
    pub fn plan(
        &self,
        items: u64,
        now: Duration,
        observed_rate: Option<f64>,
        deadline: Option<Duration>,
    ) -> Plan {
        let per_token = items.div_ceil(self.token_scopes.len() as u64);
        let route = Route::new(self.token_scopes[0], Some(self.endpoint));
        let latency =
            Duration::from_secs_f64(self.pacer.view(self.token_scopes[0], now).latency.max(0.0));
        let mut plan = self
            .pacer
            .plan(route, per_token, now, observed_rate, deadline);
        plan.earliest_finish = plan.earliest_finish.max(now + latency);
        plan
    }

    /// The server's earliest possible time for `items` sends from a whole budget, under the limit
    /// the pacer knows or learned (declared, reported or advertised); `None` while it is unknown.
    pub fn ideal(&self, items: u64, now: Duration) -> Option<Duration> {
        let per_token = items.div_ceil(self.token_scopes.len() as u64);
        let mut worst: Option<Duration> = None;
        for scope in [self.token_scopes[0], self.endpoint] {
            let view = self.pacer.view(scope, now);
            let Some(source) = view.source else { continue };
            if source == Source::Discovered {
                return None;
            }
            let constraint = Constraint {
                scope: String::new(),
                source: Some(source),
                available_now: match view.window {
                    Some((limit, _)) if !view.rate.is_finite() => u64::from(limit),
                    _ => u64::from(view.burst),
                },
                rate: view.rate,
                window: view.window,
                window_next_free: Duration::ZERO,
                gate_until: Duration::ZERO,
            };
            let need = planner::plan(
                &[constraint],
                per_token,
                Duration::ZERO,
                Duration::ZERO,
                None,
                None,
            )
            .earliest_finish;
            worst = Some(worst.map_or(need, |w| w.max(need)));
        }
        worst
    }

    /// Reads the organization's per-token limit from the limits API, if the API serves it, and
    /// gives it to the pacer. Returns the limit found. A refusal or an unknown route is not an
    /// error: the pacer then learns the limit from the responses.
    pub async fn read_org_limits(&mut self) -> Result<Option<u32>> {
        let token = self.tokens.get(0).await?;
        let url = format!(
            "{}/api/v2/organizations/limits/namespaces/platform.api",
            self.api_base
        );
        // The request counts against the token's budget like any other, and its answer may carry
        // rate-limit headers: it goes through the pacer.
        let permit = match self
            .pacer
            .acquire(Route::new(self.token_scopes[0], None), Duration::ZERO)
        {
            Acquire::Send(permit) => permit,
            Acquire::Wait(_) | Acquire::AtCapacity => return Ok(None),
        };
        let response = match self.http.send(Method::GET, &url, None, Some(&token)).await {
            Ok(response) => response,
            Err(err) => {
                self.pacer
                    .complete(permit, Duration::ZERO, Feedback::TransportError);
                return match err.transport_kind() {
                    Some(_) => Ok(None),
                    None => Err(err),
                };
            }
        };
        let signals = signals_of(&response);
        let limits = (response.status == 200)
            .then(|| serde_json::from_slice::<pacer_genesys::OrgLimits>(&response.body).ok())
            .flatten();
        if let Some(limits) = &limits {
            self.listed_limits = limits
                .entities
                .iter()
                .map(|e| (e.key.clone(), e.value))
                .collect();
        }
        let value = limits
            .and_then(|limits| limits.value_of("client.credentials.token.rate.per.minute"))
            .and_then(|v| u32::try_from(v).ok())
            .filter(|v| *v > 0);
        if let Some(value) = value {
            for scope in &self.token_scopes {
                self.pacer
                    .org_limit(*scope, value, Duration::from_secs(60), Duration::ZERO);
            }
        }
        // After the count is known, the headers (if any) refine its shape.
        self.pacer
            .complete(permit, Duration::ZERO, Feedback::Response(&signals));
        Ok(value)
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

    /// Like [`Executor::run`], pulling jobs from `source`, which may have none for a while.
    pub async fn run_source<S>(
        &mut self,
        jobs: &mut dyn JobSource,
        observer: &mut dyn Observer,
        shutdown: S,
    ) -> Summary
    where
        S: Future<Output = ()>,
    {
        let start = Instant::now();
        let mut source_later = false;
        let mut input_done = false;
        let mut policy = RetryPolicy::new(self.config.retry.clone());
        let mut rng = Rng::new(self.config.seed);
        let mut retries = RetryQueue::default();
        let mut held: Option<Work> = None;
        let mut tasks: JoinSet<Finished> = JoinSet::new();
        let mut progress = Progress::default();
        let mut events: Vec<Event> = Vec::new();
        let mut stopping = false;
        let mut interrupted = false;
        let mut observer_error = None;
        let mut stopped_early = None;
        let mut next_token = 0usize;
        let mut last_plan: Option<Duration> = None;
        let deadline = start + self.config.max_run_time;
        tokio::pin!(shutdown);

        loop {
            let now = start.elapsed();
            if Instant::now() >= deadline && !stopping {
                stopping = true;
                interrupted = true;
            }
            // Fill: hand out every permit the pacer grants now.
            let mut wake: Option<Duration> = None;
            let mut launches: Vec<(Work, Permit, usize)> = Vec::new();
            if !stopping {
                loop {
                    let work = if let Some(work) = held.take() {
                        work
                    } else if let Some(work) = retries.pop_due(now) {
                        work
                    } else if let Some(job) =
                        next_job(jobs, &mut input_done, &mut source_later, &mut progress)
                    {
                        Work {
                            job,
                            attempts: Attempts::default(),
                        }
                    } else {
                        wake = retries.next_at();
                        break;
                    };
                    match self.acquire(&mut next_token, now) {
                        Ok((permit, index)) => {
                            events.push(Event::Sending {
                                line: work.job.line,
                                attempt: work.attempts.total + 1,
                            });
                            launches.push((work, permit, index));
                        }
                        Err(until) => {
                            held = Some(work);
                            wake = match (wake, until) {
                                (Some(a), Some(b)) => Some(a.min(b)),
                                (a, b) => a.or(b),
                            };
                            break;
                        }
                    }
                }
            }
            if !events.is_empty() {
                if let Err(err) = observer.events(&events) {
                    observer_error.get_or_insert(err.to_string());
                    stopping = true;
                    interrupted = true;
                    // Nothing of this batch was recorded, so nothing of it is sent.
                    for (_, permit, _) in launches.drain(..) {
                        self.pacer.complete(permit, now, Feedback::Cancelled);
                    }
                }
                events.clear();
                if let Some(reason) = observer.stop_reason().filter(|_| !stopping) {
                    stopped_early = Some(reason);
                    stopping = true;
                }
            }
            for (work, permit, index) in launches {
                if work.attempts.total > 0 {
                    progress.retries += 1;
                }
                progress.requests += 1;
                progress.in_flight += 1;
                let in_flight = progress.in_flight;
                let http = self.http.clone();
                let tokens = self.tokens.clone();
                let shared = self.shared.clone();
                let method = self.config.method.clone();
                let url = match &self.base_url {
                    Ok(base) => Ok(request_url(
                        base,
                        &self.config.path_template,
                        &work.job.user_id,
                    )),
                    Err(reason) => Err(crate::Error::BadUrl {
                        url: self.api_base.clone(),
                        reason: reason.clone(),
                    }),
                };
                let text = match &url {
                    Ok(url) => url.as_str().to_owned(),
                    Err(_) => self.api_base.clone(),
                };
                tasks.spawn(async move {
                    if let Some(shared) = &shared {
                        shared::admitted(shared.as_ref(), deadline).await;
                    }
                    let started_unix_ms = unix_ms(SystemTime::now());
                    let begun = Instant::now();
                    let token = tokens.get(index).await;
                    let (token, result) = match (token, url) {
                        (Ok(token), Ok(url)) => {
                            let body = Some(work.job.body.clone());
                            pacer_crashpoint::hit("request");
                            let result = http.send_url(method, url, body, Some(&token)).await;
                            (Some(token), result)
                        }
                        (Ok(token), Err(err)) => (Some(token), Err(err)),
                        (Err(err), _) => (None, Err(err)),
                    };
                    let record = request_record(
                        &work,
                        text,
                        started_unix_ms,
                        begun,
                        &result,
                        in_flight,
                        index,
                    );
                    Finished {
                        work,
                        permit,
                        token,
                        result,
                        record,
                    }
                });
            }
            progress.elapsed = start.elapsed();
            progress.input_done = input_done;
            progress.budget = Some(self.pacer.view(self.token_scopes[0], now));
            if last_plan.is_none_or(|at: Duration| now.saturating_sub(at) >= PLAN_EVERY) {
                last_plan = Some(now);
                progress.plan = self.live_plan(&progress, now);
            }
            observer.progress(&progress);

            if tasks.is_empty()
                && (stopping || (input_done && held.is_none() && retries.is_empty()))
            {
                if stopping && (held.is_some() || !retries.is_empty() || !input_done) {
                    interrupted = true;
                }
                break;
            }

            // Wait for a response, the pacer's next moment, the next retry, or a stop.
            let sleep_until = wake.map(|at| start + at).unwrap_or(deadline).min(deadline);
            tokio::select! {
                biased;
                joined = tasks.join_next(), if !tasks.is_empty() => {
                    // Every response that is already in is settled in this turn, so that under
                    // load the journal commits many outcomes in one transaction.
                    let mut next = joined;
                    while let Some(joined) = next {
                        let finished = match joined {
                            Ok(finished) => finished,
                            Err(err) => std::panic::resume_unwind(err.into_panic()),
                        };
                        progress.in_flight -= 1;
                        let now = start.elapsed();
                        self.settle(finished, now, &mut policy, &mut rng, &mut progress, &mut events, &mut retries, stopping).await;
                        next = tasks.try_join_next();
                    }
                }
                _ = tokio::time::sleep_until(sleep_until), if !stopping => {}
                _ = jobs.changed(), if source_later && !stopping && held.is_none() => {}
                _ = &mut shutdown, if !stopping => {
                    stopping = true;
                    interrupted = true;
                }
            }
            // The outcomes settled here are recorded at the top of the next turn, in the same
            // transaction as the sends that turn starts: one commit per turn.
        }
        progress.elapsed = start.elapsed();
        progress.input_done = input_done;
        progress.budget = Some(self.pacer.view(self.token_scopes[0], start.elapsed()));
        progress.plan = self.live_plan(&progress, start.elapsed());
        observer.progress(&progress);
        Summary {
            progress,
            interrupted,
            observer_error,
            stopped_early,
        }
    }

    /// The plan for the items left, from the counts so far.
    fn live_plan(&self, progress: &Progress, now: Duration) -> Option<Plan> {
        let expected = self.config.expected_items?;
        let finished = progress.succeeded + progress.failed;
        let left = expected.saturating_sub(finished);
        let secs = now.as_secs_f64();
        let observed = (secs >= 2.0 && finished > 0).then(|| finished as f64 / secs);
        Some(self.plan(left, now, observed, self.config.deadline))
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

    /// Feeds one finished request to the pacer and the retry policy, and queues what follows.
    #[allow(clippy::too_many_arguments)]
    async fn settle(
        &mut self,
        finished: Finished,
        now: Duration,
        policy: &mut RetryPolicy,
        rng: &mut Rng,
        progress: &mut Progress,
        events: &mut Vec<Event>,
        retries: &mut RetryQueue,
        stopping: bool,
    ) {
        let Finished {
            mut work,
            permit,
            token,
            result,
            record,
        } = finished;
        events.push(Event::Request(record));
        let (outcome, signals, status, correlation_id): (
            Outcome,
            Option<Signals>,
            Option<u16>,
            Option<String>,
        ) = match &result {
            Ok(response) => {
                *progress
                    .responses_by_status
                    .entry(response.status)
                    .or_default() += 1;
                if response.status == 429 {
                    progress.throttled += 1;
                }
                let signals = signals_of(response);
                if let Some(shared) = &self.shared {
                    shared.observe(response.status, &signals);
                }
                self.pacer
                    .complete(permit, now, Feedback::Response(&signals));
                (
                    response.outcome(),
                    Some(signals),
                    Some(response.status),
                    response.correlation_id.clone(),
                )
            }
            Err(err) => match err.transport_kind() {
                Some(kind) => {
                    progress.transport_errors += 1;
                    self.pacer.complete(permit, now, Feedback::TransportError);
                    (kind.outcome(), None, None, None)
                }
                None => {
                    // No request left (the token could not be had): the item fails with the reason.
                    self.pacer.complete(permit, now, Feedback::Cancelled);
                    progress.failed += 1;
                    events.push(Event::Failed {
                        line: work.job.line,
                        status: None,
                        reason: err.to_string(),
                        attempts: work.attempts.total + 1,
                    });
                    return;
                }
            },
        };
        let verdict = policy.decide(&mut work.attempts, outcome, signals.as_ref(), now, rng);
        let line = work.job.line;
        let attempts = work.attempts.total;
        match verdict {
            Verdict::Done => {
                progress.succeeded += 1;
                events.push(Event::Done {
                    line,
                    status: status.unwrap_or(200),
                    correlation_id,
                    attempts,
                });
            }
            Verdict::Retry { not_before, .. } if !stopping => {
                retries.push(not_before, work);
            }
            Verdict::Reauthenticate if !stopping => {
                let renewed = match &token {
                    Some(stale) => self.tokens.after_unauthorized(stale).await.map(|_| ()),
                    None => Ok(()),
                };
                match renewed {
                    Ok(()) => retries.push(now, work),
                    Err(err) => {
                        progress.failed += 1;
                        events.push(Event::Failed {
                            line,
                            status,
                            reason: err.to_string(),
                            attempts,
                        });
                    }
                }
            }
            Verdict::Retry { .. } | Verdict::Reauthenticate => {
                // Stopping: the item stays pending in the journal and is sent by the next run.
            }
            Verdict::Conflict => {
                progress.failed += 1;
                events.push(Event::Failed {
                    line,
                    status,
                    reason: "409 conflict: the server's copy changed; re-read it and run again"
                        .into(),
                    attempts,
                });
            }
            Verdict::Fail { reason } => {
                progress.failed += 1;
                events.push(Event::Failed {
                    line,
                    status,
                    reason,
                    attempts,
                });
            }
            Verdict::Park { reason, .. } => {
                progress.failed += 1;
                events.push(Event::Failed {
                    line,
                    status,
                    reason: format!("parked: {reason}"),
                    attempts,
                });
            }
        }
    }
}

/// How often the live plan is recomputed.
const PLAN_EVERY: Duration = Duration::from_millis(250);

/// Items waiting to be retried, earliest first (in arrival order among equals).
#[derive(Default)]
struct RetryQueue {
    heap: BinaryHeap<Reverse<Queued>>,
    next_seq: u64,
}

struct Queued {
    at: Duration,
    seq: u64,
    work: Work,
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl Eq for Queued {}

impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Queued {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

impl RetryQueue {
    fn push(&mut self, at: Duration, work: Work) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Reverse(Queued { at, seq, work }));
    }

    /// When the earliest retry is due.
    fn next_at(&self) -> Option<Duration> {
        self.heap.peek().map(|Reverse(queued)| queued.at)
    }

    /// Takes the earliest retry if it is due at `now`.
    fn pop_due(&mut self, now: Duration) -> Option<Work> {
        if self.next_at()? <= now {
            self.heap.pop().map(|Reverse(queued)| queued.work)
        } else {
            None
        }
    }

    fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

fn next_job(
    jobs: &mut dyn JobSource,
    input_done: &mut bool,
    later: &mut bool,
    progress: &mut Progress,
) -> Option<Job> {
    *later = false;
    if *input_done {
        return None;
    }
    match jobs.next() {
        Next::Job(job) => {
            progress.items_started += 1;
            Some(job)
        }
        Next::Later => {
            *later = true;
            None
        }
        Next::Done => {
            *input_done = true;
            None
        }
    }
}

/// The full URL of `user_id`'s request: `base`, then `template` with every `{userId}` replaced by
/// it. Only the path (and a query, when the template has one) is parsed, not the whole URL.
fn request_url(base: &Url, template: &str, user_id: &str) -> Url {
    let prefix = base.path().trim_end_matches('/');
    let mut path = String::with_capacity(prefix.len() + template.len() + user_id.len());
    path.push_str(prefix);
    let mut rest = template;
    while let Some(at) = rest.find("{userId}") {
        path.push_str(&rest[..at]);
        path.push_str(user_id);
        rest = &rest[at + "{userId}".len()..];
    }
    path.push_str(rest);
    let mut url = base.clone();
    match path.split_once('?') {
        Some((path, query)) => {
            url.set_path(path);
            url.set_query(Some(query));
        }
        None => {
            url.set_path(&path);
            url.set_query(None);
        }
    }
    url
}

fn request_record(
    work: &Work,
    url: String,
    started_unix_ms: u64,
    begun: Instant,
    result: &Result<Response>,
    in_flight: u32,
    token_index: usize,
) -> RequestRecord {
    let (status, error, latency, elapsed, bytes_received) = match result {
        Ok(response) => (
            Some(response.status),
            None,
            response.latency,
            response.elapsed,
            response.body.len() as u64,
        ),
        Err(err) => {
            let elapsed = begun.elapsed();
            (None, Some(err), elapsed, elapsed, 0)
        }
    };
    let error_kind = error.map(|err| err.transport_kind().map_or("error", |kind| kind.as_str()));
    let error = error.map(|err| err.to_string());
    RequestRecord {
        line: work.job.line,
        started_unix_ms,
        latency,
        elapsed,
        status,
        error,
        error_kind,
        url,
        bytes_received,
        bytes_sent: work.job.body.len() as u64,
        in_flight,
        token_index,
        label: None,
    }
}

/// Every rate-limit signal of a response.
fn signals_of(response: &Response) -> Signals {
    let headers: Vec<(&[u8], &[u8])> = response
        .headers
        .iter()
        .map(|(name, value)| (name.as_str().as_bytes(), value.as_bytes()))
        .collect();
    parse(
        response.status,
        &headers,
        &response.body,
        ParseContext {
            now: Some(SystemTime::now()),
        },
    )
}

fn unix_ms(at: SystemTime) -> u64 {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_urls_replace_every_user_id_placeholder() {
        let url = |base: &str, template: &str, user: &str| {
            request_url(&Url::parse(base).unwrap(), template, user).to_string()
        };
        assert_eq!(
            url("http://h:1", "/api/v2/users/{userId}/x/{userId}", "ab"),
            "http://h:1/api/v2/users/ab/x/ab"
        );
        assert_eq!(
            url(
                "http://h:1",
                "/api/v2/wfm/usersettings/{userId}/schedule",
                "u"
            ),
            "http://h:1/api/v2/wfm/usersettings/u/schedule"
        );
        assert_eq!(
            url("http://h", "/no/placeholder", "u"),
            "http://h/no/placeholder"
        );
        // A base with a path keeps it; a query in the template stays a query.
        assert_eq!(
            url(
                "https://proxy.example/genesys/",
                "/api/v2/users/{userId}?expand=x",
                "u 1"
            ),
            "https://proxy.example/genesys/api/v2/users/u%201?expand=x"
        );
        // The same URL as parsing the whole text would give.
        let whole = Url::parse("http://h:1/api/v2/users/a%2Fb c/x").unwrap();
        assert_eq!(
            url("http://h:1", "/api/v2/users/{userId}/x", "a%2Fb c"),
            whole.as_str()
        );
    }
}
