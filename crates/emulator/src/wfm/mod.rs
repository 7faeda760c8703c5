//! Workforce Management's real schedule path: business units, their schedules, the upload and
//! asynchronous update of a schedule, and agent-schedule queries.
//!
//! Below the state: `org` is the organization's shape (seeded, or a mirror's), `codes` a unit's
//! activity codes, `schedules` the schedules (`check` how an upload's agents are checked,
//! `mirrored` a mirror's schedules as stored, `shift` one stored shift, `marker` one stored full
//! day of time off, `arena` where shifts are packed, `failure` why an update failed, `refused` the
//! agents the test route refuses), `upload` the reader of uploads, `render` the answers serialized
//! from storage, and `transfer` the upload and download storage standing for signed URLs. Above
//! it, beside the other routes: `lookup` (a path's unit, week and schedule) and `publish` (a
//! notification) serve `routes`, the HTTP surface, and its `queries` and `update`.

mod arena;
mod check;
pub mod codes;
mod failure;
mod lookup;
mod marker;
mod mirrored;
pub mod org;
mod publish;
mod queries;
mod refused;
pub mod render;
pub mod routes;
pub mod schedules;
mod shift;
pub mod transfer;
mod update;
pub(crate) mod upload;
mod weeks;

use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use pacer_core::rng::Rng;

use crate::agents::format_uuid;
use crate::config::{Config, MirrorSource};
use crate::wfm::mirrored::mirrored_schedules;
use crate::wfm::org::{Org, uuid};
use crate::wfm::refused::Refused;
use crate::wfm::schedules::Schedule;
use crate::wfm::transfer::Transfers;

/// Mixed into the seed for operation ids, upload keys and fault draws.
const OPERATION_STREAM: u64 = 0x0F37_0000_0000_0005;
/// Weeks of published schedules each business unit starts with.
const WEEKS: i64 = 4;

/// A schedule with what finds it, readable without locking the schedule itself.
#[derive(Debug, Clone)]
struct Slot {
    id: String,
    business_unit: usize,
    week: i64,
    schedule: Arc<Mutex<Schedule>>,
}

impl Slot {
    fn new(schedule: Schedule) -> Slot {
        Slot {
            id: schedule.id.clone(),
            business_unit: schedule.business_unit,
            week: schedule.week,
            schedule: Arc::new(Mutex::new(schedule)),
        }
    }
}

/// The WFM state.
#[derive(Debug)]
pub struct Wfm {
    pub org: Org,
    schedules: RwLock<Vec<Slot>>,
    pub transfers: Transfers,
    /// The agents whose updates are refused; an update is checked against the set as it is when
    /// it is processed.
    refused: RwLock<Arc<Refused>>,
    rng: Mutex<Rng>,
    /// Seconds since the epoch at the emulator's start, for `dateModified`.
    epoch_start: i64,
    seed: u64,
    /// The mirror served, whose schedules a reset puts back.
    mirror: Option<Arc<MirrorSource>>,
}

impl Wfm {
    /// Builds the organization and its published schedules from the seed, or from the mirror
    /// the configuration serves.
    pub fn new(config: &Config) -> Wfm {
        let seed = config.seed;
        let today = org::today(&config.wfm);
        let org = match &config.mirror {
            Some(source) => Org::from_mirror(source, seed, today),
            None => Org::new(&config.wfm, config.agents, seed, today),
        };
        let epoch_start = match today {
            org::Today::Date(day) => day * 86_400 + 12 * 3600,
            org::Today::Now(secs) => secs,
        };
        let wfm = Wfm {
            schedules: RwLock::new(Vec::new()),
            transfers: Transfers::default(),
            refused: RwLock::default(),
            rng: Mutex::new(Rng::new(seed ^ OPERATION_STREAM)),
            epoch_start,
            seed,
            org,
            mirror: config.mirror.clone(),
        };
        wfm.reset();
        wfm
    }

    /// Puts back the schedules the emulator started with, forgets transfers and refuses no
    /// agent.
    pub fn reset(&self) {
        let mut rng = Rng::new(self.seed ^ OPERATION_STREAM ^ 0x5C4E);
        let fresh = match &self.mirror {
            Some(source) => mirrored_schedules(source, &self.org, self.epoch_start, &mut rng),
            None => self.published_weeks(&mut rng),
        };
        *self.schedules.write().unwrap_or_else(|e| e.into_inner()) =
            fresh.into_iter().map(Slot::new).collect();
        self.transfers.clear();
        self.refuse(&[], true);
    }

    /// The profile's schedules: each unit's current week and the next ones, published, every
    /// agent on the generated shifts.
    fn published_weeks(&self, rng: &mut Rng) -> Vec<Schedule> {
        let mut fresh = Vec::new();
        for (b, unit) in self.org.business_units.iter().enumerate() {
            let first = self.org.current_week(b);
            for w in 0..WEEKS {
                let id = format_uuid(uuid(rng));
                fresh.push(Schedule::new(
                    id,
                    b,
                    unit,
                    first + w * 7,
                    1,
                    format!("Published schedule, week {}", w + 1),
                    true,
                    self.epoch_start,
                    rng.next_u64(),
                ));
            }
        }
        fresh
    }

    /// The agents refused now.
    pub fn refused(&self) -> Arc<Refused> {
        self.refused
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Refuses the updates of `user_ids` from now on, after forgetting those refused before
    /// when `clear`; returns the ids refused now. Updates being checked keep the set they started
    /// with.
    pub fn refuse(&self, user_ids: &[String], clear: bool) -> Vec<String> {
        let mut refused = self.refused.write().unwrap_or_else(|e| e.into_inner());
        if clear {
            *refused = Arc::default();
        }
        let set = Arc::make_mut(&mut *refused);
        set.extend(user_ids.iter().map(String::as_str));
        set.user_ids()
    }

    /// Seconds since the epoch now, given the emulator's time since its start.
    pub fn wall(&self, since_start: std::time::Duration) -> i64 {
        self.epoch_start + since_start.as_secs() as i64
    }

    /// A fresh id (operations, upload keys, channels).
    pub fn new_id(&self) -> String {
        format_uuid(uuid(&mut self.rng()))
    }

    /// Draws whether an injected fault with probability `p` happens.
    pub fn chance(&self, p: f64) -> bool {
        p > 0.0 && self.rng().chance(p)
    }

    fn rng(&self) -> MutexGuard<'_, Rng> {
        self.rng.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The schedule with `id`.
    pub fn schedule(&self, id: &str) -> Option<Arc<Mutex<Schedule>>> {
        let all = self.schedules.read().unwrap_or_else(|e| e.into_inner());
        all.iter().find(|s| s.id == id).map(|s| s.schedule.clone())
    }

    /// Every schedule of business unit `bu` (starting in `week` when given).
    pub fn schedules_of(&self, bu: usize, week: Option<i64>) -> Vec<Arc<Mutex<Schedule>>> {
        let all = self.schedules.read().unwrap_or_else(|e| e.into_inner());
        all.iter()
            .filter(|s| s.business_unit == bu && week.is_none_or(|w| s.week == w))
            .map(|s| s.schedule.clone())
            .collect()
    }

    /// Adds a blank schedule.
    pub fn create(
        &self,
        bu: usize,
        week: i64,
        week_count: u32,
        description: String,
        by: &str,
        now: i64,
    ) -> Arc<Mutex<Schedule>> {
        let seed = self.rng().next_u64();
        let mut schedule = Schedule::new(
            self.new_id(),
            bu,
            &self.org.business_units[bu],
            week,
            week_count,
            description,
            false,
            now,
            seed,
        );
        schedule.modified_by = by.to_string();
        let slot = Slot::new(schedule);
        let schedule = slot.schedule.clone();
        self.schedules
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(slot);
        schedule
    }
}

/// Locks a schedule, whatever a panicking holder left.
pub fn lock(schedule: &Mutex<Schedule>) -> MutexGuard<'_, Schedule> {
    schedule.lock().unwrap_or_else(|e| e.into_inner())
}
