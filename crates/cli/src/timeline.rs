//! The run over time: per second, requests sent, answers that completed an item, 429s, other
//! errors and the most requests in flight. Constant memory per second of run; the HTML report
//! merges seconds into at most a few hundred buckets.

use serde::{Deserialize, Serialize};

/// One second (or, once merged, one bucket) of the run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    pub sent: u64,
    /// Answers 2xx.
    pub ok: u64,
    pub throttled: u64,
    /// Answers neither 2xx nor 429, and requests without an answer.
    pub errors: u64,
    pub in_flight_max: u32,
}

/// The run's seconds, from its first request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    /// Milliseconds since the Unix epoch of the first request.
    pub start_unix_ms: u64,
    /// Seconds each bucket spans.
    pub bucket_s: f64,
    pub buckets: Vec<Bucket>,
}

impl Timeline {
    /// Takes one request into account.
    pub fn record(&mut self, record: &pacer_client::RequestRecord) {
        if self.buckets.is_empty() {
            self.start_unix_ms = record.started_unix_ms;
            self.bucket_s = 1.0;
        }
        let offset = record.started_unix_ms.saturating_sub(self.start_unix_ms) / 1000;
        // A request can never start before the first one; a bound keeps a clock jump from
        // growing the timeline without limit.
        let index = (offset as usize).min(7 * 24 * 3600);
        if self.buckets.len() <= index {
            self.buckets.resize(index + 1, Bucket::default());
        }
        let bucket = &mut self.buckets[index];
        bucket.sent += 1;
        bucket.in_flight_max = bucket.in_flight_max.max(record.in_flight);
        match record.status {
            Some(status) if (200..300).contains(&status) => bucket.ok += 1,
            Some(429) => bucket.throttled += 1,
            _ => bucket.errors += 1,
        }
    }

    /// The same run in at most `max` buckets, adjacent seconds merged.
    pub fn downsampled(&self, max: usize) -> Timeline {
        let per = self.buckets.len().div_ceil(max.max(1)).max(1);
        let buckets = self
            .buckets
            .chunks(per)
            .map(|chunk| Bucket {
                sent: chunk.iter().map(|b| b.sent).sum(),
                ok: chunk.iter().map(|b| b.ok).sum(),
                throttled: chunk.iter().map(|b| b.throttled).sum(),
                errors: chunk.iter().map(|b| b.errors).sum(),
                in_flight_max: chunk.iter().map(|b| b.in_flight_max).max().unwrap_or(0),
            })
            .collect();
        Timeline {
            start_unix_ms: self.start_unix_ms,
            bucket_s: self.bucket_s * per as f64,
            buckets,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn record(ms: u64, status: Option<u16>) -> pacer_client::RequestRecord {
        pacer_client::RequestRecord {
            line: 1,
            started_unix_ms: ms,
            latency: Duration::ZERO,
            elapsed: Duration::ZERO,
            status,
            error: None,
            error_kind: None,
            url: String::new(),
            bytes_received: 0,
            bytes_sent: 0,
            in_flight: 3,
            token_index: 0,
            label: None,
        }
    }

    #[test]
    fn seconds_count_and_merge() {
        let mut timeline = Timeline::default();
        timeline.record(&record(10_000, Some(200)));
        timeline.record(&record(10_500, Some(429)));
        timeline.record(&record(12_100, None));
        assert_eq!(timeline.buckets.len(), 3);
        assert_eq!(
            (timeline.buckets[0].ok, timeline.buckets[0].throttled),
            (1, 1)
        );
        assert_eq!(timeline.buckets[2].errors, 1);
        let merged = timeline.downsampled(2);
        assert_eq!(merged.buckets.len(), 2);
        assert_eq!(merged.bucket_s, 2.0);
        assert_eq!(merged.buckets[0].sent, 2);
        assert_eq!(merged.buckets[1].in_flight_max, 3);
    }
}
