//! The emulator's shared state: clock, agents, tokens, stored schedules, limiters and counters.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use base64::Engine;
use pacer_core::rng::Rng;
use pacer_genesys::{Schedule, Shift};

use crate::agents::{Agents, parse_uuid};
use crate::config::Config;
use crate::error::EmulatorError;
use crate::faults::FaultEngine;
use crate::hash::FastMap;
use crate::limits::Limits;
use crate::names::GivenNames;
use crate::notify::Notifier;
use crate::respond::CorrelationIds;
use crate::stats::{Ledger, Stats, StatsReport};
use crate::wfm::Wfm;

/// Mixed into the seed for the token stream.
const TOKEN_STREAM: u64 = 0x70CE_0000_0000_0002;
/// Mixed into the seed for the fault stream.
const FAULT_STREAM: u64 = 0xFA17_0000_0000_0003;
/// Shards of the schedule store.
const SCHEDULE_SHARDS: usize = 64;

/// Where the emulator's time comes from.
#[derive(Debug, Clone)]
enum Clock {
    /// `tokio::time::Instant`, so that tests can pause and advance time.
    Tokio(tokio::time::Instant),
    /// Set by hand from a test, in nanoseconds since the start.
    Manual(Arc<AtomicU64>),
}

/// A clock a test moves by hand (see [`AppState::with_manual_clock`]).
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<AtomicU64>);

impl ManualClock {
    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(by.as_nanos() as u64, Ordering::SeqCst);
    }

    /// Sets the time since the emulator's start.
    pub fn set(&self, since_start: Duration) {
        self.0
            .store(since_start.as_nanos() as u64, Ordering::SeqCst);
    }

    /// The time since the emulator's start.
    pub fn now(&self) -> Duration {
        Duration::from_nanos(self.0.load(Ordering::SeqCst))
    }
}

/// The emulator's state, cheap to clone (one `Arc`).
#[derive(Debug, Clone)]
pub struct AppState {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub config: Config,
    clock: Clock,
    pub agents: Agents,
    pub tokens: Tokens,
    pub schedules: Schedules,
    pub ledger: Ledger,
    pub wfm: Wfm,
    pub notifier: Notifier,
    pub limits: Limits,
    pub stats: Stats,
    pub faults: FaultEngine,
    pub cids: CorrelationIds,
}

impl AppState {
    /// Builds the state for a configuration; time starts now on tokio's clock.
    pub fn new(config: Config) -> Result<AppState, EmulatorError> {
        AppState::build(config, Clock::Tokio(tokio::time::Instant::now()))
    }

    /// Builds the state with a clock that only moves when the returned handle moves it.
    pub fn with_manual_clock(config: Config) -> Result<(AppState, ManualClock), EmulatorError> {
        let nanos = Arc::new(AtomicU64::new(0));
        let state = AppState::build(config, Clock::Manual(nanos.clone()))?;
        Ok((state, ManualClock(nanos)))
    }

    fn build(config: Config, clock: Clock) -> Result<AppState, EmulatorError> {
        config.validate()?;
        let limits = Limits::new(&config.limiters, config.oauth.mint_limit.as_ref());
        let stats = Stats::new(config.limiters.len());
        let inner = Inner {
            agents: agents_of(&config),
            tokens: Tokens::new(config.seed ^ TOKEN_STREAM),
            schedules: Schedules::new(),
            ledger: Ledger::new(),
            wfm: Wfm::new(&config),
            notifier: Notifier::default(),
            faults: FaultEngine::new(&config.faults, config.seed ^ FAULT_STREAM),
            cids: CorrelationIds::new(config.seed),
            limits,
            stats,
            clock,
            config,
        };
        Ok(AppState {
            inner: Arc::new(inner),
        })
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The emulator's time: since its start.
    pub fn now(&self) -> Duration {
        self.inner.now()
    }

    /// The UUID of agent number `index` (0-based), as text.
    pub fn agent_id(&self, index: u32) -> Option<String> {
        ((index as usize) < self.inner.agents.len())
            .then(|| crate::agents::format_uuid(self.inner.agents.id(index)))
    }

    /// Every bearer token minted and still held, for tests that look for them where they must
    /// not be (reports, journals, logs).
    pub fn minted_tokens(&self) -> Vec<String> {
        let map = self
            .inner
            .tokens
            .map
            .read()
            .unwrap_or_else(|e| e.into_inner());
        map.keys().map(|k| k.to_string()).collect()
    }

    /// The counters, as `GET /__emulator/stats` reports them.
    pub fn stats(&self) -> StatsReport {
        self.inner.stats_report()
    }

    /// Clears counters, stored schedules, WFM schedules, transfers, notification channels and
    /// limiter state (tokens stay valid).
    pub fn reset(&self) {
        self.inner.schedules.clear();
        self.inner.ledger.clear();
        self.inner.wfm.reset();
        self.inner.notifier.clear();
        self.inner.limits.clear();
        self.inner.stats.clear();
    }
}

/// The agents: a mirror's users in its layout's order, with the names and e-mails it gave, or
/// `config.agents` seeded ones.
fn agents_of(config: &Config) -> Agents {
    let Some(source) = &config.mirror else {
        return Agents::new(config.agents, config.seed);
    };
    let users = &source.mirror.users;
    let ordered = || source.layout.order.iter().map(|&u| &users[u as usize]);
    // The mirror's checks made every user's id a UUID.
    let ids = ordered().filter_map(|u| parse_uuid(&u.id)).collect();
    let agents = Agents::from_ids(ids);
    if users.iter().all(|u| u.name.is_none() && u.email.is_none()) {
        return agents;
    }
    agents.with_given(GivenNames::new(
        ordered().map(|u| (u.name.clone(), u.email.clone())),
    ))
}

impl Inner {
    pub fn now(&self) -> Duration {
        match &self.clock {
            Clock::Tokio(start) => tokio::time::Instant::now().saturating_duration_since(*start),
            Clock::Manual(nanos) => Duration::from_nanos(nanos.load(Ordering::SeqCst)),
        }
    }

    pub fn stats_report(&self) -> StatsReport {
        let s = &self.stats;
        let mut throttled_by_limit = BTreeMap::new();
        for (index, count) in s.throttled.iter().enumerate() {
            let count = count.load(Ordering::Relaxed);
            if count > 0 {
                *throttled_by_limit
                    .entry(self.limits.config(index).key.clone())
                    .or_insert(0) += count;
            }
        }
        let minted_throttled = s.mint_throttled.load(Ordering::Relaxed);
        if let (Some(mint), true) = (self.limits.mint_config(), minted_throttled > 0) {
            *throttled_by_limit.entry(mint.key.clone()).or_insert(0) += minted_throttled;
        }
        let responses_by_status = s.responses_by_status();
        StatsReport {
            requests_total: s.requests_total.load(Ordering::Relaxed),
            responses_by_status,
            throttled_by_limit,
            tokens_minted: s.tokens_minted.load(Ordering::Relaxed),
            writes_total: s.writes_total.load(Ordering::Relaxed),
            users_written: s.users_written.load(Ordering::Relaxed),
            max_writes_per_user: s.max_writes_per_user.load(Ordering::Relaxed),
            rejected_writes: s.rejected_writes.load(Ordering::Relaxed),
            faults_injected: s.faults_injected.load(Ordering::Relaxed),
            connections_reset: s.connections_reset.load(Ordering::Relaxed),
            uploads: s.uploads.load(Ordering::Relaxed),
            updates_started: s.updates_started.load(Ordering::Relaxed),
            updates_completed: s.updates_completed.load(Ordering::Relaxed),
            updates_failed: s.updates_failed.load(Ordering::Relaxed),
            notifications_sent: s.notifications_sent.load(Ordering::Relaxed),
            notifications_dropped: s.notifications_dropped.load(Ordering::Relaxed),
            agents: self.agents.len() as u64,
            uptime_ms: self.now().as_millis() as u64,
        }
    }
}

/// What is known about a minted token.
#[derive(Debug, Clone, Copy)]
pub struct TokenInfo {
    pub id: u64,
    pub client: u32,
    pub minted_at: Duration,
    pub expires_at: Duration,
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenProblem {
    /// No token was sent.
    Missing,
    /// The token is not one the emulator minted, or it was revoked.
    Unknown,
    /// The token's lifetime is over.
    Expired,
}

/// Minted tokens.
#[derive(Debug)]
pub struct Tokens {
    map: RwLock<FastMap<Box<str>, TokenInfo>>,
    rng: Mutex<Rng>,
    next_id: AtomicU64,
}

impl Tokens {
    fn new(seed: u64) -> Self {
        Tokens {
            map: RwLock::new(FastMap::default()),
            rng: Mutex::new(Rng::new(seed)),
            next_id: AtomicU64::new(1),
        }
    }

    /// Mints a token for `client` that lives `lifetime` from `now`.
    pub fn mint(&self, client: u32, now: Duration, lifetime: Duration) -> String {
        let mut bytes = [0u8; 32];
        {
            let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
            for chunk in bytes.chunks_mut(8) {
                chunk.copy_from_slice(&rng.next_u64().to_le_bytes());
            }
        }
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let info = TokenInfo {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            client,
            minted_at: now,
            expires_at: now + lifetime,
        };
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        // Expired tokens are dropped now and then so that a long run does not grow without bound.
        if map.len() >= 4096 && map.len().is_power_of_two() {
            map.retain(|_, t| t.expires_at > now);
        }
        map.insert(token.clone().into_boxed_str(), info);
        token
    }

    /// Checks a bearer token at `now`; `revoked_before` revokes tokens minted before it.
    pub fn check(
        &self,
        token: &str,
        now: Duration,
        revoked_before: Option<Duration>,
    ) -> Result<TokenInfo, TokenProblem> {
        let info = {
            let map = self.map.read().unwrap_or_else(|e| e.into_inner());
            *map.get(token).ok_or(TokenProblem::Unknown)?
        };
        if revoked_before.is_some_and(|at| now >= at && info.minted_at < at) {
            return Err(TokenProblem::Unknown);
        }
        if now >= info.expires_at {
            return Err(TokenProblem::Expired);
        }
        Ok(info)
    }
}

/// One agent's stored schedule, kept as its serialized JSON so that it costs one allocation.
#[derive(Debug)]
pub struct Stored {
    pub version: u64,
    /// `"weekDate":...,"shifts":[...]`: the members of the schedule's JSON object, no braces.
    pub members: Box<[u8]>,
}

impl Stored {
    /// The answer body of `GET`/`PUT`: the schedule with its user id and version.
    pub fn record(&self, user_id: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.members.len() + user_id.len() + 48);
        out.extend_from_slice(b"{\"userId\":\"");
        out.extend_from_slice(user_id.as_bytes());
        out.extend_from_slice(b"\",");
        out.extend_from_slice(&self.members);
        out.extend_from_slice(b",\"metadata\":{\"version\":");
        out.extend_from_slice(self.version.to_string().as_bytes());
        out.extend_from_slice(b"}}");
        out
    }
}

/// The members of a schedule's JSON object (`"weekDate":...,"shifts":[...]`), for [`Stored`].
pub fn schedule_members(schedule: &Schedule) -> Result<Box<[u8]>, serde_json::Error> {
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Members<'a> {
        week_date: &'a str,
        shifts: &'a [Shift],
    }
    let json = serde_json::to_vec(&Members {
        week_date: &schedule.week_date,
        shifts: &schedule.shifts,
    })?;
    // Strip the object's braces; what is left are its members.
    Ok(json[1..json.len() - 1].into())
}

/// Why a write was refused by the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionConflict {
    pub current: u64,
}

/// Stored schedules, only for agents that were written (so that 100,000 idle agents cost nothing).
#[derive(Debug)]
pub struct Schedules {
    shards: Box<[Mutex<FastMap<u32, Stored>>]>,
}

impl Schedules {
    fn new() -> Self {
        Schedules {
            shards: (0..SCHEDULE_SHARDS)
                .map(|_| Mutex::new(FastMap::default()))
                .collect(),
        }
    }

    fn shard(&self, agent: u32) -> std::sync::MutexGuard<'_, FastMap<u32, Stored>> {
        self.shards[agent as usize % SCHEDULE_SHARDS]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Stores a schedule and returns its new version; with `metadata.version` set, the write is
    /// refused unless it equals the stored version (0 when nothing is stored).
    /// `render` runs on the stored schedule while it is still locked, so that the answer shows
    /// exactly this write.
    pub fn write<T>(
        &self,
        agent: u32,
        expected_version: Option<u64>,
        members: Box<[u8]>,
        ledger: &Ledger,
        stats: &Stats,
        render: impl FnOnce(&Stored) -> T,
    ) -> Result<T, VersionConflict> {
        let mut shard = self.shard(agent);
        let current = shard.get(&agent).map_or(0, |s| s.version);
        if expected_version.is_some_and(|expected| expected != current) {
            return Err(VersionConflict { current });
        }
        let stored = shard.entry(agent).or_insert_with(|| Stored {
            version: 0,
            members: Box::default(),
        });
        stored.version += 1;
        stored.members = members;
        ledger.record(agent, stats);
        Ok(render(stored))
    }

    /// Runs `f` on an agent's stored schedule, if any.
    pub fn read<T>(&self, agent: u32, f: impl FnOnce(&Stored) -> T) -> Option<T> {
        self.shard(agent).get(&agent).map(f)
    }

    fn clear(&self) {
        for shard in self.shards.iter() {
            shard.lock().unwrap_or_else(|e| e.into_inner()).clear();
        }
    }
}
