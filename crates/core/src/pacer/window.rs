//! The window log: a sliding log of a budget's last sends, for a limit counted per window.

use std::collections::VecDeque;
use std::time::Duration;

/// A sliding log of the last `limit` sends, for a count-per-window limit.
#[derive(Debug, Clone)]
pub(super) struct WindowLog {
    pub(super) limit: u32,
    pub(super) window: Duration,
    sends: VecDeque<Duration>,
}

impl WindowLog {
    pub(super) fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit: limit.max(1),
            window,
            sends: VecDeque::new(),
        }
    }

    /// The earliest time one more send fits, given a safety margin on the window.
    #[inline]
    pub(super) fn earliest(&self, margin: Duration) -> Duration {
        if (self.sends.len() as u32) < self.limit {
            Duration::ZERO
        } else {
            self.sends[self.sends.len() - self.limit as usize] + self.window + margin
        }
    }

    #[inline]
    pub(super) fn record(&mut self, at: Duration) {
        self.sends.push_back(at);
        while self.sends.len() > self.limit as usize {
            self.sends.pop_front();
        }
    }

    #[inline]
    pub(super) fn available(&self, now: Duration, margin: Duration) -> u64 {
        // Sends are recorded in time order, so the live ones are a suffix.
        let expired = self
            .sends
            .partition_point(|s| *s + self.window + margin <= now);
        let live = (self.sends.len() - expired) as u64;
        u64::from(self.limit).saturating_sub(live)
    }
}
