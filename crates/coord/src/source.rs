//! The queue as the executor's job source: a pump task takes leased items from Redis ahead of
//! need (a few at a time, so that leases stay short) and hands them over without blocking.

use std::time::Duration;

use pacer_client::{Job, JobSource, Next, Wake};
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TryRecvError;

use crate::Coordinator;

/// How long the pump waits before asking again when the queue had nothing for it.
const POLL: Duration = Duration::from_millis(200);

/// The run's queue, pulled by one executor.
pub struct QueueSource {
    jobs: mpsc::Receiver<Job>,
    peeked: Option<Job>,
    pump: tokio::task::JoinHandle<()>,
}

impl QueueSource {
    /// Starts pumping: at most `prefetch` items wait in this runner besides those in flight. The
    /// pump stops when every item of the run is done or failed, or after `max_time`.
    pub fn start(coordinator: Coordinator, prefetch: usize, max_time: Duration) -> QueueSource {
        let prefetch = prefetch.max(1);
        let (sender, jobs) = mpsc::channel(prefetch);
        let pump = tokio::spawn(pump(coordinator, sender, prefetch, max_time));
        QueueSource {
            jobs,
            peeked: None,
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
    sender: mpsc::Sender<Job>,
    prefetch: usize,
    max_time: Duration,
) {
    let until = tokio::time::Instant::now() + max_time;
    while tokio::time::Instant::now() < until {
        let room = sender.capacity().clamp(1, prefetch);
        match coordinator.take(room).await {
            Ok(taken) if !taken.is_empty() => {
                for (_, item) in taken {
                    let job = Job {
                        line: item.line,
                        user_id: item.user_id,
                        body: item.body,
                    };
                    if sender.send(job).await.is_err() {
                        return;
                    }
                }
                continue;
            }
            Ok(_) => {
                // Nothing to take: the run may be over, or others hold what is left.
                let _ = coordinator.flush_acks().await;
                if coordinator.counts().await.is_ok_and(|c| c.finished()) {
                    return;
                }
            }
            Err(_) => {}
        }
        tokio::time::sleep(POLL).await;
    }
}

impl JobSource for QueueSource {
    fn next(&mut self) -> Next {
        if let Some(job) = self.peeked.take() {
            return Next::Job(job);
        }
        match self.jobs.try_recv() {
            Ok(job) => Next::Job(job),
            Err(TryRecvError::Empty) => Next::Later,
            Err(TryRecvError::Disconnected) => Next::Done,
        }
    }

    fn changed(&mut self) -> Wake<'_> {
        Box::pin(async move {
            if self.peeked.is_none()
                && let Some(job) = self.jobs.recv().await
            {
                self.peeked = Some(job);
            }
        })
    }
}
