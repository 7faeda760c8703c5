//! One request of a multi-step workflow (the schedule update's reads, upload and update), sent
//! through the executor's own pacer, retry policy and token manager: the budget a run learned is
//! the budget each step spends, and a 429 or a 5xx is retried the same way an item's would be.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, Method};
use pacer_core::pacer::{Acquire, Feedback, Route};
use pacer_core::retry::{Attempts, Verdict};
use tokio::time::Instant;

use super::Executor;
use super::events::RequestRecord;
use super::request::{signals_of, unix_ms};
use crate::body_sink::BodySink;
use crate::error::Result;
use crate::http::Response;

/// One request of a workflow.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: Method,
    /// An API path with its query (`/api/v2/...`), or a whole URL for a signed storage URL.
    pub target: Target,
    /// A JSON body, or the bytes a storage URL takes.
    pub body: Option<Bytes>,
    /// The endpoint's name for its budget and for reports, e.g. `POST .../update`.
    pub endpoint: &'static str,
    /// Where a storage URL's successful body goes a chunk at a time, instead of into the
    /// response (see [`crate::body_sink`]).
    pub sink: Option<BodySink>,
}

/// Where a call goes.
#[derive(Debug, Clone)]
pub enum Target {
    /// A path under the API base, sent with a bearer token and paced by the token's budget.
    Api(String),
    /// A signed storage URL (no token, no API budget) with the headers it declared.
    Storage { url: String, headers: HeaderMap },
}

impl Call {
    /// A `GET` of an API path.
    pub fn get(path: impl Into<String>, endpoint: &'static str) -> Self {
        Call {
            method: Method::GET,
            target: Target::Api(path.into()),
            body: None,
            endpoint,
            sink: None,
        }
    }

    /// A `POST` of a JSON body to an API path.
    pub fn post(path: impl Into<String>, body: Bytes, endpoint: &'static str) -> Self {
        Call {
            method: Method::POST,
            target: Target::Api(path.into()),
            body: Some(body),
            endpoint,
            sink: None,
        }
    }
}

/// What a call ended with: the last response (any status; the caller reads it) and every attempt.
#[derive(Debug)]
pub struct Called {
    pub response: Response,
    pub attempts: u32,
}

impl Executor {
    /// Sends `call` paced, retrying throttles, server errors and dropped connections by the
    /// retry policy and re-authenticating once on a 401; returns the last answer, whatever its
    /// status, or the transport error that outlasted the retries. Each attempt is recorded
    /// (see [`Executor::take_call_records`]).
    pub async fn call(&mut self, call: &Call) -> Result<Called> {
        let mut attempts = Attempts::default();
        let started = Instant::now();
        loop {
            let permit = self.call_permit(&call.target).await;
            let begun = Instant::now();
            let started_unix_ms = unix_ms(SystemTime::now());
            let (result, token) = self.send_call(call).await;
            let now = self.origin.elapsed();
            let (outcome, feedback_signals) = match &result {
                Ok(response) => (response.outcome(), Some(signals_of(response))),
                Err(err) => match err.transport_kind() {
                    Some(kind) => (kind.outcome(), None),
                    None => {
                        // No request left (the token could not be had): nothing to retry.
                        if let Some(permit) = permit {
                            self.pacer.complete(permit, now, Feedback::Cancelled);
                        }
                        return result.map(|response| Called {
                            response,
                            attempts: attempts.total + 1,
                        });
                    }
                },
            };
            if let Some(permit) = permit {
                let feedback = match &feedback_signals {
                    Some(signals) => Feedback::Response(signals),
                    None => Feedback::TransportError,
                };
                self.pacer.complete(permit, now, feedback);
            }
            self.record_call(call, &result, started_unix_ms, begun);
            let verdict = self.call_policy.decide(
                &mut attempts,
                outcome,
                feedback_signals.as_ref(),
                now,
                &mut self.call_rng,
            );
            let retry_at = match verdict {
                Verdict::Retry { not_before, .. } => Some(not_before),
                Verdict::Reauthenticate => {
                    if let Some(token) = token {
                        self.tokens.after_unauthorized(&token).await?;
                    }
                    Some(now)
                }
                Verdict::Done | Verdict::Conflict | Verdict::Fail { .. } | Verdict::Park { .. } => {
                    None
                }
            };
            match (retry_at, result) {
                (Some(at), _) if started.elapsed() < self.config.max_run_time => {
                    tokio::time::sleep_until(self.origin + at).await;
                }
                (_, Ok(response)) => {
                    return Ok(Called {
                        response,
                        attempts: attempts.total,
                    });
                }
                (_, Err(err)) => return Err(err),
            }
        }
    }

    /// Waits for a permit of the first token's budget (and the call's endpoint); `None` for a
    /// storage URL, which the API's limits do not cover.
    async fn call_permit(&mut self, target: &Target) -> Option<pacer_core::pacer::Permit> {
        if matches!(target, Target::Storage { .. }) {
            return None;
        }
        let route = Route::new(self.token_scopes[0], None);
        loop {
            let now = self.origin.elapsed();
            match self.pacer.acquire(route, now) {
                Acquire::Send(permit) => return Some(permit),
                Acquire::Wait(until) => tokio::time::sleep_until(self.origin + until).await,
                // One call at a time cannot be at capacity for long: wait a moment and ask again.
                Acquire::AtCapacity => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    async fn send_call(
        &self,
        call: &Call,
    ) -> (Result<Response>, Option<crate::bearer::BearerToken>) {
        match &call.target {
            Target::Api(path) => {
                let token = match self.tokens.get(0).await {
                    Ok(token) => token,
                    Err(err) => return (Err(err), None),
                };
                let url = format!("{}{path}", self.api_base);
                pacer_crashpoint::hit("request");
                let result = self
                    .http
                    .send(call.method.clone(), &url, call.body.clone(), Some(&token))
                    .await;
                (result, Some(token))
            }
            Target::Storage { url, headers } => {
                let body = call.body.clone().unwrap_or_default();
                let result = self
                    .http
                    .send_with_headers(
                        call.method.clone(),
                        url,
                        headers.clone(),
                        body,
                        call.sink.as_ref(),
                    )
                    .await;
                (result, None)
            }
        }
    }

    fn record_call(
        &mut self,
        call: &Call,
        result: &Result<Response>,
        started_unix_ms: u64,
        begun: Instant,
    ) {
        let url = match &call.target {
            Target::Api(path) => format!("{}{path}", self.api_base),
            Target::Storage { url, .. } => storage_url(url),
        };
        let sent = call.body.as_ref().map_or(0, |b| b.len() as u64);
        let record = record_of(url, call.endpoint, sent, result, started_unix_ms, begun);
        self.call_records.push(record);
    }

    /// A storage call made beside the executor's own: the download is sent while the executor
    /// sends its next request (a signed storage URL spends no API budget and needs no token).
    pub fn beside(&self) -> Beside {
        Beside {
            http: self.http.clone(),
        }
    }

    /// Keeps the record of a call made [`beside`](Executor::beside) the executor with its own.
    pub fn keep_record(&mut self, record: RequestRecord) {
        self.call_records.push(record);
    }

    /// The records of every call attempt since the last take, oldest first.
    pub fn take_call_records(&mut self) -> Vec<RequestRecord> {
        std::mem::take(&mut self.call_records)
    }
}

/// Sends storage GETs beside an executor, one attempt each: whoever made one retries through the
/// executor when it fails.
#[derive(Clone)]
pub struct Beside {
    http: crate::http::HttpClient,
}

impl Beside {
    /// GETs a signed storage URL once (its body to `sink`, when given); its answer, and its record
    /// for the executor's.
    pub async fn get(
        &self,
        url: &str,
        sink: Option<&BodySink>,
        endpoint: &'static str,
    ) -> (Result<Response>, RequestRecord) {
        let started_unix_ms = unix_ms(SystemTime::now());
        let begun = Instant::now();
        let result = self
            .http
            .send_with_headers(Method::GET, url, HeaderMap::new(), Bytes::new(), sink)
            .await;
        let record = record_of(
            storage_url(url),
            endpoint,
            0,
            &result,
            started_unix_ms,
            begun,
        );
        (result, record)
    }
}

/// A signed URL as it is recorded: without its query, which is a credential.
fn storage_url(url: &str) -> String {
    url.split('?').next().unwrap_or(url).to_string()
}

/// The record of one attempt to `url`.
fn record_of(
    url: String,
    endpoint: &'static str,
    bytes_sent: u64,
    result: &Result<Response>,
    started_unix_ms: u64,
    begun: Instant,
) -> RequestRecord {
    let (status, error, error_kind, bytes_received, latency) = match result {
        Ok(r) => (Some(r.status), None, None, r.body.len() as u64, r.latency),
        Err(err) => (
            None,
            Some(err.to_string()),
            err.transport_kind().map(|k| k.as_str()),
            0,
            begun.elapsed(),
        ),
    };
    RequestRecord {
        line: 0,
        started_unix_ms,
        latency,
        elapsed: begun.elapsed(),
        status,
        error,
        error_kind,
        url,
        bytes_received,
        bytes_sent,
        in_flight: 1,
        token_index: 0,
        label: Some(endpoint),
    }
}
