//! The emulator's configuration: built-in profiles, the TOML file that overrides them, and the
//! command-line overrides applied last.
//!
//! Precedence, lowest first: the profile (`genesys` unless the file or `--profile` names another),
//! the file's keys, then the flags. Every key of the file is optional and unknown keys are errors;
//! errors name the file, the line and the key.

use std::fmt;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use pacer_core::limiter::{Algorithm, LimitSpec};
use serde::Deserialize;

use crate::error::EmulatorError;
use crate::route::{Route, RoutePattern};
pub use crate::style::{BodyStyle, HeaderStyle};
use crate::units::{DurationText, Latency, NonZeroDuration, Probability, Rate, parse_duration};
use crate::wfm::WfmConfig;

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
/// The demo client's id, printed at start.
pub const DEMO_CLIENT_ID: &str = "pacer-demo";
/// The demo client's secret, printed at start.
pub const DEMO_CLIENT_SECRET: &str = "pacer-demo-secret";
/// The real `request.bytes.max`.
pub const REQUEST_BYTES_MAX: usize = 512_000;

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

/// One OAuth client the emulator accepts.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    pub id: String,
    pub secret: String,
}

impl fmt::Debug for ClientConfig {
    // The secret never appears in Debug output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("id", &self.id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// OAuth settings.
#[derive(Debug, Clone, PartialEq)]
pub struct OAuthConfig {
    pub clients: Vec<ClientConfig>,
    /// Lifetime of minted tokens (the real default is 86400 s).
    pub token_lifetime: Duration,
    /// The limit on minting tokens, per client; `None` for no limit.
    pub mint_limit: Option<LimiterConfig>,
}

/// How answers look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Responses {
    pub rate_limit_body: BodyStyle,
    pub rate_limit_headers: HeaderStyle,
    /// Whether the Genesys 429 body carries the `limit` object.
    pub limit_object: bool,
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
    /// Whether this limiter applies to `route`.
    pub fn covers(&self, route: Route) -> bool {
        (self.scope != Scope::User || route.has_user())
            && self.routes.iter().any(|p| p.matches(route))
    }
}

/// A server error injected at a given rate.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorFault {
    pub status: FaultStatus,
    pub rate: Probability,
    /// A Retry-After to send with the error (useful with 503).
    #[serde(default)]
    pub retry_after: Option<DurationText>,
}

impl FromStr for ErrorFault {
    type Err = String;

    /// `STATUS=RATE` or `STATUS=RATE:RETRY_AFTER`, e.g. `503=0.02:5s`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let shape = || format!("`{s}` is not STATUS=RATE[:RETRY_AFTER] (e.g. 503=0.02:5s)");
        let (status, rest) = s.split_once('=').ok_or_else(shape)?;
        let status: FaultStatus = status.trim().parse()?;
        let (rate, retry_after) = match rest.split_once(':') {
            Some((rate, after)) => (rate, Some(DurationText(parse_duration(after)?))),
            None => (rest, None),
        };
        Ok(ErrorFault {
            status,
            rate: rate.parse()?,
            retry_after,
        })
    }
}

/// A status the emulator may inject: 500, 502, 503 or 504.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultStatus(pub u16);

impl FromStr for FaultStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let status: u16 = s.parse().map_err(|_| format!("`{s}` is not a status"))?;
        FaultStatus::new(status)
    }
}

impl FaultStatus {
    fn new(status: u16) -> Result<Self, String> {
        match status {
            500 | 502 | 503 | 504 => Ok(FaultStatus(status)),
            other => Err(format!(
                "status {other} cannot be injected (use 500, 502, 503 or 504)"
            )),
        }
    }
}

impl<'de> Deserialize<'de> for FaultStatus {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        FaultStatus::new(u16::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// A period during which every API request gets an error with Retry-After until the period ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Maintenance {
    /// Start, from the emulator's start.
    #[serde(deserialize_with = "de_duration")]
    pub start: Duration,
    #[serde(deserialize_with = "de_nonzero_duration")]
    pub duration: Duration,
    #[serde(default = "default_maintenance_status")]
    pub status: FaultStatus,
}

fn default_maintenance_status() -> FaultStatus {
    FaultStatus(503)
}

fn de_duration<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    DurationText::deserialize(d).map(|d| d.0)
}

fn de_nonzero_duration<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    NonZeroDuration::deserialize(d).map(|d| d.0)
}

impl FromStr for Maintenance {
    type Err = String;

    /// `START+DURATION`, e.g. `10m+2m`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (start, duration) = s
            .split_once('+')
            .ok_or_else(|| format!("`{s}` is not START+DURATION (e.g. 10m+2m)"))?;
        let duration = parse_duration(duration)?;
        if duration.is_zero() {
            return Err(format!("`{s}`: the duration must be longer than zero"));
        }
        Ok(Maintenance {
            start: parse_duration(start)?,
            duration,
            status: FaultStatus(503),
        })
    }
}

impl Maintenance {
    /// The end of the window, from the emulator's start.
    pub fn end(&self) -> Duration {
        self.start + self.duration
    }
}

/// Injected faults; none by default.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Faults {
    pub latency: Latency,
    pub errors: Vec<ErrorFault>,
    /// Probability that a request's connection is reset instead of answered.
    pub reset_rate: Option<Probability>,
    pub maintenance: Vec<Maintenance>,
    /// When every token minted before this moment stops working.
    #[serde(deserialize_with = "de_opt_duration")]
    pub revoke_tokens_at: Option<Duration>,
}

fn de_opt_duration<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    DurationText::deserialize(d).map(|d| Some(d.0))
}

impl Faults {
    /// True when no fault is configured, so the hot path can skip them.
    pub fn is_empty(&self) -> bool {
        self.latency.is_none()
            && self.errors.iter().all(|e| e.rate.0 == 0.0)
            && self.reset_rate.is_none_or(|p| p.0 == 0.0)
            && self.maintenance.is_empty()
            && self.revoke_tokens_at.is_none()
    }
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
}

/// The most agents the emulator will hold.
pub const MAX_AGENTS: u32 = 10_000_000;

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
            wfm: WfmConfig::default(),
        }
    }

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
        let at = |key: &str, message: String| EmulatorError::Config {
            file: file.to_string(),
            line: line_of_key(text, key),
            key: key.to_string(),
            message,
        };
        if let Some(listen) = parsed.listen {
            config.listen = listen;
        }
        if let Some(agents) = parsed.agents {
            if agents > MAX_AGENTS {
                return Err(at(
                    "agents",
                    format!("at most {MAX_AGENTS} agents are supported"),
                ));
            }
            config.agents = agents;
        }
        if let Some(seed) = parsed.seed {
            config.seed = seed;
        }
        if let Some(max) = parsed.request_bytes_max {
            config.request_bytes_max = max.get() as usize;
        }
        if let Some(seed_routes) = parsed.seed_routes {
            config.seed_routes = seed_routes;
        }
        if let Some(oauth) = parsed.oauth {
            if let Some(clients) = oauth.clients {
                if clients.is_empty() {
                    return Err(at("oauth.clients", "at least one client is needed".into()));
                }
                config.oauth.clients = clients;
            }
            if let Some(lifetime) = oauth.token_lifetime {
                config.oauth.token_lifetime = lifetime.0;
            }
            if let Some(limit) = oauth.mint_limit {
                let burst = limit.burst.unwrap_or(limit.limit);
                config.oauth.mint_limit = Some(LimiterConfig {
                    key: limit.key.unwrap_or_else(|| MINT_LIMIT_KEY.into()),
                    namespace: limit.namespace.unwrap_or_else(|| MINT_NAMESPACE.into()),
                    scope: Scope::Client,
                    spec: LimitSpec {
                        algorithm: limit.algorithm,
                        limit: limit.limit.get(),
                        window: limit.window.0,
                        burst: burst.get(),
                    },
                    routes: vec![RoutePattern::all()],
                    advertise: false,
                });
            }
            if oauth.limit_minting == Some(false) {
                config.oauth.mint_limit = None;
            }
        }
        if let Some(responses) = parsed.responses {
            if let Some(body) = responses.rate_limit_body {
                config.responses.rate_limit_body = body;
            }
            if let Some(headers) = responses.rate_limit_headers {
                config.responses.rate_limit_headers = headers;
            }
            if let Some(limit_object) = responses.limit_object {
                config.responses.limit_object = limit_object;
            }
        }
        if let Some(limiters) = parsed.limiters {
            config.limiters = limiters
                .into_iter()
                .map(|l| LimiterConfig {
                    spec: LimitSpec {
                        algorithm: l.algorithm,
                        limit: l.limit.get(),
                        window: l.window.0,
                        burst: l.burst.unwrap_or(l.limit).get(),
                    },
                    key: l.key,
                    namespace: l.namespace.unwrap_or_else(|| PLATFORM_NAMESPACE.into()),
                    scope: l.scope.unwrap_or(Scope::Token),
                    routes: l.routes.unwrap_or_else(|| vec![RoutePattern::all()]),
                    advertise: l.advertise.unwrap_or(true),
                })
                .collect();
        }
        if let Some(faults) = parsed.faults {
            config.faults = faults;
        }
        if let Some(wfm) = parsed.wfm {
            if let Err((key, message)) = wfm.validate() {
                return Err(at(key, message));
            }
            config.wfm = wfm;
        }
        config.validate()?;
        Ok(config)
    }

    /// Resolves profile, file and flags into the configuration to run.
    pub fn resolve(overrides: &Overrides) -> Result<Config, EmulatorError> {
        let mut config = match &overrides.config {
            Some(path) => Config::from_file(path, overrides.profile)?,
            None => Config::profile(overrides.profile.unwrap_or(Profile::Genesys)),
        };
        overrides.apply(&mut config)?;
        config.validate()?;
        Ok(config)
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
            return Err(EmulatorError::setting(key, reason));
        }
        if self.oauth.token_lifetime.is_zero() {
            return Err(EmulatorError::setting(
                "oauth.token_lifetime",
                "must be longer than zero",
            ));
        }
        Ok(())
    }

    /// The first limiter scoped to tokens, which `--token-rate`, `--burst` and `--algorithm` change.
    pub fn token_limiter_mut(&mut self) -> Option<&mut LimiterConfig> {
        self.limiters.iter_mut().find(|l| l.scope == Scope::Token)
    }
}

/// Settings from the command line, applied over the profile and the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub profile: Option<Profile>,
    pub config: Option<PathBuf>,
    pub listen: Option<SocketAddr>,
    pub agents: Option<u32>,
    pub seed: Option<u64>,
    /// The per-token limit's rate.
    pub token_rate: Option<Rate>,
    /// The per-token limit's burst.
    pub burst: Option<u32>,
    /// The per-token limit's algorithm.
    pub algorithm: Option<Algorithm>,
    pub latency: Option<Latency>,
    /// Removes every limiter (and the minting limit): the "limits off" mode used in benchmarks.
    pub no_limits: bool,
    /// Adds (or replaces) the organization-wide limit shared by every token, after `no_limits`.
    pub org_rate: Option<Rate>,
    pub error_rates: Vec<ErrorFault>,
    pub reset_rate: Option<Probability>,
    pub maintenance: Vec<Maintenance>,
    pub revoke_tokens_at: Option<Duration>,
    pub business_units: Option<u32>,
    pub bulk_processing: Option<Duration>,
    pub bulk_error_rate: Option<Probability>,
    pub drop_notifications: Option<Probability>,
    pub heartbeat: Option<Duration>,
    pub today: Option<String>,
}

impl Overrides {
    /// Applies these overrides to `config`.
    pub fn apply(&self, config: &mut Config) -> Result<(), EmulatorError> {
        if let Some(listen) = self.listen {
            config.listen = listen;
        }
        if let Some(agents) = self.agents {
            config.agents = agents;
        }
        if let Some(seed) = self.seed {
            config.seed = seed;
        }
        let touches_token_limit =
            self.token_rate.is_some() || self.burst.is_some() || self.algorithm.is_some();
        if self.no_limits && touches_token_limit {
            return Err(EmulatorError::setting(
                "--no-limits",
                "cannot be combined with --token-rate, --burst or --algorithm",
            ));
        }
        if touches_token_limit {
            if config.token_limiter_mut().is_none() {
                config
                    .limiters
                    .push(Config::profile(Profile::Genesys).limiters.remove(0));
            }
            let limiter = config
                .token_limiter_mut()
                .expect("a token limiter was just ensured");
            if let Some(rate) = self.token_rate {
                limiter.spec.limit = rate.limit;
                limiter.spec.window = rate.window;
                // A fixed or sliding window's burst follows its limit unless set explicitly.
                if limiter.spec.algorithm != Algorithm::TokenBucket && self.burst.is_none() {
                    limiter.spec.burst = rate.limit;
                }
            }
            if let Some(algorithm) = self.algorithm {
                limiter.spec.algorithm = algorithm;
            }
            if let Some(burst) = self.burst {
                if burst == 0 {
                    return Err(EmulatorError::setting("--burst", "must be at least 1"));
                }
                limiter.spec.burst = burst;
            }
        }
        if self.no_limits {
            config.limiters.clear();
            config.oauth.mint_limit = None;
        }
        if let Some(rate) = self.org_rate {
            config.limiters.retain(|l| l.key != ORG_LIMIT_KEY);
            config.limiters.push(LimiterConfig {
                key: ORG_LIMIT_KEY.into(),
                namespace: PLATFORM_NAMESPACE.into(),
                scope: Scope::Organization,
                spec: LimitSpec {
                    algorithm: Algorithm::FixedWindow,
                    limit: rate.limit,
                    window: rate.window,
                    burst: rate.limit,
                },
                routes: vec![RoutePattern::all()],
                advertise: true,
            });
        }
        if let Some(latency) = self.latency {
            config.faults.latency = latency;
        }
        config
            .faults
            .errors
            .extend(self.error_rates.iter().copied());
        if let Some(rate) = self.reset_rate {
            config.faults.reset_rate = Some(rate);
        }
        config
            .faults
            .maintenance
            .extend(self.maintenance.iter().copied());
        if let Some(at) = self.revoke_tokens_at {
            config.faults.revoke_tokens_at = Some(at);
        }
        self.apply_wfm(&mut config.wfm);
        Ok(())
    }
}

impl Overrides {
    fn apply_wfm(&self, wfm: &mut WfmConfig) {
        if let Some(units) = self.business_units {
            wfm.business_units = units;
        }
        if let Some(time) = self.bulk_processing {
            wfm.bulk_processing = time;
        }
        if let Some(rate) = self.bulk_error_rate {
            wfm.bulk_error_rate = rate;
        }
        if let Some(rate) = self.drop_notifications {
            wfm.drop_notifications = rate;
        }
        if let Some(every) = self.heartbeat {
            wfm.heartbeat = every;
        }
        if let Some(today) = &self.today {
            wfm.today = Some(today.clone());
        }
    }
}

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileOAuth {
    clients: Option<Vec<ClientConfig>>,
    token_lifetime: Option<NonZeroDuration>,
    mint_limit: Option<FileMintLimit>,
    limit_minting: Option<bool>,
}

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileResponses {
    rate_limit_body: Option<BodyStyle>,
    rate_limit_headers: Option<HeaderStyle>,
    limit_object: Option<bool>,
}

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

/// Turns a TOML error into one that names the file, the line and the dotted key.
fn locate_toml_error(text: &str, file: &str, err: &toml::de::Error) -> EmulatorError {
    let message = err.message().trim().to_string();
    let offset = err.span().map_or(0, |span| span.start);
    let line = text[..offset.min(text.len())].matches('\n').count() + 1;
    let mut key = key_at_line(text, line);
    // Errors about a table (a missing or unknown field) name the field in the message.
    for marker in ["unknown field `", "missing field `"] {
        if let Some(rest) = message.split(marker).nth(1)
            && let Some(field) = rest.split('`').next()
        {
            let table = table_at_line(text, line);
            key = if table.is_empty() {
                field.to_string()
            } else {
                format!("{table}.{field}")
            };
            if marker == "unknown field `" {
                key = key_named_on_line(text, line, field).unwrap_or(key);
            }
        }
    }
    EmulatorError::Config {
        file: file.to_string(),
        line,
        key,
        message,
    }
}

/// The dotted path of the key on line `line` (1-based), including its table header.
fn key_at_line(text: &str, line: usize) -> String {
    let table = table_at_line(text, line);
    let source = text.lines().nth(line - 1).unwrap_or("");
    let trimmed = source.trim_start();
    if trimmed.starts_with('[') {
        return table;
    }
    match trimmed.split_once('=') {
        Some((name, _)) => {
            let name = name.trim().trim_matches('"');
            if table.is_empty() {
                name.to_string()
            } else {
                format!("{table}.{name}")
            }
        }
        None => table,
    }
}

/// The dotted key on `line` whose last part is `field`, for errors that point at the key itself.
fn key_named_on_line(text: &str, line: usize, field: &str) -> Option<String> {
    let key = key_at_line(text, line);
    (key == field || key.ends_with(&format!(".{field}"))).then_some(key)
}

/// The table header in force at line `line`, with array-of-tables indexes (`limiters[1]`).
fn table_at_line(text: &str, line: usize) -> String {
    let mut current = String::new();
    let mut counts: Vec<(String, usize)> = Vec::new();
    for source in text.lines().take(line) {
        let trimmed = source.trim();
        if let Some(name) = trimmed
            .strip_prefix("[[")
            .and_then(|r| r.split("]]").next())
        {
            let name = name.trim().to_string();
            let index = match counts.iter_mut().find(|(n, _)| *n == name) {
                Some((_, count)) => {
                    *count += 1;
                    *count - 1
                }
                None => {
                    counts.push((name.clone(), 1));
                    0
                }
            };
            // A nested array (e.g. [[oauth.clients]]) keeps its parent's path unchanged.
            current = format!("{name}[{index}]");
        } else if let Some(name) = trimmed.strip_prefix('[').and_then(|r| r.split(']').next()) {
            current = name.trim().to_string();
        }
    }
    current
}

/// The line where `key` (a dotted path such as `agents` or `oauth.clients`) is set; 1 if unknown.
fn line_of_key(text: &str, key: &str) -> usize {
    let (table, name) = match key.rsplit_once('.') {
        Some((table, name)) => (table, name),
        None => ("", key),
    };
    let mut current = String::new();
    for (i, source) in text.lines().enumerate() {
        let trimmed = source.trim();
        if trimmed.starts_with('[') {
            current = trimmed
                .trim_matches(|c| c == '[' || c == ']')
                .trim()
                .to_string();
            if current == key {
                return i + 1;
            }
            continue;
        }
        if let Some((k, _)) = trimmed.split_once('=')
            && current == table
            && k.trim() == name
        {
            return i + 1;
        }
    }
    1
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn flags_override_the_token_limit_and_refuse_zero() {
        let mut config = Config::profile(Profile::Genesys);
        let overrides = Overrides {
            token_rate: Some("120/min".parse().unwrap()),
            algorithm: Some(Algorithm::TokenBucket),
            burst: Some(5),
            ..Overrides::default()
        };
        overrides.apply(&mut config).unwrap();
        let spec = config.limiters[0].spec;
        assert_eq!(
            (spec.algorithm, spec.limit, spec.burst),
            (Algorithm::TokenBucket, 120, 5)
        );
        let zero = Overrides {
            burst: Some(0),
            ..Overrides::default()
        };
        let err = zero.apply(&mut Config::profile(Profile::Seed)).unwrap_err();
        assert!(err.is_usage());
        let mut config = Config::profile(Profile::Seed);
        Overrides {
            no_limits: true,
            ..Overrides::default()
        }
        .apply(&mut config)
        .unwrap();
        assert!(config.limiters.is_empty() && config.oauth.mint_limit.is_none());
    }

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
    fn client_secrets_are_redacted_in_debug() {
        let text = format!("{:?}", Config::profile(Profile::Genesys));
        assert!(!text.contains(DEMO_CLIENT_SECRET));
    }
}
