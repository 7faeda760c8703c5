//! One rate limiter's settings (whose budget it counts, its model, the routes it covers) and
//! the keys and namespaces of the limits the emulator knows.

use std::time::Duration;

use pacer_core::limiter::{Algorithm, LimitSpec};
use serde::Deserialize;

use crate::route::{Route, RoutePattern};

/// The key of the real per-token limit.
pub const TOKEN_LIMIT_KEY: &str = "client.credentials.token.rate.per.minute";
/// The namespace of the real platform limits.
pub const PLATFORM_NAMESPACE: &str = "platform.api";
/// The key the emulator gives its token-minting limit (the real key is not published).
pub const MINT_LIMIT_KEY: &str = "oauth.client.token.creation.rate.per.minute";
/// The namespace of the token-minting limit (the emulator's choice).
pub const MINT_NAMESPACE: &str = "oauth";
/// The organization-wide limit's key (`--org-rate`).
pub const ORG_LIMIT_KEY: &str = "org.api.rate.per.minute";
/// The platform's limit on a request's body (`request.bytes.max`).
pub const REQUEST_BYTES_KEY: &str = "request.bytes.max";

/// Whose budget a limiter counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// Each bearer token has its own budget (the real per-token limit).
    Token,
    /// All tokens of one OAuth client share a budget.
    Client,
    /// The whole organization shares one budget.
    Organization,
    /// Each user named in the path has a budget (routes without a user are not covered).
    User,
    /// Each route has one budget shared by every caller.
    Route,
}

/// One rate limiter.
#[derive(Debug, Clone, PartialEq)]
pub struct LimiterConfig {
    pub key: String,
    pub namespace: String,
    pub scope: Scope,
    pub spec: LimitSpec,
    pub routes: Vec<RoutePattern>,
    /// Whether rate-limit headers report this limiter.
    pub advertise: bool,
}

impl LimiterConfig {
    /// The organization-wide limit shared by every token (`--org-rate`): `limit` requests per
    /// fixed window on every route, advertised.
    pub fn organization(limit: u32, window: Duration) -> LimiterConfig {
        LimiterConfig {
            key: ORG_LIMIT_KEY.into(),
            namespace: PLATFORM_NAMESPACE.into(),
            scope: Scope::Organization,
            spec: LimitSpec {
                algorithm: Algorithm::FixedWindow,
                limit,
                window,
                burst: limit,
            },
            routes: vec![RoutePattern::all()],
            advertise: true,
        }
    }

    /// Whether this limiter applies to `route`.
    pub fn covers(&self, route: Route) -> bool {
        (self.scope != Scope::User || route.has_user())
            && self.routes.iter().any(|p| p.matches(route))
    }
}
