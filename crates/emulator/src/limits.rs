//! Layered rate limiting: one keyed table of `pacer_core` limiters per configured limiter.
//!
//! A request passes through every limiter that covers its route, or through none: the shards of
//! all layers are locked together (always in limiter order, so two requests cannot deadlock),
//! `pacer_core::limiter::admit_all` decides, and a refused request records nothing anywhere.

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use pacer_core::limiter::{Algorithm, Limiter, Snapshot, admit_all};

use crate::config::{LimiterConfig, Scope};
use crate::hash::{FastMap, mix};
use crate::route::Route;

/// Shards per limiter table: enough that two cores rarely wait on each other.
const SHARDS: usize = 16;

/// A keyed store is swept of idle limiters when it grows past this many entries (and doubles).
const SWEEP_MIN: usize = 1024;

/// Who is asking, so each layer can pick its key.
#[derive(Debug, Clone, Copy)]
pub struct Caller {
    pub token: u64,
    pub client: u32,
    /// The user named in the path: the agent's UUID, or a hash of the raw segment.
    pub user: Option<u128>,
}

struct Shard {
    map: FastMap<u128, Limiter>,
    sweep_at: usize,
}

/// One configured limiter and its per-key state.
pub struct Table {
    pub config: LimiterConfig,
    shards: Box<[Mutex<Shard>]>,
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Table {
    fn new(config: LimiterConfig) -> Self {
        let shards = (0..SHARDS)
            .map(|_| {
                Mutex::new(Shard {
                    map: FastMap::default(),
                    sweep_at: SWEEP_MIN,
                })
            })
            .collect();
        Table { config, shards }
    }

    /// This layer's key for a caller on a route; `None` when the layer does not apply.
    fn key(&self, route: Option<Route>, caller: &Caller) -> Option<u128> {
        Some(match self.config.scope {
            Scope::Token => u128::from(caller.token),
            Scope::Client => u128::from(caller.client),
            Scope::Organization => 0,
            Scope::User => caller.user?,
            Scope::Route => route.map_or(u128::MAX, |r| r.index() as u128),
        })
    }

    fn lock(&self, key: u128) -> MutexGuard<'_, Shard> {
        let shard = (mix(key as u64 ^ (key >> 64) as u64) as usize) % SHARDS;
        // A poisoned shard only means another request panicked; its counts are still usable.
        self.shards[shard].lock().unwrap_or_else(|e| e.into_inner())
    }

    fn clear(&self) {
        for shard in self.shards.iter() {
            let mut shard = shard.lock().unwrap_or_else(|e| e.into_inner());
            shard.map.clear();
            shard.sweep_at = SWEEP_MIN;
        }
    }
}

impl Shard {
    fn limiter(&mut self, key: u128, config: &LimiterConfig, now: Duration) -> &mut Limiter {
        if !self.map.contains_key(&key) && self.map.len() >= self.sweep_at {
            self.map.retain(|_, limiter| !limiter.is_idle(now));
            self.sweep_at = (self.map.len() * 2).max(SWEEP_MIN);
        }
        self.map
            .entry(key)
            .or_insert_with(|| Limiter::new(config.spec))
    }
}

/// A refusal: which limiter, how long until it would admit, and its state for headers.
#[derive(Debug, Clone, Copy)]
pub struct Refusal {
    pub limiter: usize,
    pub retry_after: Duration,
    pub snapshot: Snapshot,
}

/// An admission: the advertised layers' states, and the concurrency slots to give back.
#[derive(Debug, Default)]
pub struct Admission {
    /// (limiter index, state after admission), most constrained first.
    pub advertised: Vec<(usize, Snapshot)>,
    /// (limiter index, key) of concurrency layers, released when the request finishes.
    pub held: Vec<(usize, u128)>,
}

/// Every rate limiter of the emulator.
#[derive(Debug)]
pub struct Limits {
    tables: Vec<Table>,
    /// For each route (by index), the limiters covering it, in limiter order.
    by_route: Vec<Vec<usize>>,
    /// The token-minting limiter, scoped to clients.
    mint: Option<Table>,
}

impl Limits {
    /// Builds the tables from validated limiter configurations.
    pub fn new(limiters: &[LimiterConfig], mint: Option<&LimiterConfig>) -> Self {
        let by_route = Route::ALL
            .iter()
            .map(|route| {
                limiters
                    .iter()
                    .enumerate()
                    .filter(|(_, l)| l.covers(*route))
                    .map(|(i, _)| i)
                    .collect()
            })
            .collect();
        Limits {
            tables: limiters.iter().cloned().map(Table::new).collect(),
            by_route,
            mint: mint.cloned().map(Table::new),
        }
    }

    /// The configuration of limiter `index`.
    pub fn config(&self, index: usize) -> &LimiterConfig {
        &self.tables[index].config
    }

    /// The minting limiter's configuration.
    pub fn mint_config(&self) -> Option<&LimiterConfig> {
        self.mint.as_ref().map(|t| &t.config)
    }

    /// True when no limiter covers `route`.
    pub fn is_unlimited(&self, route: Route) -> bool {
        self.by_route[route.index()].is_empty()
    }

    /// Admits a request on `route` through every covering limiter, or refuses it and records nothing.
    pub fn admit(
        &self,
        route: Route,
        caller: &Caller,
        now: Duration,
        want_snapshots: bool,
    ) -> Result<Admission, Refusal> {
        let layers = &self.by_route[route.index()];
        let tables: Vec<(usize, &Table)> = layers.iter().map(|&i| (i, &self.tables[i])).collect();
        admit_layers(&tables, Some(route), caller, now, want_snapshots)
    }

    /// Admits a token mint for `client`, or refuses it.
    pub fn admit_mint(&self, client: u32, now: Duration) -> Result<(), Refusal> {
        let Some(table) = &self.mint else {
            return Ok(());
        };
        let caller = Caller {
            token: 0,
            client,
            user: None,
        };
        admit_layers(&[(usize::MAX, table)], None, &caller, now, false).map(|_| ())
    }

    /// Gives back the concurrency slots of a finished request.
    pub fn release(&self, held: &[(usize, u128)], now: Duration) {
        for &(index, key) in held {
            let table = &self.tables[index];
            let mut shard = table.lock(key);
            if let Some(limiter) = shard.map.get_mut(&key) {
                limiter.release(now);
            }
        }
    }

    /// Forgets every limiter's state.
    pub fn clear(&self) {
        for table in self.tables.iter().chain(self.mint.as_ref()) {
            table.clear();
        }
    }
}

fn admit_layers(
    tables: &[(usize, &Table)],
    route: Option<Route>,
    caller: &Caller,
    now: Duration,
    want_snapshots: bool,
) -> Result<Admission, Refusal> {
    let keyed: Vec<(usize, &Table, u128)> = tables
        .iter()
        .filter_map(|&(i, t)| t.key(route, caller).map(|k| (i, t, k)))
        .collect();
    // Locking in limiter order, one shard per limiter, keeps lock order global.
    let mut guards: Vec<MutexGuard<'_, Shard>> = keyed.iter().map(|(_, t, k)| t.lock(*k)).collect();
    let mut layers: Vec<&mut Limiter> = guards
        .iter_mut()
        .zip(&keyed)
        .map(|(guard, (_, table, key))| guard.limiter(*key, &table.config, now))
        .collect();
    match admit_all(&mut layers, now) {
        Err((layer, retry_after)) => Err(Refusal {
            limiter: keyed[layer].0,
            retry_after,
            snapshot: layers[layer].snapshot(now),
        }),
        Ok(()) => {
            let mut admission = Admission::default();
            for (limiter, (index, table, key)) in layers.iter().zip(&keyed) {
                if want_snapshots && table.config.advertise {
                    admission.advertised.push((*index, limiter.snapshot(now)));
                }
                if table.config.spec.algorithm == Algorithm::Concurrency {
                    admission.held.push((*index, *key));
                }
            }
            admission.advertised.sort_by_key(|(_, s)| s.remaining);
            Ok(admission)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::RoutePattern;
    use pacer_core::limiter::LimitSpec;

    fn limiter(
        key: &str,
        scope: Scope,
        algorithm: Algorithm,
        limit: u32,
        window_s: u64,
        burst: u32,
    ) -> LimiterConfig {
        LimiterConfig {
            key: key.into(),
            namespace: "platform.api".into(),
            scope,
            spec: LimitSpec {
                algorithm,
                limit,
                window: Duration::from_secs(window_s),
                burst,
            },
            routes: vec![RoutePattern::all()],
            advertise: true,
        }
    }

    fn caller(token: u64) -> Caller {
        Caller {
            token,
            client: 0,
            user: None,
        }
    }

    #[test]
    fn tokens_have_separate_budgets_and_the_org_is_shared() {
        let limits = Limits::new(
            &[
                limiter("token", Scope::Token, Algorithm::FixedWindow, 2, 60, 2),
                limiter("org", Scope::Organization, Algorithm::FixedWindow, 3, 60, 3),
            ],
            None,
        );
        let now = Duration::from_secs(1);
        assert!(
            limits
                .admit(Route::ListUsers, &caller(1), now, false)
                .is_ok()
        );
        assert!(
            limits
                .admit(Route::ListUsers, &caller(1), now, false)
                .is_ok()
        );
        let refusal = limits
            .admit(Route::ListUsers, &caller(1), now, false)
            .unwrap_err();
        assert_eq!(
            (refusal.limiter, refusal.retry_after),
            (0, Duration::from_secs(59))
        );
        assert!(
            limits
                .admit(Route::ListUsers, &caller(2), now, false)
                .is_ok()
        );
        let refusal = limits
            .admit(Route::ListUsers, &caller(3), now, false)
            .unwrap_err();
        assert_eq!(refusal.limiter, 1);
    }

    #[test]
    fn user_scope_applies_only_to_routes_naming_a_user() {
        let limits = Limits::new(
            &[limiter(
                "user",
                Scope::User,
                Algorithm::FixedWindow,
                1,
                60,
                1,
            )],
            None,
        );
        assert!(limits.is_unlimited(Route::ListUsers));
        let alice = Caller {
            token: 1,
            client: 0,
            user: Some(7),
        };
        let bob = Caller {
            token: 1,
            client: 0,
            user: Some(8),
        };
        let now = Duration::ZERO;
        assert!(limits.admit(Route::PutSchedule, &alice, now, false).is_ok());
        assert!(
            limits
                .admit(Route::PutSchedule, &alice, now, false)
                .is_err()
        );
        assert!(limits.admit(Route::PutSchedule, &bob, now, false).is_ok());
    }

    #[test]
    fn concurrency_slots_are_released() {
        let limits = Limits::new(
            &[limiter("c", Scope::Token, Algorithm::Concurrency, 1, 1, 1)],
            None,
        );
        let now = Duration::ZERO;
        let held = limits
            .admit(Route::ListUsers, &caller(1), now, false)
            .unwrap()
            .held;
        assert_eq!(held.len(), 1);
        assert!(
            limits
                .admit(Route::ListUsers, &caller(1), now, false)
                .is_err()
        );
        limits.release(&held, now);
        assert!(
            limits
                .admit(Route::ListUsers, &caller(1), now, false)
                .is_ok()
        );
    }

    #[test]
    fn idle_limiters_are_swept_when_a_table_grows() {
        let limits = Limits::new(
            &[limiter(
                "t",
                Scope::Token,
                Algorithm::TokenBucket,
                60,
                60,
                1,
            )],
            None,
        );
        for token in 0..20_000 {
            let now = Duration::from_secs(token);
            limits
                .admit(Route::ListUsers, &caller(token), now, false)
                .unwrap();
        }
        let entries: usize = limits.tables[0]
            .shards
            .iter()
            .map(|s| s.lock().unwrap().map.len())
            .sum();
        assert!(entries < 20_000 / 2, "{entries} entries kept");
    }

    #[test]
    fn mint_limit_counts_per_client() {
        let mint = limiter("mint", Scope::Client, Algorithm::FixedWindow, 1, 60, 1);
        let limits = Limits::new(&[], Some(&mint));
        assert!(limits.admit_mint(0, Duration::ZERO).is_ok());
        assert!(limits.admit_mint(0, Duration::ZERO).is_err());
        assert!(limits.admit_mint(1, Duration::ZERO).is_ok());
    }
}
