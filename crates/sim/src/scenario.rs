//! Scenarios: a server model (limits, latency, faults, headers) and what the client knows beforehand.
//!
//! Scenarios are TOML files or one of the built-ins (`seed`, `genesys`, `hidden`, `noisy`,
//! `maintenance`). The file format is the serde shape of [`Scenario`]; see `BUILTIN_TOML` below for
//! complete examples, which are parsed with the same code as user files.

use std::time::Duration;

use pacer_core::limiter::{Algorithm, LimitSpec, Limiter, admit_all};
use serde::{Deserialize, Serialize};

use crate::SimError;

/// One scenario: a server and what the client knows of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// The name shown in results.
    pub name: String,
    /// One sentence on what it models.
    #[serde(default)]
    pub description: String,
    /// Items to write when the caller does not say.
    #[serde(default = "default_items")]
    pub items: u64,
    /// The seed of every random draw (latency, faults, jitter) when the caller does not say.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// The server model.
    pub server: ServerSpec,
    /// What the client knows before the first request.
    #[serde(default)]
    pub client: ClientKnowledge,
}

fn default_items() -> u64 {
    500
}

fn default_seed() -> u64 {
    1
}

/// The server model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSpec {
    /// The limits every request must pass, all at once.
    pub limits: Vec<LayerSpec>,
    /// Which rate-limit headers describe the advertised limits.
    #[serde(default)]
    pub headers: HeaderStyleSpec,
    /// The round-trip time of one request.
    #[serde(default)]
    pub latency: LatencySpec,
    /// The share of requests answered 503 without Retry-After, before any limit counts them.
    #[serde(default)]
    pub error_rate: f64,
    /// Periods when every request is answered 503 with Retry-After.
    #[serde(default)]
    pub maintenance: Vec<MaintenanceSpec>,
}

/// Which scope a limit counts: the token (every request) or the one endpoint the items use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum LayerScope {
    /// Per token.
    #[default]
    Token,
    /// Per endpoint.
    Endpoint,
}

/// One limit of the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerSpec {
    /// What it counts.
    #[serde(default)]
    pub scope: LayerScope,
    /// How it counts.
    pub algorithm: Algorithm,
    /// Requests per window.
    pub limit: u32,
    /// The window, in seconds.
    pub window_s: f64,
    /// The bucket's capacity (token buckets only); the limit when absent.
    #[serde(default)]
    pub burst: Option<u32>,
    /// Whether the rate-limit headers describe it.
    #[serde(default = "yes")]
    pub advertised: bool,
    /// The key a 429 body names (`limit {key, namespace, value}`); no `limit` object when absent.
    #[serde(default)]
    pub key: Option<String>,
}

fn yes() -> bool {
    true
}

impl LayerSpec {
    /// The limiter specification.
    pub fn spec(&self) -> Result<LimitSpec, SimError> {
        let window = Duration::try_from_secs_f64(self.window_s).map_err(|_| {
            SimError::Invalid(format!("window_s {} is not a duration", self.window_s))
        })?;
        let spec = LimitSpec {
            algorithm: self.algorithm,
            limit: self.limit,
            window,
            burst: self.burst.unwrap_or(self.limit),
        };
        spec.validate().map_err(SimError::Limit)?;
        Ok(spec)
    }
}

/// Rate-limit header styles the server can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum HeaderStyleSpec {
    /// No rate-limit headers (the real Genesys Cloud API).
    #[default]
    None,
    /// `X-RateLimit-Limit`, `-Remaining` and `-Reset` (delta seconds, rounded up).
    XRatelimit,
}

/// A latency distribution of round-trip times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatencySpec {
    /// `fixed`, `uniform` (median ± spread) or `lognormal` (median, spread = sigma).
    #[serde(default = "lognormal")]
    pub distribution: String,
    /// The median round-trip time, in milliseconds.
    #[serde(default = "median")]
    pub median_ms: f64,
    /// For `uniform`, the half-width in milliseconds; for `lognormal`, sigma.
    #[serde(default = "spread")]
    pub spread: f64,
    /// No round trip is longer than this, in milliseconds.
    #[serde(default = "max_latency")]
    pub max_ms: f64,
}

fn lognormal() -> String {
    "lognormal".into()
}
fn median() -> f64 {
    200.0
}
fn spread() -> f64 {
    0.25
}
fn max_latency() -> f64 {
    2_000.0
}

impl Default for LatencySpec {
    fn default() -> Self {
        Self {
            distribution: lognormal(),
            median_ms: median(),
            spread: spread(),
            max_ms: max_latency(),
        }
    }
}

/// A period of maintenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceSpec {
    /// When it starts, in seconds from the run's start.
    pub start_s: f64,
    /// How long it lasts, in seconds.
    pub duration_s: f64,
}

/// What the client knows beforehand; only the `pacer` strategy uses it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ClientKnowledge {
    /// A limit the user declares for the token (exact algorithm and numbers).
    #[serde(default)]
    pub declared: Option<LayerSpec>,
    /// What the organization's limits API reports for the token: a count per window.
    #[serde(default)]
    pub org_limit: Option<OrgLimitSpec>,
}

/// An organization limit as the limits API reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgLimitSpec {
    /// Requests per window.
    pub limit: u32,
    /// The window, in seconds.
    pub window_s: f64,
}

/// The built-in scenarios, as TOML.
pub const BUILTIN_TOML: &[(&str, &str)] = &[
    (
        "seed",
        r#"
name = "seed"
description = "The thread's world: a token bucket of 300/min with a burst of 10, advertised in X-RateLimit headers."
[server]
headers = "x-ratelimit"
[[server.limits]]
algorithm = "token-bucket"
limit = 300
window_s = 60
burst = 10
"#,
    ),
    (
        "genesys",
        r#"
name = "genesys"
description = "The real API: a fixed 60 s window of 300 per token, no rate-limit headers, the limit named in 429 bodies and reported by the org limits API."
[server]
headers = "none"
[[server.limits]]
algorithm = "fixed-window"
limit = 300
window_s = 60
key = "client.credentials.token.rate.per.minute"
[client.org_limit]
limit = 300
window_s = 60
"#,
    ),
    (
        "hidden",
        r#"
name = "hidden"
description = "The seed's advertised token bucket plus an unadvertised fixed window of 120/min on the endpoint, not named in 429 bodies."
[server]
headers = "x-ratelimit"
[[server.limits]]
algorithm = "token-bucket"
limit = 300
window_s = 60
burst = 10
[[server.limits]]
scope = "endpoint"
algorithm = "fixed-window"
limit = 120
window_s = 60
advertised = false
"#,
    ),
    (
        "noisy",
        r#"
name = "noisy"
description = "The seed's limits with 5% of requests answered 503 (without Retry-After) by a struggling backend."
[server]
headers = "x-ratelimit"
error_rate = 0.05
[[server.limits]]
algorithm = "token-bucket"
limit = 300
window_s = 60
burst = 10
"#,
    ),
    (
        "maintenance",
        r#"
name = "maintenance"
description = "The seed's limits with 30 s of maintenance from t = 20 s: every request is answered 503 with Retry-After."
[server]
headers = "x-ratelimit"
[[server.limits]]
algorithm = "token-bucket"
limit = 300
window_s = 60
burst = 10
[[server.maintenance]]
start_s = 20
duration_s = 30
"#,
    ),
];

impl Scenario {
    /// Parses a scenario file's text.
    pub fn from_toml(text: &str) -> Result<Self, SimError> {
        let scenario: Scenario = toml::from_str(text).map_err(|e| SimError::Toml(Box::new(e)))?;
        scenario.validate()?;
        Ok(scenario)
    }

    /// A built-in scenario by name.
    pub fn builtin(name: &str) -> Result<Self, SimError> {
        let (_, text) = BUILTIN_TOML
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| SimError::UnknownScenario(name.to_owned()))?;
        Self::from_toml(text)
    }

    /// Every built-in scenario, in order.
    pub fn builtins() -> Vec<Self> {
        BUILTIN_TOML
            .iter()
            .map(|(_, text)| Self::from_toml(text).expect("built-in scenarios parse"))
            .collect()
    }

    /// Checks what serde cannot.
    pub fn validate(&self) -> Result<(), SimError> {
        if self.server.limits.is_empty() {
            return Err(SimError::Invalid(
                "a server needs at least one limit".into(),
            ));
        }
        for layer in &self.server.limits {
            layer.spec()?;
        }
        if let Some(declared) = &self.client.declared {
            declared.spec()?;
        }
        if !(0.0..=1.0).contains(&self.server.error_rate) {
            return Err(SimError::Invalid(
                "error_rate must be between 0 and 1".into(),
            ));
        }
        let lat = &self.server.latency;
        if !["fixed", "uniform", "lognormal"].contains(&lat.distribution.as_str()) {
            return Err(SimError::Invalid(format!(
                "unknown latency distribution `{}` (expected fixed, uniform or lognormal)",
                lat.distribution
            )));
        }
        if !(lat.median_ms.is_finite() && lat.median_ms >= 0.0 && lat.max_ms >= lat.median_ms) {
            return Err(SimError::Invalid(
                "latency needs 0 <= median_ms <= max_ms".into(),
            ));
        }
        for m in &self.server.maintenance {
            if !(m.start_s >= 0.0
                && m.duration_s > 0.0
                && m.start_s.is_finite()
                && m.duration_s.is_finite())
            {
                return Err(SimError::Invalid(
                    "maintenance needs start_s >= 0 and duration_s > 0".into(),
                ));
            }
        }
        Ok(())
    }

    /// The maintenance periods as `[start, end)` times.
    pub fn maintenance(&self) -> Vec<(Duration, Duration)> {
        self.server
            .maintenance
            .iter()
            .map(|m| {
                let start = Duration::from_secs_f64(m.start_s);
                (start, start + Duration::from_secs_f64(m.duration_s))
            })
            .collect()
    }

    /// The server's earliest possible completion of `items` writes, in virtual time.
    ///
    /// It is the last admission of a client that knows every limit, sends each request the very
    /// moment every layer would admit it, never during maintenance, with zero latency: the same
    /// limiter code the server model uses, driven greedily (greedy is optimal for these limiters,
    /// which only ever admit more when given more time). For one layer it equals the textbook
    /// bounds, which tests check: a token bucket `(N - b) / r`, a fixed window
    /// `floor((N - 1) / L) * W`. With several layers (a hidden endpoint limit beside the token's) it
    /// is at least the tightest layer's bound. Random 503s are not counted: they are answered before
    /// any limit counts the request, so they cost the ideal client nothing.
    pub fn ideal(&self, items: u64) -> Duration {
        let mut layers: Vec<Limiter> = self
            .server
            .limits
            .iter()
            .filter(|l| l.algorithm != Algorithm::Concurrency)
            .map(|l| Limiter::new(l.spec().expect("validated")))
            .collect();
        let maintenance = self.maintenance();
        let mut now = Duration::ZERO;
        let mut last = Duration::ZERO;
        for _ in 0..items {
            loop {
                if let Some((_, end)) = maintenance.iter().find(|(s, e)| *s <= now && now < *e) {
                    now = *end;
                    continue;
                }
                let mut refs: Vec<&mut Limiter> = layers.iter_mut().collect();
                match admit_all(&mut refs, now) {
                    Ok(()) => break,
                    Err((_, wait)) => now += wait.max(Duration::from_nanos(1)),
                }
            }
            last = now;
        }
        last
    }
}

/// The textbook lower bound of one limit, as `pacing.md` states it.
pub fn formula_bound(spec: &LimitSpec, items: u64) -> Duration {
    match spec.algorithm {
        Algorithm::TokenBucket => {
            let n = items.saturating_sub(u64::from(spec.burst));
            Duration::from_secs_f64(n as f64 / spec.rate_per_sec())
        }
        Algorithm::FixedWindow | Algorithm::SlidingWindow => {
            let windows = items.saturating_sub(1) / u64::from(spec.limit);
            spec.window * u32::try_from(windows).unwrap_or(u32::MAX)
        }
        Algorithm::Concurrency => Duration::ZERO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_parse() {
        let names: Vec<String> = Scenario::builtins().into_iter().map(|s| s.name).collect();
        assert_eq!(names, ["seed", "genesys", "hidden", "noisy", "maintenance"]);
        assert!(matches!(
            Scenario::builtin("nope"),
            Err(SimError::UnknownScenario(_))
        ));
    }

    #[test]
    fn ideal_equals_the_textbook_bound_for_one_layer() {
        for name in ["seed", "genesys"] {
            let s = Scenario::builtin(name).unwrap();
            let spec = s.server.limits[0].spec().unwrap();
            for items in [1, 10, 11, 300, 301, 500, 1_000] {
                let ideal = s.ideal(items).as_secs_f64();
                let bound = formula_bound(&spec, items).as_secs_f64();
                assert!(
                    (ideal - bound).abs() < 1e-6,
                    "{name} {items}: {ideal} vs {bound}"
                );
            }
        }
    }

    #[test]
    fn ideal_with_a_hidden_layer_is_at_least_the_tightest_bound() {
        let s = Scenario::builtin("hidden").unwrap();
        let tightest = s
            .server
            .limits
            .iter()
            .map(|l| formula_bound(&l.spec().unwrap(), 500))
            .max()
            .unwrap();
        let ideal = s.ideal(500);
        assert!(ideal >= tightest);
        // 120 per minute dominates: four full windows, then the rest at the bucket's pace.
        assert_eq!(tightest, Duration::from_secs(240));
        assert!(ideal < Duration::from_secs(243), "{ideal:?}");
    }

    #[test]
    fn ideal_skips_maintenance() {
        let s = Scenario::builtin("maintenance").unwrap();
        let seed = Scenario::builtin("seed").unwrap();
        let gap = s.ideal(500).as_secs_f64() - seed.ideal(500).as_secs_f64();
        // The bucket refills to its 10 tokens within 2 s of the 30 s outage: 28 s are lost.
        assert!((gap - 28.0).abs() < 0.3, "{gap}");
    }

    #[test]
    fn invalid_scenarios_are_refused() {
        let text = "name = \"x\"\n[server]\nlimits = []\n";
        assert!(Scenario::from_toml(text).is_err());
        let text = "name = \"x\"\n[server]\n[[server.limits]]\nalgorithm = \"token-bucket\"\nlimit = 0\nwindow_s = 60\n";
        assert!(Scenario::from_toml(text).is_err());
        let text = "name = \"x\"\nbogus = 1\n[server]\n[[server.limits]]\nalgorithm = \"token-bucket\"\nlimit = 1\nwindow_s = 60\n";
        assert!(Scenario::from_toml(text).is_err());
    }
}
