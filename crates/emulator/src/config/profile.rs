//! The built-in profiles: what `genesys` (the real API) and `seed` (the seed thread's world)
//! start from, before a file or flags change anything.

use std::net::SocketAddr;
use std::time::Duration;

use pacer_core::limiter::{Algorithm, LimitSpec};

use super::business_units::ZoneSet;
use super::faults::Faults;
use super::limiter::{
    LimiterConfig, MINT_LIMIT_KEY, MINT_NAMESPACE, PLATFORM_NAMESPACE, Scope, TOKEN_LIMIT_KEY,
};
use super::oauth::{ClientConfig, OAuthConfig};
use super::resolved::{Config, Profile, Responses};
use super::wfm::WfmConfig;
use crate::route::RoutePattern;
use crate::style::{BodyStyle, HeaderStyle};

/// The demo client's id, printed at start.
pub const DEMO_CLIENT_ID: &str = "pacer-demo";
/// The demo client's secret, printed at start.
pub const DEMO_CLIENT_SECRET: &str = "pacer-demo-secret";
/// The real `request.bytes.max`.
pub const REQUEST_BYTES_MAX: usize = 512_000;

impl Config {
    /// The built-in profile.
    pub fn profile(profile: Profile) -> Config {
        let (algorithm, burst, seed_world) = match profile {
            Profile::Genesys => (Algorithm::FixedWindow, 300, false),
            Profile::Seed => (Algorithm::TokenBucket, 10, true),
        };
        Config {
            profile,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            agents: 1000,
            seed: 1,
            request_bytes_max: REQUEST_BYTES_MAX,
            seed_routes: seed_world,
            oauth: OAuthConfig {
                clients: vec![ClientConfig {
                    id: DEMO_CLIENT_ID.into(),
                    secret: DEMO_CLIENT_SECRET.into(),
                }],
                token_lifetime: Duration::from_secs(86_400),
                mint_limit: Some(LimiterConfig {
                    key: MINT_LIMIT_KEY.into(),
                    namespace: MINT_NAMESPACE.into(),
                    scope: Scope::Client,
                    spec: LimitSpec {
                        algorithm: Algorithm::FixedWindow,
                        limit: 100,
                        window: Duration::from_secs(60),
                        burst: 100,
                    },
                    routes: vec![RoutePattern::all()],
                    advertise: false,
                }),
            },
            responses: Responses {
                rate_limit_body: if seed_world {
                    BodyStyle::Seed
                } else {
                    BodyStyle::Genesys
                },
                rate_limit_headers: if seed_world {
                    HeaderStyle::XRateLimit
                } else {
                    HeaderStyle::None
                },
                limit_object: true,
            },
            limiters: vec![LimiterConfig {
                key: TOKEN_LIMIT_KEY.into(),
                namespace: PLATFORM_NAMESPACE.into(),
                scope: Scope::Token,
                spec: LimitSpec {
                    algorithm,
                    limit: 300,
                    window: Duration::from_secs(60),
                    burst,
                },
                routes: vec![RoutePattern::all()],
                advertise: true,
            }],
            faults: Faults::default(),
            wfm: WfmConfig {
                // The real API's units keep real zones; the seed thread's world keeps UTC.
                zones: if seed_world {
                    ZoneSet::FixedOffset
                } else {
                    ZoneSet::Real
                },
                ..WfmConfig::default()
            },
            mirror: None,
            speed: 1.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_match_the_issue() {
        let genesys = Config::profile(Profile::Genesys);
        assert!(!genesys.seed_routes);
        assert_eq!(genesys.responses.rate_limit_headers, HeaderStyle::None);
        let token = &genesys.limiters[0];
        assert_eq!(
            (token.key.as_str(), token.scope),
            (TOKEN_LIMIT_KEY, Scope::Token)
        );
        assert_eq!(token.spec.algorithm, Algorithm::FixedWindow);
        assert_eq!(
            (token.spec.limit, token.spec.window),
            (300, Duration::from_secs(60))
        );
        let seed = Config::profile(Profile::Seed);
        assert!(seed.seed_routes);
        assert_eq!(seed.responses.rate_limit_body, BodyStyle::Seed);
        assert_eq!(seed.responses.rate_limit_headers, HeaderStyle::XRateLimit);
        assert_eq!(seed.limiters[0].spec.algorithm, Algorithm::TokenBucket);
        assert_eq!(seed.limiters[0].spec.burst, 10);
        assert_eq!(seed.oauth.token_lifetime, Duration::from_secs(86_400));
        // A failed update is bare in the real API and told in the seed thread's world.
        assert!(!genesys.error_detail() && seed.error_detail());
    }
}
