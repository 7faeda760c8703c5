//! Request latencies in an HDR histogram (microseconds, 3 significant digits: constant memory
//! whatever the run's size), and the percentiles the report and the summary show.

use std::time::Duration;

use hdrhistogram::Histogram;

use crate::report::Latency;

/// Latencies up to an hour are kept exactly to 3 digits; longer ones count as an hour.
const MAX_MICROS: u64 = 3_600_000_000;

/// The latencies of a run's requests.
#[derive(Debug, Clone)]
pub struct Latencies {
    histogram: Histogram<u64>,
}

impl Default for Latencies {
    fn default() -> Self {
        Latencies {
            histogram: Histogram::new_with_bounds(1, MAX_MICROS, 3)
                .expect("1 µs to an hour at 3 digits is a valid histogram"),
        }
    }
}

impl Latencies {
    /// Records one request's latency.
    pub fn record(&mut self, latency: Duration) {
        let micros = (latency.as_micros() as u64).clamp(1, MAX_MICROS);
        // Within the bounds set above, recording cannot fail.
        let _ = self.histogram.record(micros);
    }

    /// The percentiles, once any latency was recorded.
    pub fn summary(&self) -> Option<Latency> {
        let h = &self.histogram;
        let secs = |micros: u64| micros as f64 / 1e6;
        (!h.is_empty()).then(|| Latency {
            count: h.len(),
            p50_s: secs(h.value_at_quantile(0.50)),
            p90_s: secs(h.value_at_quantile(0.90)),
            p99_s: secs(h.value_at_quantile(0.99)),
            max_s: secs(h.max()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_from_the_histogram_to_three_digits() {
        let mut latencies = Latencies::default();
        assert!(latencies.summary().is_none());
        for ms in 1..=1000 {
            latencies.record(Duration::from_millis(ms));
        }
        let summary = latencies.summary().unwrap();
        assert_eq!(summary.count, 1000);
        assert!((summary.p50_s - 0.5).abs() < 0.001, "{summary:?}");
        assert!((summary.p90_s - 0.9).abs() < 0.001, "{summary:?}");
        assert!((summary.p99_s - 0.99).abs() < 0.001, "{summary:?}");
        assert!((summary.max_s - 1.0).abs() < 0.001, "{summary:?}");
        latencies.record(Duration::from_secs(7200));
        assert!((latencies.summary().unwrap().max_s - 3600.0).abs() < 4.0);
    }
}
