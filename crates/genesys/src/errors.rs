//! API error bodies: the normalized Genesys error (401, 404, 429, ...) and the seed thread's 429.

use serde::{Deserialize, Serialize};

/// The limit a 429 names (present on the real API since mid-2023, not guaranteed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitRef {
    pub key: String,
    pub namespace: String,
    pub value: u64,
}

/// The normalized Genesys Cloud error body.
///
/// Parsing is lenient (every field but `status` and `code` may be missing) so that a client can
/// read both the Genesys 429 and the seed profile's `RATE_LIMIT_EXCEEDED` body with this one type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiError {
    #[serde(default)]
    pub message: String,
    pub code: String,
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_id: Option<String>,
    #[serde(default)]
    pub details: Vec<serde_json::Value>,
    #[serde(default)]
    pub errors: Vec<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<LimitRef>,
}

/// Error codes the real API uses; the emulator answers with these and the client matches on them.
pub mod codes {
    /// 429 since November 2021.
    pub const TOO_MANY_REQUESTS_RETRY_AFTER: &str = "too.many.requests.retry.after";
    /// The older 429 code.
    pub const TOO_MANY_REQUESTS: &str = "too.many.requests";
    /// The seed thread's 429 code.
    pub const RATE_LIMIT_EXCEEDED: &str = "RATE_LIMIT_EXCEEDED";
    /// 401: no bearer token was sent.
    pub const AUTHENTICATION_REQUIRED: &str = "authentication.required";
    /// 401: the bearer token is unknown or revoked.
    pub const BAD_CREDENTIALS: &str = "bad.credentials";
    /// 401: the bearer token has expired.
    pub const CREDENTIALS_EXPIRED: &str = "credentials.expired";
    /// 404.
    pub const NOT_FOUND: &str = "not.found";
    /// 400 for an invalid body.
    pub const BAD_REQUEST: &str = "bad.request";
    /// 413 over `request.bytes.max`.
    pub const REQUEST_TOO_LARGE: &str = "request.entity.too.large";
    /// 409 for a stale version.
    pub const CONFLICT: &str = "conflict";
    /// 500.
    pub const INTERNAL_SERVER_ERROR: &str = "internal.server.error";
    /// 502.
    pub const BAD_GATEWAY: &str = "bad.gateway";
    /// 503.
    pub const SERVICE_UNAVAILABLE: &str = "service.unavailable";
    /// 504.
    pub const GATEWAY_TIMEOUT: &str = "gateway.timeout";
}

impl ApiError {
    /// An error body with empty `details` and `errors`, no `limit`.
    pub fn new(
        status: u16,
        code: &str,
        message: impl Into<String>,
        context_id: Option<String>,
    ) -> Self {
        ApiError {
            message: message.into(),
            code: code.into(),
            status,
            context_id,
            details: Vec::new(),
            errors: Vec::new(),
            limit: None,
        }
    }

    /// The Genesys 429: `Retry the request in [N] seconds`, naming the refusing limit if known.
    pub fn rate_limited(
        retry_after_secs: u64,
        context_id: String,
        limit: Option<LimitRef>,
    ) -> Self {
        let mut err = ApiError::new(
            429,
            codes::TOO_MANY_REQUESTS_RETRY_AFTER,
            format!(
                "Rate limit exceeded the maximum. Retry the request in [{retry_after_secs}] seconds"
            ),
            Some(context_id),
        );
        err.limit = limit;
        err
    }

    /// Whether this body is a 429 of any known style.
    pub fn is_rate_limited(&self) -> bool {
        self.status == 429
            || self.code == codes::TOO_MANY_REQUESTS_RETRY_AFTER
            || self.code == codes::TOO_MANY_REQUESTS
            || self.code == codes::RATE_LIMIT_EXCEEDED
    }

    /// The seconds of a Genesys 429 message (`... in [42] seconds`), when the message has them.
    pub fn retry_after_from_message(&self) -> Option<u64> {
        let start = self.message.find('[')? + 1;
        let end = start + self.message[start..].find(']')?;
        self.message[start..end].trim().parse().ok()
    }
}

/// The 429 body of the seed thread's world (`error code RATE_LIMIT_EXCEEDED`).
///
/// The thread names only the code; the rest of the shape is the emulator's choice (documented in
/// the emulator's report): `{"code":"RATE_LIMIT_EXCEEDED","message":"...","status":429}`, which
/// [`ApiError`] also parses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedRateLimitBody {
    pub code: String,
    pub message: String,
    pub status: u16,
}

impl SeedRateLimitBody {
    /// The seed 429 telling the caller to retry after `retry_after_secs` seconds.
    pub fn new(retry_after_secs: u64) -> Self {
        SeedRateLimitBody {
            code: codes::RATE_LIMIT_EXCEEDED.into(),
            message: format!("Rate limit exceeded. Retry after {retry_after_secs} second(s)."),
            status: 429,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn genesys_429_matches_the_reference_body() {
        let limit = LimitRef {
            key: "client.credentials.token.rate.per.minute".into(),
            namespace: "platform.api".into(),
            value: 300,
        };
        let body =
            serde_json::to_value(ApiError::rate_limited(42, "cid".into(), Some(limit))).unwrap();
        assert_eq!(
            body,
            json!({"message":"Rate limit exceeded the maximum. Retry the request in [42] seconds",
                   "code":"too.many.requests.retry.after","status":429,"contextId":"cid",
                   "details":[],"errors":[],
                   "limit":{"key":"client.credentials.token.rate.per.minute","namespace":"platform.api","value":300}})
        );
    }

    #[test]
    fn api_error_reads_the_seed_body_and_the_message_seconds() {
        let seed = serde_json::to_string(&SeedRateLimitBody::new(1)).unwrap();
        let err: ApiError = serde_json::from_str(&seed).unwrap();
        assert!(err.is_rate_limited());
        assert_eq!(err.code, "RATE_LIMIT_EXCEEDED");
        let genesys = ApiError::rate_limited(42, "c".into(), None);
        assert_eq!(genesys.retry_after_from_message(), Some(42));
        assert_eq!(err.retry_after_from_message(), None);
    }
}
