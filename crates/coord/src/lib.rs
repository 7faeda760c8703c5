//! pacer-coord: several runners, one budget and one queue, through Redis.
//!
//! Every runner of a run connects to the same Redis with the same run name. The first loads the
//! input's items into the run's queue (a stream read by one consumer group: each item is leased
//! to one runner, acknowledged only after the server's 2xx, and reclaimed by the others when its
//! runner goes silent past the lease); the others check that their input has the same fingerprint
//! and join. The budget the runners share (the organization-wide and per-endpoint limits,
//! declared by the limits API or learned from a 429, and the gate a 429 closes) lives in Redis too,
//! each limit in the shape the runners learn of it as a lone pacer does (a count per window, a
//! fixed window and its boundaries, a token bucket and its burst), decided by one Lua script per
//! lease of permits on Redis's own clock. Per-token budgets stay with each runner's own pacer:
//! this is a second budget beside it, not a second pacer.
//!
//! When Redis is lost mid-run, each runner falls back to its share of the budget (each shared
//! limit divided by the runners last seen alive), finishes the items it holds, keeps their
//! acknowledgements, and says so; when Redis is back it flushes them and carries on.

mod budget;
mod error;
mod fallback;
mod keys;
mod learn;
mod lease;
mod link;
mod queue;
mod scripts;
mod server;
mod shape;
mod source;
mod status;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::sync::mpsc::UnboundedSender;

pub use budget::SharedLimit;
pub use error::{Error, Result};
pub use link::{Notice, redact};
pub use queue::{Joined, Outcome, QueueItem, RunCounts};
pub use server::LocalRedis;
pub use source::QueueSource;
pub use status::{RunStatus, RunnerStatus, status};

use keys::Keys;
use link::Link;

/// How a runner takes part in a run.
#[derive(Debug, Clone)]
pub struct Options {
    /// The run's name: runners with the same name share its queue and budget.
    pub run: String,
    /// This runner's name, unique among the run's runners.
    pub runner: String,
    /// How long an item stays leased to a silent runner before another takes it.
    pub lease: Duration,
    /// The share of each shared limit kept in reserve (0.02 paces at 98% of it).
    pub margin: f64,
}

impl Options {
    pub fn new(run: impl Into<String>, runner: impl Into<String>) -> Options {
        Options {
            run: run.into(),
            runner: runner.into(),
            lease: Duration::from_secs(10),
            margin: 0.02,
        }
    }
}

/// How often a runner says it is alive, renews its leases and flushes its acknowledgements.
const KEEP_EVERY: Duration = Duration::from_millis(500);
/// How long acknowledgements gather before the keeper writes them.
const ACKS_EVERY: Duration = Duration::from_millis(20);
/// A runner not heard from for this long no longer counts as alive.
const ALIVE_WITHIN: Duration = Duration::from_secs(5);

/// The keeper's task; dropping it stops the keeper.
pub struct Keeper(tokio::task::JoinHandle<()>);

impl Drop for Keeper {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A runner's link to its run.
#[derive(Clone)]
pub struct Coordinator {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    link: Link,
    keys: Keys,
    options: Options,
    /// The shared limits as last read.
    known: Mutex<budget::Known>,
    /// Runners seen alive at the last heartbeat (this one included).
    alive: AtomicU32,
    /// The local budget used while Redis is away.
    fallback: Mutex<Option<fallback::Fallback>>,
    /// This runner's lease of shared permits.
    permits: Mutex<lease::Permits>,
    /// One request at a time asks for a new lease; the others wait for it (counted here).
    refill: tokio::sync::Mutex<()>,
    waiting: AtomicU64,
    /// The share of the strictest shared limit in use at the last lease, in millionths.
    used_ppm: AtomicU64,
    /// Which advertised quota is this runner's own token's.
    own: Mutex<learn::Own>,
    /// Whether headers are being applied to the shared limits (others are skipped meanwhile),
    /// and when they last were.
    syncing: AtomicBool,
    last_sync: Mutex<Option<tokio::time::Instant>>,
    /// When this runner last looked for items of silent runners.
    last_reclaim: Mutex<Option<tokio::time::Instant>>,
    /// Items this runner holds: line to stream entry id.
    leases: Mutex<HashMap<u64, String>>,
    /// Acknowledgements not yet written to Redis.
    acks: Mutex<Vec<queue::Ack>>,
    /// Wakes the keeper to flush acknowledgements now.
    flush: Notify,
    /// What this runner reports of itself.
    sent: AtomicU64,
    written: AtomicU64,
    /// This runner has finished its part.
    finished: AtomicBool,
    started: tokio::time::Instant,
}

impl Coordinator {
    /// Connects to Redis at `url` (`redis://HOST:PORT[/DB]`) for `options.run`. Fails at once,
    /// with the URL (without its password) and the reason, when Redis cannot be reached.
    pub async fn connect(
        url: &str,
        options: Options,
        notices: Option<UnboundedSender<Notice>>,
    ) -> Result<Coordinator> {
        let link = Link::open(url, notices).await?;
        let coordinator = Coordinator {
            inner: Arc::new(Inner {
                link,
                keys: Keys::new(&options.run),
                options,
                known: Mutex::new(budget::Known::default()),
                alive: AtomicU32::new(1),
                fallback: Mutex::new(None),
                permits: Mutex::new(lease::Permits::new(tokio::time::Instant::now())),
                refill: tokio::sync::Mutex::new(()),
                waiting: AtomicU64::new(0),
                used_ppm: AtomicU64::new(0),
                own: Mutex::new(learn::Own::default()),
                syncing: AtomicBool::new(false),
                last_sync: Mutex::new(None),
                last_reclaim: Mutex::new(None),
                leases: Mutex::new(HashMap::new()),
                acks: Mutex::new(Vec::new()),
                flush: Notify::new(),
                sent: AtomicU64::new(0),
                written: AtomicU64::new(0),
                finished: AtomicBool::new(false),
                started: tokio::time::Instant::now(),
            }),
        };
        coordinator.keep().await;
        Ok(coordinator)
    }

    /// The URL, without its password.
    pub fn url(&self) -> &str {
        &self.inner.link.shown
    }

    /// The run's options.
    pub fn options(&self) -> &Options {
        &self.inner.options
    }

    /// Round trips to Redis so far.
    pub fn round_trips(&self) -> u64 {
        self.inner.link.round_trips()
    }

    /// Whether Redis answered the last command.
    pub fn is_online(&self) -> bool {
        self.inner.link.is_online()
    }

    /// Runners seen alive lately, this one included.
    pub fn runners_alive(&self) -> u32 {
        self.inner.alive.load(Ordering::Relaxed).max(1)
    }

    /// Starts the keeper: every half second (or a third of the lease) it says this runner is
    /// alive, renews its leases, flushes its acknowledgements, gives back the permits of a lease
    /// that ran out unused and rereads the shared limits; when an acknowledgement waits it only
    /// flushes, with those of the next 20 ms. It stops when the returned [`Keeper`] is dropped, or when every clone of
    /// the coordinator is.
    pub fn spawn_keeper(&self) -> Keeper {
        let weak = Arc::downgrade(&self.inner);
        // A lease is renewed at least three times before it would expire.
        let every = KEEP_EVERY.min(self.inner.options.lease / 3);
        Keeper(tokio::spawn(async move {
            let mut next = tokio::time::Instant::now() + every;
            loop {
                let Some(inner) = weak.upgrade() else { return };
                let coordinator = Coordinator { inner };
                if tokio::time::Instant::now() >= next {
                    coordinator.keep().await;
                    next = tokio::time::Instant::now() + every;
                } else {
                    let _ = coordinator.flush_acks().await;
                }
                tokio::select! {
                    _ = coordinator.inner.flush.notified() => {
                        // The acknowledgements of the next moments go in the same round trip.
                        tokio::time::sleep(ACKS_EVERY.min(next.saturating_duration_since(tokio::time::Instant::now()))).await;
                    }
                    _ = tokio::time::sleep_until(next) => {}
                }
            }
        }))
    }

    /// One round of the keeper's work; errors leave it for the next round.
    async fn keep(&self) {
        let _ = self.flush_acks().await;
        let _ = self.heartbeat().await;
        let _ = self.renew().await;
        let _ = self.give_back_idle().await;
        let _ = self.read_limits().await;
    }

    /// Counts a request this runner sent, for its figures in `status`.
    pub fn count_sent(&self) {
        self.inner.sent.fetch_add(1, Ordering::Relaxed);
    }

    /// Says that this runner has finished its part (shown by `status` instead of "gone").
    pub async fn finished(&self) {
        self.inner.finished.store(true, Ordering::Relaxed);
        let _ = self.give_back_all().await;
        let _ = self.heartbeat().await;
    }

    async fn heartbeat(&self) -> Result<()> {
        let inner = &self.inner;
        let elapsed = inner.started.elapsed().as_secs_f64().max(1.0);
        let written = inner.written.load(Ordering::Relaxed);
        let figures = serde_json::json!({
            "sent": inner.sent.load(Ordering::Relaxed),
            "written": written,
            "rate_per_min": (written as f64 / elapsed * 60.0).round(),
            "held": inner.leases.lock().unwrap_or_else(|e| e.into_inner()).len(),
            "fallback": !inner.link.is_online(),
            "finished": inner.finished.load(Ordering::Relaxed),
        });
        let alive: u32 = inner
            .link
            .eval(
                &scripts::HEARTBEAT,
                &[&inner.keys.runners],
                &[
                    inner.options.runner.clone(),
                    figures.to_string(),
                    ALIVE_WITHIN.as_millis().to_string(),
                ],
            )
            .await?;
        inner.alive.store(alive.max(1), Ordering::Relaxed);
        Ok(())
    }
}
