//! Items waiting to be retried, ordered by when each is due.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

use super::job::Work;

/// Items waiting to be retried, earliest first (in arrival order among equals).
#[derive(Default)]
pub(super) struct RetryQueue {
    heap: BinaryHeap<Reverse<Queued>>,
    next_seq: u64,
}

struct Queued {
    at: Duration,
    seq: u64,
    work: Work,
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl Eq for Queued {}

impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Queued {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

impl RetryQueue {
    pub(super) fn push(&mut self, at: Duration, work: Work) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Reverse(Queued { at, seq, work }));
    }

    /// When the earliest retry is due.
    pub(super) fn next_at(&self) -> Option<Duration> {
        self.heap.peek().map(|Reverse(queued)| queued.at)
    }

    /// Takes the earliest retry if it is due at `now`.
    pub(super) fn pop_due(&mut self, now: Duration) -> Option<Work> {
        if self.next_at()? <= now {
            self.heap.pop().map(|Reverse(queued)| queued.work)
        } else {
            None
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}
