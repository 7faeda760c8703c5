//! Text forms of durations (`60s`), rates (`300/min`) and latency distributions (`20ms..80ms`),
//! shared by the configuration file and the command-line flags.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

/// Parses a duration such as `250ms`, `60s`, `1.5m`, `2h` or `1d`; a bare `0` means zero.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| format!("`{text}` needs a unit: ms, s, m, h or d (e.g. 60s)"))?;
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (e.g. 250ms, 60s, 1m)"))?;
    let scale = match unit {
        "ms" => 0.001,
        "s" | "sec" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        _ => {
            return Err(format!(
                "`{text}` has an unknown unit `{unit}` (use ms, s, m, h or d)"
            ));
        }
    };
    let secs = value * scale;
    if !secs.is_finite() || secs > 1e12 {
        return Err(format!("`{text}` is too long"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Formats a duration the way [`parse_duration`] reads it back.
pub fn format_duration(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_secs_f64() * 1000.0)
    }
}

/// A duration read from configuration text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurationText(pub Duration);

impl<'de> Deserialize<'de> for DurationText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        parse_duration(&text)
            .map(DurationText)
            .map_err(de::Error::custom)
    }
}

/// A duration that must be longer than zero (a limiter's window).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NonZeroDuration(pub Duration);

impl<'de> Deserialize<'de> for NonZeroDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let DurationText(value) = DurationText::deserialize(d)?;
        if value.is_zero() {
            return Err(de::Error::custom("must be longer than zero"));
        }
        Ok(NonZeroDuration(value))
    }
}

/// A probability in `[0, 1]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Probability(pub f64);

impl FromStr for Probability {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let value: f64 = s
            .trim()
            .parse()
            .map_err(|_| format!("`{s}` is not a number"))?;
        Probability::new(value)
    }
}

impl Probability {
    /// Checks that `value` lies in `[0, 1]`.
    pub fn new(value: f64) -> Result<Self, String> {
        if (0.0..=1.0).contains(&value) {
            Ok(Probability(value))
        } else {
            Err(format!("{value} is not a probability between 0 and 1"))
        }
    }
}

impl<'de> Deserialize<'de> for Probability {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Probability::new(f64::deserialize(d)?).map_err(de::Error::custom)
    }
}

/// A rate: `limit` requests per `window`, written `300/min`, `5/s`, `1000/h` or `300/60s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub limit: u32,
    pub window: Duration,
}

impl FromStr for Rate {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let shape = || format!("`{s}` is not a rate (e.g. 300/min, 5/s, 300/60s)");
        let (count, per) = s.trim().split_once('/').ok_or_else(shape)?;
        let limit: u32 = count.trim().parse().map_err(|_| shape())?;
        let window = match per.trim() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "m" | "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            "d" | "day" => Duration::from_secs(86_400),
            other => parse_duration(other)?,
        };
        if limit == 0 {
            return Err(format!("`{s}`: the limit must be at least 1"));
        }
        if window.is_zero() {
            return Err(format!("`{s}`: the window must be longer than zero"));
        }
        Ok(Rate { limit, window })
    }
}

/// How long the emulator waits before answering a request.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Latency {
    /// No added latency.
    #[default]
    None,
    /// Always the same.
    Fixed(Duration),
    /// Uniform between the two bounds.
    Uniform(Duration, Duration),
    /// Normal with this mean and standard deviation, clamped at zero.
    Normal { mean: Duration, stddev: Duration },
    /// Exponential with this mean (long-tailed, like real service times).
    Exponential { mean: Duration },
}

impl Latency {
    /// Draws one latency from the distribution.
    pub fn sample(&self, rng: &mut pacer_core::rng::Rng) -> Duration {
        match *self {
            Latency::None => Duration::ZERO,
            Latency::Fixed(d) => d,
            Latency::Uniform(lo, hi) => {
                Duration::from_secs_f64(rng.range_f64(lo.as_secs_f64(), hi.as_secs_f64()))
            }
            Latency::Normal { mean, stddev } => {
                // Box-Muller: two uniform draws make one standard normal draw.
                let u1 = 1.0 - rng.next_f64();
                let u2 = rng.next_f64();
                let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                Duration::from_secs_f64((mean.as_secs_f64() + z * stddev.as_secs_f64()).max(0.0))
            }
            Latency::Exponential { mean } => {
                let u = 1.0 - rng.next_f64();
                Duration::from_secs_f64(-u.ln() * mean.as_secs_f64())
            }
        }
    }

    /// True when no latency is added.
    pub fn is_none(&self) -> bool {
        matches!(self, Latency::None)
    }
}

impl FromStr for Latency {
    type Err = String;

    /// `0` or `none`, a fixed `40ms`, or a uniform range `20ms..80ms`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s == "none" || s == "0" {
            return Ok(Latency::None);
        }
        match s.split_once("..") {
            Some((lo, hi)) => {
                let (lo, hi) = (parse_duration(lo)?, parse_duration(hi)?);
                if hi < lo {
                    return Err(format!("`{s}`: the upper bound is below the lower bound"));
                }
                Ok(Latency::Uniform(lo, hi))
            }
            None => Ok(Latency::Fixed(parse_duration(s)?)),
        }
    }
}

impl fmt::Display for Latency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Latency::None => f.write_str("none"),
            Latency::Fixed(d) => f.write_str(&format_duration(d)),
            Latency::Uniform(lo, hi) => {
                write!(f, "{}..{}", format_duration(lo), format_duration(hi))
            }
            Latency::Normal { mean, stddev } => {
                write!(
                    f,
                    "normal(mean {}, stddev {})",
                    format_duration(mean),
                    format_duration(stddev)
                )
            }
            Latency::Exponential { mean } => {
                write!(f, "exponential(mean {})", format_duration(mean))
            }
        }
    }
}

/// The table form of a latency in a configuration file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LatencyTable {
    distribution: String,
    min: Option<DurationText>,
    max: Option<DurationText>,
    value: Option<DurationText>,
    mean: Option<DurationText>,
    stddev: Option<DurationText>,
}

impl<'de> Deserialize<'de> for Latency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct LatencyVisitor;

        impl<'de> Visitor<'de> for LatencyVisitor {
            type Value = Latency;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a latency such as \"40ms\" or \"20ms..80ms\", or a table with a distribution",
                )
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Latency, E> {
                v.parse().map_err(E::custom)
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Latency, A::Error> {
                let t = LatencyTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
                let need = |v: Option<DurationText>, name: &str| {
                    v.map(|d| d.0).ok_or_else(|| {
                        de::Error::custom(format!(
                            "distribution `{}` needs `{name}`",
                            t.distribution
                        ))
                    })
                };
                match t.distribution.as_str() {
                    "none" => Ok(Latency::None),
                    "fixed" => Ok(Latency::Fixed(need(t.value, "value")?)),
                    "uniform" => {
                        let (lo, hi) = (need(t.min, "min")?, need(t.max, "max")?);
                        if hi < lo {
                            return Err(de::Error::custom("`max` is below `min`"));
                        }
                        Ok(Latency::Uniform(lo, hi))
                    }
                    "normal" => Ok(Latency::Normal {
                        mean: need(t.mean, "mean")?,
                        stddev: need(t.stddev, "stddev")?,
                    }),
                    "exponential" => Ok(Latency::Exponential {
                        mean: need(t.mean, "mean")?,
                    }),
                    other => Err(de::Error::custom(format!(
                        "unknown distribution `{other}` (expected none, fixed, uniform, normal or exponential)"
                    ))),
                }
            }
        }

        d.deserialize_any(LatencyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("60s"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1.5m"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert!(parse_duration("60").is_err());
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("s").is_err());
    }

    #[test]
    fn rates_parse_and_refuse_zero() {
        assert_eq!(
            "300/min".parse(),
            Ok(Rate {
                limit: 300,
                window: Duration::from_secs(60)
            })
        );
        assert_eq!(
            "5/s".parse(),
            Ok(Rate {
                limit: 5,
                window: Duration::from_secs(1)
            })
        );
        assert_eq!(
            "300/60s".parse(),
            Ok(Rate {
                limit: 300,
                window: Duration::from_secs(60)
            })
        );
        assert!("0/min".parse::<Rate>().is_err());
        assert!("10/0s".parse::<Rate>().is_err());
        assert!("fast".parse::<Rate>().is_err());
    }

    #[test]
    fn latency_forms_parse_and_sample_inside_their_bounds() {
        let uniform: Latency = "20ms..80ms".parse().unwrap();
        assert_eq!(
            uniform,
            Latency::Uniform(Duration::from_millis(20), Duration::from_millis(80))
        );
        assert!("80ms..20ms".parse::<Latency>().is_err());
        assert_eq!("none".parse::<Latency>(), Ok(Latency::None));
        let mut rng = pacer_core::rng::Rng::new(7);
        for _ in 0..1000 {
            let d = uniform.sample(&mut rng);
            assert!(d >= Duration::from_millis(20) && d < Duration::from_millis(80));
        }
        let normal = Latency::Normal {
            mean: Duration::from_millis(5),
            stddev: Duration::from_millis(50),
        };
        for _ in 0..1000 {
            let _ = normal.sample(&mut rng);
        }
    }

    #[test]
    fn latency_tables_deserialize() {
        #[derive(Deserialize)]
        struct Wrap {
            latency: Latency,
        }
        let w: Wrap =
            toml::from_str("latency = { distribution = \"exponential\", mean = \"30ms\" }")
                .unwrap();
        assert_eq!(
            w.latency,
            Latency::Exponential {
                mean: Duration::from_millis(30)
            }
        );
        let w: Wrap = toml::from_str("latency = \"5ms\"").unwrap();
        assert_eq!(w.latency, Latency::Fixed(Duration::from_millis(5)));
        assert!(
            toml::from_str::<Wrap>("latency = { distribution = \"uniform\", min = \"5ms\" }")
                .is_err()
        );
    }
}
