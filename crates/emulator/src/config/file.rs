//! Reading the TOML configuration file over its profile: the file's shape, and the phases that
//! set each of its tables, every error naming the file, the line and the key.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::Path;

use pacer_core::limiter::{Algorithm, LimitSpec};
use serde::Deserialize;

use super::faults::Faults;
use super::limiter::{LimiterConfig, MINT_LIMIT_KEY, MINT_NAMESPACE, PLATFORM_NAMESPACE, Scope};
use super::locate::{Source, locate_toml_error};
use super::oauth::{ClientConfig, OAuthConfig};
use super::resolved::{Config, MAX_AGENTS, Profile, Responses};
use super::wfm::WfmConfig;
use crate::error::EmulatorError;
use crate::route::RoutePattern;
use crate::style::{BodyStyle, HeaderStyle};
use crate::units::NonZeroDuration;

impl Config {
    /// Reads a configuration file on top of its profile (or `profile` when given, which wins).
    pub fn from_file(path: &Path, profile: Option<Profile>) -> Result<Config, EmulatorError> {
        let text = std::fs::read_to_string(path).map_err(|source| EmulatorError::ReadConfig {
            file: path.display().to_string(),
            source,
        })?;
        Config::from_toml(&text, &path.display().to_string(), profile)
    }

    /// Parses configuration text; `file` names it in errors.
    pub fn from_toml(
        text: &str,
        file: &str,
        profile: Option<Profile>,
    ) -> Result<Config, EmulatorError> {
        let parsed: FileConfig =
            toml::from_str(text).map_err(|err| locate_toml_error(text, file, &err))?;
        let mut config = Config::profile(profile.or(parsed.profile).unwrap_or(Profile::Genesys));
        parsed.apply(&mut config, &Source { text, file })?;
        config.validate()?;
        Ok(config)
    }
}

/// The file's top-level keys and tables, each optional.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    profile: Option<Profile>,
    listen: Option<SocketAddr>,
    agents: Option<u32>,
    seed: Option<u64>,
    request_bytes_max: Option<NonZeroU32>,
    seed_routes: Option<bool>,
    oauth: Option<FileOAuth>,
    responses: Option<FileResponses>,
    limiters: Option<Vec<FileLimiter>>,
    faults: Option<Faults>,
    wfm: Option<WfmConfig>,
}

/// The `[oauth]` table.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileOAuth {
    clients: Option<Vec<ClientConfig>>,
    token_lifetime: Option<NonZeroDuration>,
    mint_limit: Option<FileMintLimit>,
    limit_minting: Option<bool>,
}

/// The `[oauth.mint_limit]` table.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileMintLimit {
    key: Option<String>,
    namespace: Option<String>,
    algorithm: Algorithm,
    limit: NonZeroU32,
    window: NonZeroDuration,
    burst: Option<NonZeroU32>,
}

/// The `[responses]` table.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileResponses {
    rate_limit_body: Option<BodyStyle>,
    rate_limit_headers: Option<HeaderStyle>,
    limit_object: Option<bool>,
}

/// One `[[limiters]]` entry.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileLimiter {
    key: String,
    namespace: Option<String>,
    scope: Option<Scope>,
    algorithm: Algorithm,
    limit: NonZeroU32,
    window: NonZeroDuration,
    burst: Option<NonZeroU32>,
    routes: Option<Vec<RoutePattern>>,
    advertise: Option<bool>,
}

impl FileConfig {
    /// Sets every key the file gives over `config`, table by table.
    fn apply(self, config: &mut Config, source: &Source<'_>) -> Result<(), EmulatorError> {
        self.apply_top_level(config, source)?;
        if let Some(oauth) = self.oauth {
            oauth.apply(&mut config.oauth, source)?;
        }
        if let Some(responses) = self.responses {
            responses.apply(&mut config.responses);
        }
        if let Some(limiters) = self.limiters {
            config.limiters = limiters.into_iter().map(FileLimiter::resolve).collect();
        }
        if let Some(faults) = self.faults {
            config.faults = faults;
        }
        if let Some(mut wfm) = self.wfm {
            // The units' default zones are the profile's.
            wfm.zones = config.wfm.zones;
            if let Err((key, message)) = wfm.validate() {
                return Err(source.error(&key, message));
            }
            config.wfm = wfm;
        }
        Ok(())
    }

    /// The keys outside any table: the address, the agents, the seed, the body cap and the seed
    /// thread's routes.
    fn apply_top_level(
        &self,
        config: &mut Config,
        source: &Source<'_>,
    ) -> Result<(), EmulatorError> {
        if let Some(listen) = self.listen {
            config.listen = listen;
        }
        if let Some(agents) = self.agents {
            if agents > MAX_AGENTS {
                return Err(source.error(
                    "agents",
                    format!("at most {MAX_AGENTS} agents are supported"),
                ));
            }
            config.agents = agents;
        }
        if let Some(seed) = self.seed {
            config.seed = seed;
        }
        if let Some(max) = self.request_bytes_max {
            config.request_bytes_max = max.get() as usize;
        }
        if let Some(seed_routes) = self.seed_routes {
            config.seed_routes = seed_routes;
        }
        Ok(())
    }
}

impl FileOAuth {
    /// Sets the clients, the tokens' lifetime and the minting limit (or none).
    fn apply(self, oauth: &mut OAuthConfig, source: &Source<'_>) -> Result<(), EmulatorError> {
        if let Some(clients) = self.clients {
            if clients.is_empty() {
                return Err(source.error("oauth.clients", "at least one client is needed".into()));
            }
            oauth.clients = clients;
        }
        if let Some(lifetime) = self.token_lifetime {
            oauth.token_lifetime = lifetime.0;
        }
        if let Some(limit) = self.mint_limit {
            oauth.mint_limit = Some(limit.resolve());
        }
        if self.limit_minting == Some(false) {
            oauth.mint_limit = None;
        }
        Ok(())
    }
}

impl FileMintLimit {
    /// The minting limiter: per client, on every route, never advertised.
    fn resolve(self) -> LimiterConfig {
        let burst = self.burst.unwrap_or(self.limit);
        LimiterConfig {
            key: self.key.unwrap_or_else(|| MINT_LIMIT_KEY.into()),
            namespace: self.namespace.unwrap_or_else(|| MINT_NAMESPACE.into()),
            scope: Scope::Client,
            spec: LimitSpec {
                algorithm: self.algorithm,
                limit: self.limit.get(),
                window: self.window.0,
                burst: burst.get(),
            },
            routes: vec![RoutePattern::all()],
            advertise: false,
        }
    }
}

impl FileResponses {
    /// Sets the styles the file names.
    fn apply(self, responses: &mut Responses) {
        if let Some(body) = self.rate_limit_body {
            responses.rate_limit_body = body;
        }
        if let Some(headers) = self.rate_limit_headers {
            responses.rate_limit_headers = headers;
        }
        if let Some(limit_object) = self.limit_object {
            responses.limit_object = limit_object;
        }
    }
}

impl FileLimiter {
    /// The limiter, with the defaults of every key left out.
    fn resolve(self) -> LimiterConfig {
        LimiterConfig {
            spec: LimitSpec {
                algorithm: self.algorithm,
                limit: self.limit.get(),
                window: self.window.0,
                burst: self.burst.unwrap_or(self.limit).get(),
            },
            key: self.key,
            namespace: self.namespace.unwrap_or_else(|| PLATFORM_NAMESPACE.into()),
            scope: self.scope.unwrap_or(Scope::Token),
            routes: self.routes.unwrap_or_else(|| vec![RoutePattern::all()]),
            advertise: self.advertise.unwrap_or(true),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    use crate::route::Route;
    use crate::units::DurationText;

    fn config_error(text: &str) -> (usize, String, String) {
        match Config::from_toml(text, "emu.toml", None) {
            Err(EmulatorError::Config {
                file,
                line,
                key,
                message,
            }) => {
                assert_eq!(file, "emu.toml");
                (line, key, message)
            }
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    #[test]
    fn a_full_file_is_read() {
        let text = r#"
profile = "seed"
listen = "127.0.0.1:0"
agents = 500
seed = 9

[oauth]
token_lifetime = "1h"
clients = [{ id = "a", secret = "b" }]

[responses]
rate_limit_headers = "ietf"

[[limiters]]
key = "token.rate.per.minute"
algorithm = "sliding-window"
limit = 60
window = "1m"

[[limiters]]
key = "wfm.schedule.per.user"
scope = "user"
algorithm = "fixed-window"
limit = 2
window = "10s"
routes = ["PUT /api/v2/wfm/usersettings/{userId}/schedule"]
advertise = false

[faults]
latency = "1ms..3ms"
reset_rate = 0.01
revoke_tokens_at = "30m"
errors = [{ status = 503, rate = 0.05, retry_after = "5s" }]
maintenance = [{ start = "10m", duration = "1m" }]
"#;
        let config = Config::from_toml(text, "f.toml", None).unwrap();
        assert_eq!(config.profile, Profile::Seed);
        assert_eq!(config.agents, 500);
        assert_eq!(config.oauth.token_lifetime, Duration::from_secs(3600));
        assert_eq!(config.oauth.clients[0].id, "a");
        assert_eq!(config.responses.rate_limit_headers, HeaderStyle::Ietf);
        assert_eq!(config.responses.rate_limit_body, BodyStyle::Seed);
        assert_eq!(config.limiters.len(), 2);
        assert_eq!(config.limiters[0].spec.burst, 60);
        assert_eq!(config.limiters[0].namespace, PLATFORM_NAMESPACE);
        assert!(config.limiters[1].covers(Route::PutSchedule));
        assert!(!config.limiters[1].covers(Route::GetSchedule));
        assert_eq!(
            config.faults.errors[0].retry_after,
            Some(DurationText(Duration::from_secs(5)))
        );
        assert_eq!(config.faults.maintenance[0].end(), Duration::from_secs(660));
        assert_eq!(
            config.faults.revoke_tokens_at,
            Some(Duration::from_secs(1800))
        );
    }

    #[test]
    fn bad_config_names_file_line_and_key() {
        let (line, key, message) = config_error(
            "agents = 10\n\n[[limiters]]\nkey = \"k\"\nalgorithm = \"fixed-window\"\nlimit = 5\nwindow = \"60s\"\nburst = 0\n",
        );
        assert_eq!((line, key.as_str()), (8, "limiters[0].burst"), "{message}");
        let (line, key, _) = config_error(
            "agents = 10\n\n[[limiters]]\nkey = \"k\"\nalgorithm = \"fixed-window\"\nlimit = 5\nwindow = \"0s\"\n",
        );
        assert_eq!((line, key.as_str()), (7, "limiters[0].window"));
        let (line, key, message) = config_error("agents = 10\n[faults]\nlatncy = \"5ms\"\n");
        assert_eq!((line, key.as_str()), (3, "faults.latncy"), "{message}");
        assert!(message.contains("unknown field"), "{message}");
        let (line, key, _) = config_error("agents = \"many\"\n");
        assert_eq!((line, key.as_str()), (1, "agents"));
        let (line, key, _) = config_error("# comment\nprofile = \"prod\"\n");
        assert_eq!((line, key.as_str()), (2, "profile"));
        let (line, key, _) = config_error("agents = 20000000\n");
        assert_eq!((line, key.as_str()), (1, "agents"));
        let (line, key, _) = config_error(
            "[[limiters]]\nkey = \"a\"\nalgorithm = \"fixed-window\"\nlimit = 1\nwindow = \"1s\"\n\n[[limiters]]\nkey = \"b\"\nalgorithm = \"leaky\"\n",
        );
        assert_eq!((line, key.as_str()), (9, "limiters[1].algorithm"));
        let (line, key, message) =
            config_error("[[limiters]]\nkey = \"a\"\nlimit = 1\nwindow = \"1s\"\n");
        assert_eq!(
            (line, key.as_str()),
            (1, "limiters[0].algorithm"),
            "{message}"
        );
        let (_, key, _) = config_error(
            "[[limiters]]\nkey = \"a\"\nalgorithm = \"fixed-window\"\nlimit = 1\nwindow = \"1s\"\nroutes = [\"/nope\"]\n",
        );
        assert_eq!(key, "limiters[0].routes");
        let (line, key, _) = config_error("[faults]\nerrors = [{ status = 404, rate = 0.1 }]\n");
        assert_eq!((line, key.as_str()), (2, "faults.errors"));
    }
}
