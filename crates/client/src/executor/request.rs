//! One request of a run: its URL, the task that sends it (after the shared budget's admission,
//! with its pool token), and the record and signals of its answer.

use std::sync::Arc;
use std::time::SystemTime;

use http::Method;
use pacer_core::pacer::Permit;
use pacer_core::signals::{ParseContext, Signals, parse};
use tokio::time::Instant;
use url::Url;

use super::events::RequestRecord;
use super::job::Work;
use super::shared::{self, SharedBudget};
use crate::bearer::BearerToken;
use crate::error::Result;
use crate::http::{HttpClient, Response};
use crate::token::TokenManager;

/// What a request task returns to the driver.
pub(super) struct Finished {
    pub(super) work: Work,
    pub(super) permit: Permit,
    pub(super) token: Option<BearerToken>,
    pub(super) result: Result<Response>,
    pub(super) record: RequestRecord,
}

/// Everything a request task needs, taken from the executor before it is spawned.
pub(super) struct Outgoing {
    pub(super) work: Work,
    pub(super) permit: Permit,
    /// The pool slot of the token that carries it.
    pub(super) index: usize,
    /// Requests in flight when it leaves, itself included.
    pub(super) in_flight: u32,
    pub(super) http: HttpClient,
    pub(super) tokens: TokenManager,
    pub(super) shared: Option<Arc<dyn SharedBudget>>,
    pub(super) method: Method,
    /// The request's URL, or why none could be made.
    pub(super) url: Result<Url>,
    /// The URL as the record shows it.
    pub(super) text: String,
    /// The run's time bound, which also bounds the wait for the shared budget.
    pub(super) deadline: Instant,
}

impl Outgoing {
    /// Waits for the shared budget, takes the token, sends, and returns what happened.
    pub(super) async fn send(self) -> Finished {
        let Outgoing {
            work,
            permit,
            index,
            in_flight,
            http,
            tokens,
            shared,
            method,
            url,
            text,
            deadline,
        } = self;
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
    }
}

/// The full URL of `user_id`'s request: `base`, then `template` with every `{userId}` replaced by
/// it. Only the path (and a query, when the template has one) is parsed, not the whole URL.
pub(super) fn request_url(base: &Url, template: &str, user_id: &str) -> Url {
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

/// The JTL record of one request, from what the task saw of it.
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
pub(super) fn signals_of(response: &Response) -> Signals {
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

/// Milliseconds since the Unix epoch (0 before it).
pub(super) fn unix_ms(at: SystemTime) -> u64 {
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
