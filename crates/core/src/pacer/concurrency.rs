//! Concurrency: how many requests a token may have in flight, by Little's law on the observed
//! latency, and the health factor that shrinks it when latency rises or the server fails.

use std::time::Duration;

use super::budget::Budget;

impl Budget {
    /// In flight allowed: Little's law on the baseline latency (so a latency rise, which means the
    /// server is queueing, does not buy more requests in flight), with head-room, or the burst
    /// available now if larger, times the health factor; between one and the maximum.
    #[inline]
    pub(super) fn concurrency(&self, now: Duration) -> u32 {
        let latency = if self.latency_baseline > 0.0 {
            self.latency_baseline
        } else {
            0.2
        };
        let rate = if self.rate().is_finite() {
            self.rate()
        } else {
            f64::from(self.max_in_flight) / latency
        };
        let little = (rate * latency * self.headroom).ceil() + 1.0;
        let burst = self.available(now).min(u64::from(self.max_in_flight)) as f64;
        let wanted = little.max(burst) * self.health;
        (wanted as u32).clamp(1, self.max_in_flight.max(1))
    }

    /// Folds one response's latency (in seconds) and status into the latency averages and the
    /// health factor.
    pub(super) fn observe_latency(&mut self, latency: f64, status: u16) {
        self.samples = self.samples.saturating_add(1);
        if self.latency == 0.0 {
            self.latency = latency;
            self.latency_baseline = latency;
        } else {
            self.latency_jitter =
                0.95 * self.latency_jitter + 0.05 * (latency - self.latency).abs();
            self.latency = 0.8 * self.latency + 0.2 * latency;
            self.latency_baseline = 0.99 * self.latency_baseline + 0.01 * latency;
        }
        if (500..=599).contains(&status) {
            self.health = (self.health * 0.8).max(0.05);
        } else if self.latency > 2.0 * self.latency_baseline && self.latency > 0.05 {
            // Rising latency: the server is queueing; hold back.
            self.health = (self.health * 0.95).max(0.05);
        } else {
            self.health = (self.health + 0.02).min(1.0);
        }
        self.refresh();
    }

    /// A request got no answer (a timeout or a broken connection): the token holds back.
    pub(super) fn transport_failed(&mut self) {
        self.health = (self.health * 0.8).max(0.05);
    }
}
