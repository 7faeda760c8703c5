//! One rate limiter's settings (whose budget it counts, its model, the routes it covers) and
//! the keys and namespaces of the limits the emulator knows.

use std::time::Duration;

use pacer_core::limiter::{Algorithm, LimitSpec};
use serde::Deserialize;

use crate::error::EmulatorError;
use crate::route::{Route, RoutePattern};
use crate::units::Rate;

/// The key of the real per-token limit.
pub const TOKEN_LIMIT_KEY: &str = "client.credentials.token.rate.per.minute";
/// The namespace of the real platform limits.
pub const PLATFORM_NAMESPACE: &str = "platform.api";
/// The key the emulator gives its token-minting limit (the real key is not published).
pub const MINT_LIMIT_KEY: &str = "oauth.client.token.creation.rate.per.minute";
/// The namespace of the token-minting limit (the emulator's choice).
pub const MINT_NAMESPACE: &str = "oauth";
/// The organization-wide limit's key (`--org-rate`, shaped by `--org-algorithm` and `--org-burst`).
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

/// The organization-wide limit of `--org-rate`, `--org-algorithm` and `--org-burst`: a fixed
/// window by default. A window's burst is its count, whatever `burst` says (it lets a whole
/// window through at its start); a token bucket's is `burst`, by default one second of its rate
/// (at least one), so that it paces smoothly past its first second.
pub fn org_limit_spec(
    rate: Rate,
    algorithm: Option<Algorithm>,
    burst: Option<u32>,
) -> Result<LimitSpec, EmulatorError> {
    let algorithm = algorithm.unwrap_or(Algorithm::FixedWindow);
    if algorithm == Algorithm::Concurrency {
        return Err(EmulatorError::setting(
            "--org-algorithm",
            "fixed-window, sliding-window or token-bucket: an organization's limit is a rate",
        ));
    }
    if burst == Some(0) {
        return Err(EmulatorError::setting("--org-burst", "must be at least 1"));
    }
    let burst = match algorithm {
        Algorithm::TokenBucket => burst.unwrap_or_else(|| one_second_of(rate)),
        _ => rate.limit,
    };
    Ok(LimitSpec {
        algorithm,
        limit: rate.limit,
        window: rate.window,
        burst,
    })
}

/// What `rate` refills in one second, rounded up, at least one.
fn one_second_of(rate: Rate) -> u32 {
    let per_second = f64::from(rate.limit) * Duration::from_secs(1).as_secs_f64()
        / rate.window.as_secs_f64().max(1e-9);
    (per_second.ceil() as u32).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(text: &str) -> Rate {
        text.parse().unwrap()
    }

    #[test]
    fn the_org_limit_is_a_fixed_window_unless_shaped() {
        let spec = org_limit_spec(rate("6000/min"), None, None).unwrap();
        assert_eq!(
            (spec.algorithm, spec.limit, spec.burst),
            (Algorithm::FixedWindow, 6000, 6000)
        );
        let sliding = org_limit_spec(rate("6000/min"), Some(Algorithm::SlidingWindow), Some(5));
        assert_eq!(
            sliding.unwrap().burst,
            6000,
            "a window's burst is its count"
        );
    }

    #[test]
    fn a_token_bucket_bursts_one_second_of_its_rate_unless_told() {
        let bucket = |burst| org_limit_spec(rate("6000/min"), Some(Algorithm::TokenBucket), burst);
        assert_eq!(bucket(None).unwrap().burst, 100);
        assert_eq!(bucket(Some(7)).unwrap().burst, 7);
        assert!(bucket(Some(0)).unwrap_err().is_usage());
        let slow = org_limit_spec(rate("30/min"), Some(Algorithm::TokenBucket), None);
        assert_eq!(slow.unwrap().burst, 1);
        let concurrency = org_limit_spec(rate("6000/min"), Some(Algorithm::Concurrency), None);
        assert!(concurrency.unwrap_err().is_usage());
    }
}
