//! The configuration the emulator runs with: which built-in profile it started from, every
//! setting resolved, and the checks that every value is one a server could use.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;

use serde::Deserialize;

use super::faults::Faults;
use super::limiter::{LimiterConfig, Scope};
use super::mirror::MirrorSource;
use super::oauth::OAuthConfig;
use super::wfm::WfmConfig;
use crate::error::EmulatorError;
use crate::style::{BodyStyle, HeaderStyle};

/// A built-in starting point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// The real API: 300/min per token in fixed 60 s windows, no rate-limit headers, real routes only.
    Genesys,
    /// The seed thread's world: the per-agent schedule route, a 300/min token bucket with a burst
    /// of 10, X-RateLimit headers and `RATE_LIMIT_EXCEEDED`.
    Seed,
}

impl FromStr for Profile {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "genesys" => Ok(Profile::Genesys),
            "seed" => Ok(Profile::Seed),
            other => Err(format!(
                "unknown profile `{other}` (expected genesys or seed)"
            )),
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Profile::Genesys => "genesys",
            Profile::Seed => "seed",
        })
    }
}

/// How answers look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Responses {
    pub rate_limit_body: BodyStyle,
    pub rate_limit_headers: HeaderStyle,
    /// Whether the Genesys 429 body carries the `limit` object.
    pub limit_object: bool,
}

/// The resolved configuration the emulator runs with.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub profile: Profile,
    pub listen: SocketAddr,
    pub agents: u32,
    /// Seeds agent ids, tokens, correlation ids and faults, so that a run can be replayed.
    pub seed: u64,
    /// Largest accepted request body (`request.bytes.max`).
    pub request_bytes_max: usize,
    /// Whether the seed thread's per-agent schedule route is served.
    pub seed_routes: bool,
    pub oauth: OAuthConfig,
    pub responses: Responses,
    pub limiters: Vec<LimiterConfig>,
    pub faults: Faults,
    /// The WFM schedule path: business units, the schedule update and notifications.
    pub wfm: WfmConfig,
    /// The organization served instead of the seeded one (`--mirror`).
    pub mirror: Option<Arc<MirrorSource>>,
    /// How many times faster than real time the limits run (`--speed K`, 1 by default): every
    /// limit's window is K times shorter for the same count, so that waits, Retry-After and
    /// reset headers shrink with it; the limits API answers a limit's count per its nominal
    /// window (K times its count).
    pub speed: f64,
}

/// The most agents the emulator will hold.
pub const MAX_AGENTS: u32 = 10_000_000;

impl Config {
    /// A limit's count as the limits API and 429 bodies state it: per its nominal window, `speed`
    /// times the count its window (`speed` times shorter) admits.
    pub fn nominal_count(&self, limit: u32) -> u64 {
        (f64::from(limit) * self.speed).round() as u64
    }

    /// Checks the whole configuration: every limit must be enforceable.
    pub fn validate(&self) -> Result<(), EmulatorError> {
        for limiter in self.limiters.iter().chain(self.oauth.mint_limit.as_ref()) {
            limiter
                .spec
                .validate()
                .map_err(|source| EmulatorError::InvalidLimit {
                    key: limiter.key.clone(),
                    source,
                })?;
        }
        if self.agents > MAX_AGENTS {
            return Err(EmulatorError::setting(
                "agents",
                format!("at most {MAX_AGENTS} are supported"),
            ));
        }
        if self.request_bytes_max == 0 {
            return Err(EmulatorError::setting(
                "request_bytes_max",
                "must be at least 1",
            ));
        }
        if self.oauth.clients.is_empty() {
            return Err(EmulatorError::setting(
                "oauth.clients",
                "at least one client is needed",
            ));
        }
        if let Err((key, reason)) = self.wfm.validate() {
            return Err(EmulatorError::setting(&key, reason));
        }
        if self.oauth.token_lifetime.is_zero() {
            return Err(EmulatorError::setting(
                "oauth.token_lifetime",
                "must be longer than zero",
            ));
        }
        Ok(())
    }

    /// Whether a failed update's notification names the agent at fault and why: `wfm.error_detail`
    /// when set, else the profile's choice: bare in `genesys`, as the real API ends a failed
    /// update with no detail, and told in `seed`.
    pub fn error_detail(&self) -> bool {
        self.wfm
            .error_detail
            .unwrap_or(self.profile == Profile::Seed)
    }

    /// The first limiter scoped to tokens, which `--token-rate`, `--burst` and `--algorithm` change.
    pub fn token_limiter_mut(&mut self) -> Option<&mut LimiterConfig> {
        self.limiters.iter_mut().find(|l| l.scope == Scope::Token)
    }

    /// The token limiter, added from the `genesys` profile when the configuration has none.
    pub fn ensure_token_limiter(&mut self) -> &mut LimiterConfig {
        if self.token_limiter_mut().is_none() {
            let genesys = Config::profile(Profile::Genesys).limiters.remove(0);
            self.limiters.push(genesys);
        }
        let position = self.limiters.iter().position(|l| l.scope == Scope::Token);
        &mut self.limiters[position.unwrap_or(0)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_zero_window_is_refused_by_validation() {
        let mut config = Config::profile(Profile::Genesys);
        config.limiters[0].spec.window = Duration::ZERO;
        assert!(matches!(
            config.validate(),
            Err(EmulatorError::InvalidLimit { .. })
        ));
    }

    #[test]
    fn error_detail_is_the_files_else_the_profiles() {
        let read = |text: &str| Config::from_toml(text, "f.toml", None).unwrap();
        assert!(!read("").error_detail());
        assert!(read("[wfm]\nerror_detail = true\n").error_detail());
        // A `[wfm]` table without the key keeps the profile's choice.
        assert!(read("profile = \"seed\"\n[wfm]\nbusiness_units = 2\n").error_detail());
        assert!(!read("profile = \"seed\"\n[wfm]\nerror_detail = false\n").error_detail());
    }
}
