//! The queue as the executor's job source: a pump task takes leased items from Redis ahead of
//! need and hands them over in batches, without blocking: as many as the runner uses in
//! [`HOLD_FOR`], so that a slow runner holds only an item or two at the run's end (when the others
//! have nothing left to take) and a fast one is not slowed by a round trip per few items. One
//! batch waits while the executor works through the one before, and the pump fetches the next
//! meanwhile.

use std::collections::VecDeque;
use std::time::Duration;

use pacer_client::{Job, JobSource, Next, Wake};
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TryRecvError;

use crate::Coordinator;

/// How long the pump waits before asking again when the queue had nothing for it.
const POLL: Duration = Duration::from_millis(200);
/// The same, once nothing is left but what runners hold: the run ends within this of its last
/// acknowledgement.
const POLL_END: Duration = Duration::from_millis(20);
/// A runner takes what it uses in this long at once.
const HOLD_FOR: Duration = Duration::from_millis(10);
/// How long the rate it uses items at is measured over.
const MEASURE_OVER: Duration = Duration::from_millis(100);
/// The most items taken at once.
const MOST: usize = 256;

/// The run's queue, pulled by one executor.
pub struct QueueSource {
    batches: mpsc::Receiver<Vec<Job>>,
    /// The batch the executor is working through.
    current: VecDeque<Job>,
    pump: tokio::task::JoinHandle<()>,
}

impl QueueSource {
    /// Starts pumping batches: `prefetch` items first, then what the runner uses in [`HOLD_FOR`]:
    /// at most three batches wait in this runner besides the items in flight (the one worked
    /// through, the next, and the one being fetched). The pump stops when every item
    /// of the run is done or failed, or after `max_time`.
    pub fn start(coordinator: Coordinator, prefetch: usize, max_time: Duration) -> QueueSource {
        let prefetch = prefetch.max(1);
        let (sender, batches) = mpsc::channel(1);
        let pump = tokio::spawn(pump(coordinator, sender, prefetch, max_time));
        QueueSource {
            batches,
            current: VecDeque::new(),
            pump,
        }
    }
}

impl Drop for QueueSource {
    fn drop(&mut self) {
        self.pump.abort();
    }
}

async fn pump(
    coordinator: Coordinator,
    sender: mpsc::Sender<Vec<Job>>,
    prefetch: usize,
    max_time: Duration,
) {
    let until = tokio::time::Instant::now() + max_time;
    let mut pace = Pace::new();
    while tokio::time::Instant::now() < until {
        match coordinator.take(pace.want(prefetch)).await {
            Ok(taken) if !taken.is_empty() => {
                let batch: Vec<Job> = taken
                    .into_iter()
                    .map(|(_, item)| Job {
                        line: item.line,
                        user_id: item.user_id,
                        body: item.body,
                    })
                    .collect();
                pace.handed_over(batch.len());
                // Waits while the batch before is still unclaimed.
                if sender.send(batch).await.is_err() {
                    return;
                }
                continue;
            }
            Ok(_) => {
                // Nothing to take: the run may be over, or runners hold what is left.
                let _ = coordinator.flush_acks().await;
                match coordinator.counts().await {
                    Ok(counts) if counts.finished() => return,
                    Ok(counts) if counts.remaining() <= counts.leased => {
                        tokio::time::sleep(POLL_END).await;
                        continue;
                    }
                    _ => {}
                }
            }
            Err(_) => {}
        }
        tokio::time::sleep(POLL).await;
        pace.idle();
    }
}

/// How fast the executor takes items from the pump.
struct Pace {
    since: tokio::time::Instant,
    handed: usize,
    /// Items per second, once measured.
    rate: Option<f64>,
}

impl Pace {
    fn new() -> Pace {
        Pace {
            since: tokio::time::Instant::now(),
            handed: 0,
            rate: None,
        }
    }

    fn handed_over(&mut self, items: usize) {
        self.handed += items;
    }

    /// Forgets the rate after an idle spell.
    fn idle(&mut self) {
        *self = Pace::new();
    }

    /// How many to take: `first` before the rate is known, then what the executor uses in
    /// [`HOLD_FOR`] (at least one).
    fn want(&mut self, first: usize) -> usize {
        let span = self.since.elapsed();
        if span >= MEASURE_OVER {
            self.rate = Some(self.handed as f64 / span.as_secs_f64());
            self.handed = 0;
            self.since = tokio::time::Instant::now();
        }
        match self.rate {
            None => first,
            Some(rate) => ((rate * HOLD_FOR.as_secs_f64()).ceil() as usize).clamp(1, MOST),
        }
    }
}

impl JobSource for QueueSource {
    fn next(&mut self) -> Next {
        if let Some(job) = self.current.pop_front() {
            return Next::Job(job);
        }
        match self.batches.try_recv() {
            Ok(batch) => {
                self.current = batch.into();
                self.current.pop_front().map_or(Next::Later, Next::Job)
            }
            Err(TryRecvError::Empty) => Next::Later,
            Err(TryRecvError::Disconnected) => Next::Done,
        }
    }

    fn changed(&mut self) -> Wake<'_> {
        Box::pin(async move {
            if self.current.is_empty()
                && let Some(batch) = self.batches.recv().await
            {
                self.current = batch.into();
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_runner_takes_what_it_uses_in_ten_milliseconds() {
        let mut pace = Pace::new();
        assert_eq!(pace.want(8), 8, "no rate yet");
        // 2,000 items in 100 ms: 20 a millisecond, 200 in 10 ms.
        pace.handed_over(2_000);
        tokio::time::advance(Duration::from_millis(100)).await;
        assert_eq!(pace.want(8), 200);
        // 50 a second: one at a time.
        pace.handed_over(5);
        tokio::time::advance(Duration::from_millis(100)).await;
        assert_eq!(pace.want(8), 1);
        pace.handed_over(1_000_000);
        tokio::time::advance(Duration::from_millis(100)).await;
        assert_eq!(pace.want(8), MOST);
        pace.idle();
        assert_eq!(pace.want(8), 8, "a rate forgotten after an idle spell");
    }
}
