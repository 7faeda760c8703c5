//! The simulated server: pacer-core's limiters in layers, latency, faults and response headers.

use std::time::Duration;

use pacer_core::limiter::{Algorithm, Limiter, admit_all};
use pacer_core::rng::Rng;
use pacer_genesys::{ApiError, LimitRef};

use crate::scenario::{HeaderStyleSpec, LatencySpec, Scenario};

/// A response as the client sees it: status, header byte pairs and body bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The HTTP status.
    pub status: u16,
    /// Header names and values.
    pub headers: Vec<(&'static str, String)>,
    /// The body (only error responses carry one here).
    pub body: Vec<u8>,
}

impl Response {
    /// The headers as the byte pairs `pacer_core::signals::parse` takes.
    pub fn header_pairs(&self) -> Vec<(&[u8], &[u8])> {
        self.headers
            .iter()
            .map(|(n, v)| (n.as_bytes(), v.as_bytes()))
            .collect()
    }
}

struct Layer {
    limiter: Limiter,
    advertised: bool,
    key: Option<String>,
}

/// The server model of one scenario.
pub struct Server {
    layers: Vec<Layer>,
    headers: HeaderStyleSpec,
    error_rate: f64,
    maintenance: Vec<(Duration, Duration)>,
    latency: LatencySpec,
    rng: Rng,
    context: u64,
}

impl Server {
    /// Builds the server of a validated scenario, drawing its randomness from `rng`.
    pub fn new(scenario: &Scenario, rng: Rng) -> Self {
        let layers = scenario
            .server
            .limits
            .iter()
            .map(|l| Layer {
                limiter: Limiter::new(l.spec().expect("validated scenario")),
                advertised: l.advertised,
                key: l.key.clone(),
            })
            .collect();
        Self {
            layers,
            headers: scenario.server.headers,
            error_rate: scenario.server.error_rate,
            maintenance: scenario.maintenance(),
            latency: scenario.server.latency.clone(),
            rng,
            context: 0,
        }
    }

    /// Draws one round-trip time.
    pub fn round_trip(&mut self) -> Duration {
        let lat = &self.latency;
        let ms = match lat.distribution.as_str() {
            "fixed" => lat.median_ms,
            "uniform" => self
                .rng
                .range_f64(lat.median_ms - lat.spread, lat.median_ms + lat.spread),
            _ => {
                // Box-Muller: one standard normal draw.
                let u1 = self.rng.next_f64().max(1e-12);
                let u2 = self.rng.next_f64();
                let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                lat.median_ms * (lat.spread * z).exp()
            }
        };
        Duration::from_secs_f64(ms.clamp(0.0, lat.max_ms) / 1000.0)
    }

    /// Handles one request arriving at `now`.
    pub fn handle(&mut self, now: Duration) -> Response {
        self.context += 1;
        if let Some((_, end)) = self
            .maintenance
            .iter()
            .find(|(start, end)| *start <= now && now < *end)
        {
            let wait = ceil_secs(*end - now);
            let body = ApiError::new(
                503,
                pacer_genesys::errors::codes::SERVICE_UNAVAILABLE,
                "The service is under maintenance",
                Some(self.context.to_string()),
            );
            return Response {
                status: 503,
                headers: vec![("Retry-After", wait.to_string())],
                body: serde_json::to_vec(&body).unwrap_or_default(),
            };
        }
        if self.error_rate > 0.0 && self.rng.chance(self.error_rate) {
            return Response {
                status: 503,
                headers: Vec::new(),
                body: Vec::new(),
            };
        }
        let mut refs: Vec<&mut Limiter> = self.layers.iter_mut().map(|l| &mut l.limiter).collect();
        match admit_all(&mut refs, now) {
            Ok(()) => Response {
                status: 200,
                headers: self.rate_headers(now),
                body: Vec::new(),
            },
            Err((index, wait)) => {
                let secs = ceil_secs(wait).max(1);
                let layer = &self.layers[index];
                let limit = layer.key.as_ref().map(|key| LimitRef {
                    key: key.clone(),
                    namespace: "platform.api".into(),
                    value: u64::from(layer.limiter.spec().limit),
                });
                let body = ApiError::rate_limited(secs, self.context.to_string(), limit);
                let mut headers = self.rate_headers(now);
                headers.push(("Retry-After", secs.to_string()));
                Response {
                    status: 429,
                    headers,
                    body: serde_json::to_vec(&body).unwrap_or_default(),
                }
            }
        }
    }

    /// Tells concurrency limiters that a request finished.
    pub fn release(&mut self, now: Duration) {
        for layer in &mut self.layers {
            if layer.limiter.spec().algorithm == Algorithm::Concurrency {
                layer.limiter.release(now);
            }
        }
    }

    /// The advertised layer with the least remaining, as `X-RateLimit-*` headers.
    fn rate_headers(&self, now: Duration) -> Vec<(&'static str, String)> {
        if self.headers == HeaderStyleSpec::None {
            return Vec::new();
        }
        let Some(snap) = self
            .layers
            .iter()
            .filter(|l| l.advertised)
            .map(|l| l.limiter.snapshot(now))
            .min_by_key(|s| s.remaining)
        else {
            return Vec::new();
        };
        vec![
            ("X-RateLimit-Limit", snap.limit.to_string()),
            ("X-RateLimit-Remaining", snap.remaining.to_string()),
            ("X-RateLimit-Reset", ceil_secs(snap.reset_after).to_string()),
        ]
    }
}

/// Whole seconds, rounded up, as `Retry-After` and `X-RateLimit-Reset` carry them.
fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_server_advertises_and_throttles_with_a_genesys_body() {
        let scenario = Scenario::builtin("seed").unwrap();
        let mut server = Server::new(&scenario, Rng::new(1));
        let now = Duration::ZERO;
        for i in 0..10 {
            let r = server.handle(now);
            assert_eq!(r.status, 200, "request {i}");
        }
        let r = server.handle(now);
        assert_eq!(r.status, 429);
        assert!(r.headers.contains(&("Retry-After", "1".into())));
        assert!(r.headers.contains(&("X-RateLimit-Remaining", "0".into())));
        assert!(r.headers.contains(&("X-RateLimit-Limit", "10".into())));
        let body: ApiError = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body.retry_after_from_message(), Some(1));
    }

    #[test]
    fn maintenance_answers_503_with_retry_after() {
        let scenario = Scenario::builtin("maintenance").unwrap();
        let mut server = Server::new(&scenario, Rng::new(1));
        let r = server.handle(Duration::from_millis(25_500));
        assert_eq!(r.status, 503);
        assert!(r.headers.contains(&("Retry-After", "25".into())));
        assert_eq!(server.handle(Duration::from_secs(50)).status, 200);
    }

    #[test]
    fn latency_stays_within_bounds() {
        let scenario = Scenario::builtin("seed").unwrap();
        let mut server = Server::new(&scenario, Rng::new(3));
        let mut total = 0.0;
        for _ in 0..10_000 {
            let rtt = server.round_trip();
            assert!(rtt <= Duration::from_secs(2));
            total += rtt.as_secs_f64();
        }
        let mean = total / 10_000.0;
        assert!((0.19..0.22).contains(&mean), "{mean}");
    }
}
