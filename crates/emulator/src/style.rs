//! How answers look, as a configuration chooses: the style of a 429's body and the style of
//! the rate-limit headers.

use serde::Deserialize;

/// The 429 body style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BodyStyle {
    /// `too.many.requests.retry.after` with `contextId`, `details`, `errors` and `limit`.
    Genesys,
    /// The seed thread's `RATE_LIMIT_EXCEEDED`.
    Seed,
}

/// The rate-limit header style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HeaderStyle {
    /// No rate-limit headers (the real API today).
    None,
    /// `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset` (seconds to reset).
    XRateLimit,
    /// The IETF draft's `RateLimit-Policy` and `RateLimit` (drafts -08 to -11).
    Ietf,
    /// The legacy Genesys `inin-ratelimit-allowed`, `-count`, `-reset`.
    Inin,
}
