//! The emulator's counters: the atomic counters every path adds to, the ledger of writes per
//! agent that both write paths count in, and the report `GET /__emulator/stats` answers.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::hash::FastMap;

/// Shards of the ledger.
const LEDGER_SHARDS: usize = 64;

/// What `GET /__emulator/stats` answers. Other tools read these fields by name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StatsReport {
    /// Requests to the API and OAuth routes (and unknown routes); not `/__emulator/*` nor `/metrics`.
    pub requests_total: u64,
    /// Status code (as text) to count, for the same requests.
    pub responses_by_status: BTreeMap<String, u64>,
    /// Limit key to the number of requests it refused with 429.
    pub throttled_by_limit: BTreeMap<String, u64>,
    pub tokens_minted: u64,
    /// Successful writes of one agent's schedule, by the per-agent route or a schedule update.
    pub writes_total: u64,
    /// Distinct agents with at least one successful write, by either path.
    pub users_written: u64,
    /// The most successful writes any one agent received, by either path.
    pub max_writes_per_user: u64,
    /// Schedule writes answered with anything but 200 (400, 401, 404, 409, 413, 429, faults).
    pub rejected_writes: u64,
    /// Injected error answers (error rates and maintenance windows).
    pub faults_injected: u64,
    /// Connections reset on purpose.
    pub connections_reset: u64,
    /// Schedule uploads stored through an upload URL.
    #[serde(default)]
    pub uploads: u64,
    /// Schedule updates accepted (202) and processing.
    #[serde(default)]
    pub updates_started: u64,
    /// Schedule updates that ended `Complete`.
    #[serde(default)]
    pub updates_completed: u64,
    /// Schedule updates that ended `Error`.
    #[serde(default)]
    pub updates_failed: u64,
    /// Events delivered on notification sockets (heartbeats not counted).
    #[serde(default)]
    pub notifications_sent: u64,
    /// Events lost to a dropped notification socket (an injected fault).
    #[serde(default)]
    pub notifications_dropped: u64,
    pub agents: u64,
    pub uptime_ms: u64,
}

/// Counters, all atomic so the hot path never locks for them.
#[derive(Debug)]
pub struct Stats {
    pub requests_total: AtomicU64,
    by_status: Box<[AtomicU64]>,
    /// Per limiter index.
    pub throttled: Box<[AtomicU64]>,
    pub mint_throttled: AtomicU64,
    pub tokens_minted: AtomicU64,
    pub writes_total: AtomicU64,
    pub users_written: AtomicU64,
    pub max_writes_per_user: AtomicU64,
    pub rejected_writes: AtomicU64,
    pub faults_injected: AtomicU64,
    pub connections_reset: AtomicU64,
    pub uploads: AtomicU64,
    pub updates_started: AtomicU64,
    pub updates_completed: AtomicU64,
    pub updates_failed: AtomicU64,
    pub notifications_sent: AtomicU64,
    pub notifications_dropped: AtomicU64,
}

impl Stats {
    pub(crate) fn new(limiters: usize) -> Self {
        Stats {
            requests_total: AtomicU64::new(0),
            by_status: (0..600).map(|_| AtomicU64::new(0)).collect(),
            throttled: (0..limiters).map(|_| AtomicU64::new(0)).collect(),
            mint_throttled: AtomicU64::new(0),
            tokens_minted: AtomicU64::new(0),
            writes_total: AtomicU64::new(0),
            users_written: AtomicU64::new(0),
            max_writes_per_user: AtomicU64::new(0),
            rejected_writes: AtomicU64::new(0),
            faults_injected: AtomicU64::new(0),
            connections_reset: AtomicU64::new(0),
            uploads: AtomicU64::new(0),
            updates_started: AtomicU64::new(0),
            updates_completed: AtomicU64::new(0),
            updates_failed: AtomicU64::new(0),
            notifications_sent: AtomicU64::new(0),
            notifications_dropped: AtomicU64::new(0),
        }
    }

    /// Counts one answer with `status`.
    pub fn respond(&self, status: u16) {
        if let Some(slot) = self.by_status.get(status as usize) {
            slot.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Answers counted by status (as text), leaving out statuses never answered.
    pub fn responses_by_status(&self) -> BTreeMap<String, u64> {
        self.by_status
            .iter()
            .enumerate()
            .filter_map(|(status, count)| {
                let count = count.load(Ordering::Relaxed);
                (count > 0).then(|| (status.to_string(), count))
            })
            .collect()
    }

    /// Sets every counter back to zero.
    pub(crate) fn clear(&self) {
        let all = [
            &self.requests_total,
            &self.mint_throttled,
            &self.tokens_minted,
            &self.writes_total,
            &self.users_written,
            &self.max_writes_per_user,
            &self.rejected_writes,
            &self.faults_injected,
            &self.connections_reset,
            &self.uploads,
            &self.updates_started,
            &self.updates_completed,
            &self.updates_failed,
            &self.notifications_sent,
            &self.notifications_dropped,
        ];
        for counter in all
            .into_iter()
            .chain(self.by_status.iter())
            .chain(self.throttled.iter())
        {
            counter.store(0, Ordering::Relaxed);
        }
    }
}

/// Successful writes per agent, by either path (the per-agent route or a schedule update), so
/// that `users_written` and `max_writes_per_user` count an agent once whichever way it was written.
#[derive(Debug)]
pub struct Ledger {
    shards: Box<[Mutex<FastMap<u32, u64>>]>,
}

impl Ledger {
    pub(crate) fn new() -> Self {
        Ledger {
            shards: (0..LEDGER_SHARDS)
                .map(|_| Mutex::new(FastMap::default()))
                .collect(),
        }
    }

    /// Counts one successful write to `agent`.
    pub fn record(&self, agent: u32, stats: &Stats) {
        let mut shard = self.shards[agent as usize % LEDGER_SHARDS]
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let writes = shard.entry(agent).or_insert(0);
        if *writes == 0 {
            stats.users_written.fetch_add(1, Ordering::Relaxed);
        }
        *writes += 1;
        stats.writes_total.fetch_add(1, Ordering::Relaxed);
        stats
            .max_writes_per_user
            .fetch_max(*writes, Ordering::Relaxed);
    }

    /// Forgets every write.
    pub(crate) fn clear(&self) {
        for shard in self.shards.iter() {
            shard.lock().unwrap_or_else(|e| e.into_inner()).clear();
        }
    }
}
