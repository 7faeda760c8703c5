//! The pacer's settings: concurrency bounds, head-room, the reserve, and discovery's starting point.

use std::time::Duration;

/// The pacer's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct PacerConfig {
    /// The most requests in flight at once, per token.
    pub max_in_flight: u32,
    /// Little's law head-room: in flight = rate x latency x this.
    pub headroom: f64,
    /// Tokens of an advertised or declared bucket left unused, to absorb latency jitter.
    pub reserve: u32,
    /// The window assumed for a quota advertised without one (Genesys limits are per minute).
    pub default_window: Duration,
    /// Discovery's first rate, in requests per second. The default is Genesys Cloud's limit per
    /// token (300 a minute), the lowest a Platform API client meets: starting there costs nothing
    /// against it, and a faster server is reached sooner.
    pub discovery_rate: f64,
    /// Discovery's highest rate before any throttle, in requests per second.
    pub discovery_max_rate: f64,
    /// The wait assumed when a throttle says nothing about how long to wait.
    pub default_throttle_wait: Duration,
}

impl Default for PacerConfig {
    fn default() -> Self {
        Self {
            max_in_flight: 64,
            headroom: 2.0,
            reserve: 1,
            default_window: Duration::from_secs(60),
            discovery_rate: 5.0,
            discovery_max_rate: 1_000_000.0,
            default_throttle_wait: Duration::from_secs(1),
        }
    }
}
