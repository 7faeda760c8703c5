//! Building answers: correlation ids, JSON bodies, Genesys error bodies (and the ones several
//! routes share) and rate-limit headers.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use pacer_core::limiter::Snapshot;
use pacer_genesys::ApiError;
use pacer_genesys::errors::codes;

use crate::agents::write_uuid;
use crate::hash::mix;
use crate::style::HeaderStyle;

/// `ININ-Correlation-Id`, sent on every response.
pub static CORRELATION_HEADER: HeaderName = HeaderName::from_static("inin-correlation-id");

/// A correlation id: a UUID-shaped string, 36 ASCII bytes.
#[derive(Debug, Clone, Copy)]
pub struct CorrelationId([u8; 36]);

impl CorrelationId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        // Only hex digits and hyphens are ever written.
        std::str::from_utf8(&self.0).unwrap_or("00000000-0000-4000-8000-000000000000")
    }

    /// The id as a header value.
    pub fn header(&self) -> HeaderValue {
        HeaderValue::from_bytes(&self.0).expect("a correlation id is a valid header value")
    }

    /// An id from a process-wide sequence, for answers made without the emulator's state.
    pub fn next_global() -> CorrelationId {
        static GLOBAL: AtomicU64 = AtomicU64::new(0);
        make(0x5EED_C1D5, GLOBAL.fetch_add(1, Ordering::Relaxed))
    }
}

/// A seeded sequence of correlation ids: the same seed gives the same ids in the same order.
#[derive(Debug)]
pub struct CorrelationIds {
    seed: u64,
    counter: AtomicU64,
}

impl CorrelationIds {
    /// A sequence for `seed`.
    pub fn new(seed: u64) -> Self {
        CorrelationIds {
            seed,
            counter: AtomicU64::new(0),
        }
    }

    /// The next id.
    pub fn next(&self) -> CorrelationId {
        make(self.seed, self.counter.fetch_add(1, Ordering::Relaxed))
    }
}

fn make(seed: u64, n: u64) -> CorrelationId {
    let hi = mix(seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let lo = mix(hi ^ n ^ 0xC2B2_AE3D_27D4_EB4F);
    let raw = (u128::from(hi) << 64) | u128::from(lo);
    let id = (raw & !(0xF000_u128 << 64) & !(0xC000_u128 << 48))
        | (0x4000_u128 << 64)
        | (0x8000_u128 << 48);
    let mut out = [0u8; 36];
    write_uuid(id, &mut out);
    CorrelationId(out)
}

/// A JSON answer with the correlation id.
pub fn json(status: u16, body: impl Into<Body>, cid: &CorrelationId) -> Response {
    let mut response = Response::new(body.into());
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(CORRELATION_HEADER.clone(), cid.header());
    response
}

/// Serializes `value` as a JSON answer.
pub fn json_value<T: serde::Serialize>(status: u16, value: &T, cid: &CorrelationId) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => json(status, body, cid),
        Err(_) => api_error(
            500,
            pacer_genesys::errors::codes::INTERNAL_SERVER_ERROR,
            "The server encountered an unexpected condition.",
            cid,
        ),
    }
}

/// A Genesys error body (`message`, `code`, `status`, `contextId`, `details`, `errors`).
pub fn api_error(status: u16, code: &str, message: &str, cid: &CorrelationId) -> Response {
    let body = ApiError::new(status, code, message, Some(cid.as_str().to_string()));
    json_value(status, &body, cid)
}

/// An answer with no body (204 and the like), with the correlation id.
pub fn empty(status: u16, cid: &CorrelationId) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::NO_CONTENT);
    response
        .headers_mut()
        .insert(CORRELATION_HEADER.clone(), cid.header());
    response
}

/// The 413 of a body past `request.bytes.max`.
pub fn too_large(max: usize, cid: &CorrelationId) -> Response {
    let message =
        format!("The request body exceeds the maximum of {max} bytes (request.bytes.max).");
    api_error(413, codes::REQUEST_TOO_LARGE, &message, cid)
}

/// The 404 of a user the path names and the emulator does not have.
pub fn user_not_found(cid: &CorrelationId) -> Response {
    api_error(404, codes::NOT_FOUND, "The user could not be found.", cid)
}

/// Whole seconds, rounded up, and never below one: what `Retry-After` says for a wait.
pub fn ceil_secs(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

/// Seconds until reset for rate-limit headers: rounded up, zero when already whole.
fn reset_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

/// The emulator's own header beside `Retry-After`: the exact wait in milliseconds, which whole
/// seconds cannot say. `pacer compare`'s scripts read it under `--speed`, to wait what real
/// time's Retry-After would have said, scaled; the real API sends no such header.
pub const EXACT_WAIT_HEADER: &str = "x-emulator-retry-after-ms";

/// Sets `Retry-After` to the whole seconds, rounded up, of `wait`, and the emulator's exact
/// wait beside it.
pub fn set_retry_after(response: &mut Response, wait: Duration) {
    let headers = response.headers_mut();
    headers.insert(header::RETRY_AFTER, HeaderValue::from(ceil_secs(wait)));
    let ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
    headers.insert(EXACT_WAIT_HEADER, HeaderValue::from(ms));
}

/// One advertised limiter's state, for rate-limit headers.
#[derive(Debug, Clone)]
pub struct Advertised<'a> {
    pub key: &'a str,
    pub window: Duration,
    pub snapshot: Snapshot,
}

/// Adds rate-limit headers of `style` describing `limits` (the first is the most constrained).
pub fn add_rate_limit_headers(
    response: &mut Response,
    style: HeaderStyle,
    limits: &[Advertised<'_>],
) {
    let Some(first) = limits.first() else { return };
    let headers = response.headers_mut();
    let snap = first.snapshot;
    match style {
        HeaderStyle::None => {}
        HeaderStyle::XRateLimit => {
            headers.insert("x-ratelimit-limit", HeaderValue::from(snap.limit));
            headers.insert("x-ratelimit-remaining", HeaderValue::from(snap.remaining));
            headers.insert(
                "x-ratelimit-reset",
                HeaderValue::from(reset_secs(snap.reset_after)),
            );
        }
        HeaderStyle::Inin => {
            headers.insert("inin-ratelimit-allowed", HeaderValue::from(snap.limit));
            headers.insert(
                "inin-ratelimit-count",
                HeaderValue::from(snap.limit - snap.remaining.min(snap.limit)),
            );
            headers.insert(
                "inin-ratelimit-reset",
                HeaderValue::from(reset_secs(snap.reset_after)),
            );
        }
        HeaderStyle::Ietf => {
            let mut policy = String::new();
            let mut state = String::new();
            for (i, limit) in limits.iter().enumerate() {
                if i > 0 {
                    policy.push_str(", ");
                    state.push_str(", ");
                }
                let s = limit.snapshot;
                policy.push_str(&format!(
                    "\"{}\";q={};w={}",
                    limit.key,
                    s.limit,
                    reset_secs(limit.window)
                ));
                state.push_str(&format!(
                    "\"{}\";r={};t={}",
                    limit.key,
                    s.remaining,
                    reset_secs(s.reset_after)
                ));
            }
            if let Ok(value) = HeaderValue::from_str(&policy) {
                headers.insert("ratelimit-policy", value);
            }
            if let Ok(value) = HeaderValue::from_str(&state) {
                headers.insert("ratelimit", value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn correlation_ids_are_seeded_and_distinct() {
        let a = CorrelationIds::new(1);
        let b = CorrelationIds::new(1);
        let first = a.next();
        assert_eq!(first.as_str(), b.next().as_str());
        assert_ne!(first.as_str(), a.next().as_str());
        assert_eq!(first.as_str().len(), 36);
        assert_eq!(&first.as_str()[14..15], "4");
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(ceil_secs(Duration::from_millis(200)), 1);
        assert_eq!(ceil_secs(Duration::from_secs(45)), 45);
        assert_eq!(ceil_secs(Duration::from_millis(45_001)), 46);
        assert_eq!(ceil_secs(Duration::ZERO), 1);
    }

    #[test]
    fn header_styles_render_their_fields() {
        let snapshot = Snapshot {
            limit: 300,
            remaining: 120,
            reset_after: Duration::from_millis(30_500),
        };
        let limits = [Advertised {
            key: "k",
            window: Duration::from_secs(60),
            snapshot,
        }];
        let render = |style| {
            let mut response = empty(200, &CorrelationId::next_global());
            add_rate_limit_headers(&mut response, style, &limits);
            let mut pairs: Vec<(String, String)> = response
                .headers()
                .iter()
                .filter(|(name, _)| name.as_str() != "inin-correlation-id")
                .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_string()))
                .collect();
            pairs.sort();
            pairs
        };
        assert!(render(HeaderStyle::None).is_empty());
        assert_eq!(
            render(HeaderStyle::XRateLimit),
            [
                ("x-ratelimit-limit", "300"),
                ("x-ratelimit-remaining", "120"),
                ("x-ratelimit-reset", "31")
            ]
            .map(|(a, b)| (a.to_string(), b.to_string()))
        );
        assert_eq!(
            render(HeaderStyle::Inin),
            [
                ("inin-ratelimit-allowed", "300"),
                ("inin-ratelimit-count", "180"),
                ("inin-ratelimit-reset", "31")
            ]
            .map(|(a, b)| (a.to_string(), b.to_string()))
        );
        assert_eq!(
            render(HeaderStyle::Ietf),
            [
                ("ratelimit", "\"k\";r=120;t=31"),
                ("ratelimit-policy", "\"k\";q=300;w=60")
            ]
            .map(|(a, b)| (a.to_string(), b.to_string()))
        );
    }
}
