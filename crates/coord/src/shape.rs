//! A shared limit as Redis holds it: its count per window and what the runners know of its
//! shape (a count per window of unknown shape, a sliding window, a fixed window and where its
//! boundaries fall on Redis's clock, or a token bucket and its burst), written in the run's
//! limits hash as one line that the Lua scripts read too.

use std::fmt;
use std::time::Duration;

use pacer_core::limiter::{Algorithm, LimitSpec};

/// How a shared limit counts, as far as the runners know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// At most `limit` in a window, shape not yet seen (the limits API gives only the count):
    /// paced as a sliding log, which every fixed or sliding window of that size admits.
    Window,
    /// A sliding window, seen in headers: paced as a sliding log.
    Sliding,
    /// A fixed window whose boundaries are known within `band_us`: its whole count at each start.
    Fixed,
    /// A token bucket of `burst` refilled at `limit` per window: GCRA.
    Bucket,
}

impl Shape {
    fn as_str(self) -> &'static str {
        match self {
            Shape::Window => "window",
            Shape::Sliding => "sliding",
            Shape::Fixed => "fixed",
            Shape::Bucket => "bucket",
        }
    }

    fn parse(text: &str) -> Option<Shape> {
        Some(match text {
            "window" => Shape::Window,
            "sliding" => Shape::Sliding,
            "fixed" => Shape::Fixed,
            "bucket" => Shape::Bucket,
            _ => return None,
        })
    }

    /// Whether the limit is counted per window (any shape but the bucket).
    pub(crate) fn is_window(self) -> bool {
        self != Shape::Bucket
    }
}

/// One shared limit and what is known of its shape.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Model {
    pub name: String,
    pub shape: Shape,
    /// Requests per window (a bucket's refill per window).
    pub limit: u64,
    pub window_us: u64,
    /// A bucket's capacity (a window's is its count).
    pub burst: u64,
    /// A fixed window's boundaries fall at `phase_us + n * window_us` on Redis's clock, at most
    /// `band_us` earlier; `seen` counts the observations that agree.
    pub phase_us: u64,
    pub band_us: u64,
    pub seen: u32,
    /// Named by a 429 (else declared, by the limits API or the user).
    pub learned: bool,
}

impl Model {
    /// A count per window of unknown shape.
    pub(crate) fn window(name: &str, limit: u64, window: Duration, learned: bool) -> Model {
        Model {
            name: name.to_string(),
            shape: Shape::Window,
            limit: limit.max(1),
            window_us: (window.as_micros() as u64).max(1),
            burst: limit.max(1),
            phase_us: 0,
            band_us: 0,
            seen: 0,
            learned,
        }
    }

    /// The line the limits hash holds: `shape|limit|window_us|burst|phase_us|band_us|seen|source`.
    pub(crate) fn encode(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}|{}|{}|{}",
            self.shape.as_str(),
            self.limit,
            self.window_us,
            self.burst,
            self.phase_us,
            self.band_us,
            self.seen,
            if self.learned { "learned" } else { "declared" }
        )
    }

    /// Reads a line of the limits hash; `None` for one this version does not know.
    pub(crate) fn decode(name: &str, line: &str) -> Option<Model> {
        let mut parts = line.split('|');
        let shape = Shape::parse(parts.next()?)?;
        let mut number = || parts.next()?.parse::<u64>().ok();
        let (limit, window_us, burst) = (number()?, number()?, number()?);
        let (phase_us, band_us, seen) = (number()?, number()?, number()?);
        let learned = parts.next()? == "learned";
        Some(Model {
            name: name.to_string(),
            shape,
            limit: limit.max(1),
            window_us: window_us.max(1),
            burst: burst.max(1),
            phase_us,
            band_us,
            seen: u32::try_from(seen).unwrap_or(u32::MAX),
            learned,
        })
    }

    pub(crate) fn window_len(&self) -> Duration {
        Duration::from_micros(self.window_us)
    }

    /// The sustained rate the runners keep to, in requests per second, `margin` kept in reserve.
    pub(crate) fn rate_per_sec(&self, margin: f64) -> f64 {
        self.limit as f64 * keep(margin) / self.window_len().as_secs_f64()
    }

    /// This limit's part of one runner's budget while Redis is away: `1 / runners` of it, in the
    /// same shape (a fixed window as a sliding one: its boundaries are Redis's, not this runner's).
    pub(crate) fn share(&self, runners: u32, margin: f64) -> LimitSpec {
        let runners = f64::from(runners.max(1));
        let part = |n: u64| ((n as f64 * keep(margin) / runners).floor() as u32).max(1);
        match self.shape {
            Shape::Bucket => {
                // One request per interval, with the share of the burst.
                let interval =
                    self.window_len().as_secs_f64() * runners / (self.limit as f64 * keep(margin));
                LimitSpec {
                    algorithm: Algorithm::TokenBucket,
                    limit: 1,
                    window: Duration::from_secs_f64(interval.max(1e-6)),
                    burst: part(self.burst),
                }
            }
            _ => LimitSpec {
                algorithm: Algorithm::SlidingWindow,
                limit: part(self.limit),
                window: self.window_len(),
                burst: part(self.limit),
            },
        }
    }
}

/// The share of a limit used: all of it less `margin`, at most half kept in reserve.
pub(crate) fn keep(margin: f64) -> f64 {
    1.0 - margin.clamp(0.0, 0.5)
}

impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let window = self.window_len().as_secs_f64();
        write!(
            f,
            "{}/{}s {}, ",
            self.limit,
            window,
            if self.learned { "learned" } else { "declared" }
        )?;
        match self.shape {
            Shape::Window => write!(f, "a count per window (its shape not seen yet)"),
            Shape::Sliding => write!(f, "a sliding window"),
            Shape::Fixed => write!(
                f,
                "a fixed window (its whole count at each start; boundaries known within {:.2} s)",
                self.band_us as f64 / 1e6
            ),
            Shape::Bucket => write!(f, "a token bucket (burst {})", self.burst),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_reads_back_what_it_wrote() {
        let mut model = Model::window(
            "org.api.rate.per.minute",
            6000,
            Duration::from_secs(60),
            false,
        );
        assert_eq!(model.encode(), "window|6000|60000000|6000|0|0|0|declared");
        assert_eq!(
            Model::decode(&model.name, &model.encode()),
            Some(model.clone())
        );
        model.shape = Shape::Fixed;
        model.phase_us = 12_345;
        model.band_us = 200_000;
        model.seen = 2;
        model.learned = true;
        assert_eq!(
            Model::decode(&model.name, &model.encode()),
            Some(model.clone())
        );
        assert_eq!(
            Model::decode("x", "102041:1:600/60s declared"),
            None,
            "an older line"
        );
    }

    #[test]
    fn a_model_says_what_is_known_of_its_shape() {
        let mut model = Model::window("org", 600, Duration::from_secs(60), false);
        assert_eq!(
            model.to_string(),
            "600/60s declared, a count per window (its shape not seen yet)"
        );
        model.shape = Shape::Bucket;
        model.burst = 10;
        assert_eq!(
            model.to_string(),
            "600/60s declared, a token bucket (burst 10)"
        );
    }

    #[test]
    fn a_share_keeps_the_shape_and_a_runners_part() {
        let mut model = Model::window("org", 600, Duration::from_secs(60), false);
        let share = model.share(2, 0.0);
        assert_eq!(
            (share.algorithm, share.limit, share.window),
            (Algorithm::SlidingWindow, 300, Duration::from_secs(60))
        );
        model.shape = Shape::Bucket;
        model.burst = 10;
        let share = model.share(2, 0.0);
        assert_eq!(
            (share.algorithm, share.limit, share.burst),
            (Algorithm::TokenBucket, 1, 5)
        );
        assert_eq!(share.window, Duration::from_millis(200), "300/min");
        assert!((model.rate_per_sec(0.02) - 9.8).abs() < 1e-9);
    }
}
