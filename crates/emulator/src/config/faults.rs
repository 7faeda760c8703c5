//! The settings of injected faults: latency, error rates, connection resets, maintenance
//! windows and the revocation of tokens (the `[faults]` table and the fault flags).

use std::str::FromStr;
use std::time::Duration;

use serde::Deserialize;

use crate::units::{DurationText, Latency, NonZeroDuration, Probability, parse_duration};

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
