//! The command-line overrides, applied last over the profile and the file, and the resolution
//! of profile, file and flags into the configuration to run.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use pacer_core::limiter::Algorithm;

use super::faults::{ErrorFault, Faults, Maintenance};
use super::limiter::{LimiterConfig, ORG_LIMIT_KEY, org_limit_spec};
use super::mirror::MirrorSource;
use super::resolved::{Config, Profile};
use super::wfm::WfmConfig;
use crate::error::EmulatorError;
use crate::units::{Latency, Probability, Rate};

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
    /// The organization-wide limit's algorithm [default: fixed window].
    pub org_algorithm: Option<Algorithm>,
    /// The organization-wide limit's burst (a token bucket's; see `org_limit_spec`).
    pub org_burst: Option<u32>,
    pub error_rates: Vec<ErrorFault>,
    pub reset_rate: Option<Probability>,
    pub maintenance: Vec<Maintenance>,
    pub revoke_tokens_at: Option<Duration>,
    pub business_units: Option<u32>,
    pub bulk_processing: Option<Duration>,
    pub bulk_error_rate: Option<Probability>,
    /// Whether a failed update names the agent at fault (`None`: the profile's choice).
    pub error_detail: Option<bool>,
    pub drop_notifications: Option<Probability>,
    pub heartbeat: Option<Duration>,
    pub today: Option<String>,
    /// A mirror of an organization (`pacer mirror`) to serve: its users, units and limits.
    pub mirror: Option<PathBuf>,
    /// Runs every limit K times faster (see [`Config::speed`]), after every other limit setting.
    pub speed: Option<f64>,
}

impl Config {
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
}

impl Overrides {
    /// Applies these overrides to `config`.
    pub fn apply(&self, config: &mut Config) -> Result<(), EmulatorError> {
        self.apply_server(config);
        // The mirror's limits come before the flags, which may change them again; its shape
        // comes last, over `--agents` and `--business-units`.
        let mirror = self
            .mirror
            .as_deref()
            .map(MirrorSource::read)
            .transpose()?
            .map(Arc::new);
        if let Some(mirror) = &mirror {
            mirror.apply_limits(config);
        }
        self.apply_token_limit(config)?;
        self.apply_limits_off(config);
        self.apply_org_rate(config)?;
        self.apply_faults(&mut config.faults);
        self.apply_wfm(&mut config.wfm);
        if let Some(mirror) = mirror {
            mirror.apply_shape(config);
        }
        self.apply_speed(config)
    }

    /// `--speed K`: every limit's window (the minting limit's too) K times shorter, the same
    /// count; refused outside 1..=100.
    fn apply_speed(&self, config: &mut Config) -> Result<(), EmulatorError> {
        let Some(speed) = self.speed else {
            return Ok(());
        };
        if !(1.0..=100.0).contains(&speed) {
            return Err(EmulatorError::setting("--speed", "K must be 1..=100"));
        }
        for limiter in config
            .limiters
            .iter_mut()
            .chain(config.oauth.mint_limit.as_mut())
        {
            limiter.spec.window = limiter.spec.window.div_f64(speed / config.speed);
        }
        config.speed = speed;
        Ok(())
    }

    /// The address, the agents and the seed.
    fn apply_server(&self, config: &mut Config) {
        if let Some(listen) = self.listen {
            config.listen = listen;
        }
        if let Some(agents) = self.agents {
            config.agents = agents;
        }
        if let Some(seed) = self.seed {
            config.seed = seed;
        }
    }

    /// `--token-rate`, `--burst` and `--algorithm` on the per-token limiter, which is added from
    /// the `genesys` profile when the configuration has none; refused with `--no-limits`.
    fn apply_token_limit(&self, config: &mut Config) -> Result<(), EmulatorError> {
        let touches_token_limit =
            self.token_rate.is_some() || self.burst.is_some() || self.algorithm.is_some();
        if self.no_limits && touches_token_limit {
            return Err(EmulatorError::setting(
                "--no-limits",
                "cannot be combined with --token-rate, --burst or --algorithm",
            ));
        }
        if !touches_token_limit {
            return Ok(());
        }
        let limiter = config.ensure_token_limiter();
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
        Ok(())
    }

    /// `--no-limits`: every limiter and the minting limit removed.
    fn apply_limits_off(&self, config: &mut Config) {
        if self.no_limits {
            config.limiters.clear();
            config.oauth.mint_limit = None;
        }
    }

    /// `--org-rate`, `--org-algorithm` and `--org-burst`: the organization-wide limit, added or
    /// replaced; its shape without a rate is refused.
    fn apply_org_rate(&self, config: &mut Config) -> Result<(), EmulatorError> {
        let Some(rate) = self.org_rate else {
            if self.org_algorithm.is_some() || self.org_burst.is_some() {
                return Err(EmulatorError::setting(
                    "--org-algorithm",
                    "--org-algorithm and --org-burst shape the limit --org-rate adds: give it too",
                ));
            }
            return Ok(());
        };
        let spec = org_limit_spec(rate, self.org_algorithm, self.org_burst)?;
        config.limiters.retain(|l| l.key != ORG_LIMIT_KEY);
        let mut limiter = LimiterConfig::organization(rate.limit, rate.window);
        limiter.spec = spec;
        config.limiters.push(limiter);
        Ok(())
    }

    /// The fault flags: latency replaced, error rates and maintenance windows added.
    fn apply_faults(&self, faults: &mut Faults) {
        if let Some(latency) = self.latency {
            faults.latency = latency;
        }
        faults.errors.extend(self.error_rates.iter().copied());
        if let Some(rate) = self.reset_rate {
            faults.reset_rate = Some(rate);
        }
        faults.maintenance.extend(self.maintenance.iter().copied());
        if let Some(at) = self.revoke_tokens_at {
            faults.revoke_tokens_at = Some(at);
        }
    }

    /// The WFM flags.
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
        if let Some(on) = self.error_detail {
            wfm.error_detail = Some(on);
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
