//! Business-unit schedules: their metadata, each agent's shifts and version, and how a checked
//! upload is applied (`check` checks uploads as the real service does).
//!
//! A generated (published) schedule gives every agent of its unit a version-1 schedule derived
//! from the seed on demand; only agents written since are stored, so idle agents cost nothing.
//! Full days of time off are kept apart, only for the agents that have some (generated schedules
//! have none).

use pacer_genesys::datetime::{format_days, format_seconds};
use pacer_genesys::wfm::{
    BuManagementUnitScheduleSummary, BuScheduleMetadata, IdRef, VersionedMetadata,
};

use crate::agents::{Agents, format_uuid};
use crate::hash::FastMap;
use crate::hash::mix;
use crate::stats::{Ledger, Stats};
use crate::wfm::arena::{ShiftArena, Span};
use crate::wfm::marker::StoredMarker;
use crate::wfm::org::{BusinessUnit, Org};
use crate::wfm::shift::{StoredActivity, StoredShift};
use crate::wfm::weeks::Weeks;

/// An agent's state in a schedule, once written: its version and shifts in the schedule's arena
/// (`None` once deleted).
#[derive(Debug, Clone)]
pub struct Entry {
    pub version: u64,
    pub shifts: Option<Span>,
}

/// One business-unit schedule.
#[derive(Debug)]
pub struct Schedule {
    pub id: String,
    pub business_unit: usize,
    /// Days since the epoch of the first day.
    pub week: i64,
    pub week_count: u32,
    /// The weeks' instants in the unit's zone.
    weeks: Weeks,
    pub description: String,
    pub published: bool,
    pub version: u64,
    /// Seconds since the epoch of the last change.
    pub modified: i64,
    /// Who changed it last (an OAuth client's id, or the emulator's own user).
    pub modified_by: String,
    /// Whether every agent of the unit starts with a generated schedule.
    pub generated: bool,
    /// Agents written since the schedule was made.
    pub entries: FastMap<u32, Entry>,
    /// The written agents' shifts.
    arena: ShiftArena,
    /// The full days of time off of the agents that have some.
    markers: FastMap<u32, Box<[StoredMarker]>>,
    seed: u64,
    /// The unit's codes of a generated shift's work, break and meal (`None`: the unit has no
    /// codes, and generated shifts no activities).
    pieces: Option<[u16; 3]>,
}

/// What an agent of a schedule holds now.
pub enum Current<'a> {
    /// No schedule for this agent.
    None,
    /// The generated schedule, version 1.
    Generated,
    /// Written since.
    Stored(&'a Entry),
}

/// A checked upload, ready to apply.
#[derive(Debug)]
pub struct Changes {
    pub agents: Vec<Change>,
}

/// One agent's change.
#[derive(Debug)]
pub struct Change {
    pub agent: u32,
    /// The agent's new shifts; `None` removes the agent (and its full days of time off).
    pub shifts: Option<Box<[StoredShift]>>,
    /// The agent's new full days of time off; `None` keeps those stored.
    pub markers: Option<Box<[StoredMarker]>>,
}

impl Schedule {
    /// A schedule of `week_count` weeks from `week` of business unit `business_unit` (`unit`),
    /// in its zone.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: String,
        business_unit: usize,
        unit: &BusinessUnit,
        week: i64,
        week_count: u32,
        description: String,
        generated: bool,
        modified: i64,
        seed: u64,
    ) -> Schedule {
        Schedule {
            id,
            business_unit,
            week,
            week_count,
            weeks: Weeks::new(&unit.zone, week, week_count),
            description,
            published: generated,
            version: 1,
            modified,
            modified_by: EMULATOR_USER.into(),
            generated,
            entries: FastMap::default(),
            arena: ShiftArena::default(),
            markers: FastMap::default(),
            seed,
            pieces: unit.codes.generated(),
        }
    }

    /// What agent `agent` (a member of the unit) holds now.
    pub fn current(&self, agent: u32) -> Current<'_> {
        match self.entries.get(&agent) {
            Some(entry) if entry.shifts.is_some() => Current::Stored(entry),
            Some(_) => Current::None,
            None if self.generated => Current::Generated,
            None => Current::None,
        }
    }

    /// The version an agent's schedule has now, if it has one.
    pub fn agent_version(&self, agent: u32) -> Option<u64> {
        match self.current(agent) {
            Current::None => None,
            Current::Generated => Some(1),
            Current::Stored(entry) => Some(entry.version),
        }
    }

    /// The seconds since the epoch where the schedule begins and ends: local midnight of its
    /// first day to local midnight after its last, in the unit's time zone (half-open).
    pub fn bounds(&self) -> (i64, i64) {
        self.weeks.bounds
    }

    /// The instant that reads 00:00 on the wall clock of day `day` of the schedule (0 is its
    /// first day).
    pub fn day_start(&self, day: usize) -> i64 {
        self.weeks.day_start(day)
    }

    /// An agent's full days of time off, in the order written (none for most agents).
    pub fn markers_of(&self, agent: u32) -> &[StoredMarker] {
        self.markers.get(&agent).map_or(&[], |m| m)
    }

    /// The metadata as the API shows it; with `units`, the management units (and `agents`, their
    /// members with a schedule).
    pub fn metadata(&self, org: &Org, agents: &Agents, units: Units) -> BuScheduleMetadata {
        let unit = &org.business_units[self.business_unit];
        let management_units = (units != Units::None).then(|| {
            unit.management_units
                .clone()
                .map(|m| {
                    let mu = &org.management_units[m];
                    let members: Vec<u32> = (mu.agents.0..mu.agents.1)
                        .filter(|&a| self.agent_version(a).is_some())
                        .collect();
                    BuManagementUnitScheduleSummary {
                        management_unit: IdRef::new(mu.id.clone()),
                        agent_count: members.len() as u32,
                        agents: (units == Units::WithAgents).then(|| {
                            members
                                .iter()
                                .map(|&a| IdRef::new(format_uuid(agents.id(a))))
                                .collect()
                        }),
                    }
                })
                .collect()
        });
        BuScheduleMetadata {
            id: self.id.clone(),
            week_date: format_days(self.week),
            week_count: self.week_count,
            description: self.description.clone(),
            published: self.published,
            metadata: VersionedMetadata {
                version: self.version,
                modified_by: Some(IdRef::new(self.modified_by.clone())),
                date_modified: Some(format_seconds(self.modified)),
            },
            management_units,
            self_uri: Some(format!(
                "/api/v2/workforcemanagement/businessunits/{}/weeks/{}/schedules/{}",
                unit.id,
                format_days(self.week),
                self.id
            )),
        }
    }

    /// An agent's version and shifts, if the agent has a schedule.
    pub fn shifts_of(&self, agent: u32) -> Option<(u64, Vec<StoredShift>)> {
        match self.current(agent) {
            Current::None => None,
            Current::Generated => Some((1, self.generated_shifts(agent))),
            Current::Stored(entry) => Some((entry.version, self.arena.get(entry.shifts?))),
        }
    }

    /// The seeded schedule every agent of a generated schedule starts with: five days a week,
    /// eight hours starting between 08:00 and 11:00 local time, with a break and a meal.
    fn generated_shifts(&self, agent: u32) -> Vec<StoredShift> {
        let hour = 8 + i64::from(agent % 4);
        // Minutes into the shift, length, and which of the unit's work, break and meal codes.
        let pieces: [(i64, u16, usize); 5] = [
            (0, 120, 0),
            (120, 15, 1),
            (135, 105, 0),
            (240, 30, 2),
            (270, 210, 0),
        ];
        let codes = self.pieces;
        let days = (0..self.week_count as i64).flat_map(|w| (0..5).map(move |d| w * 7 + d));
        days.map(|day| {
            let shift_start = self.weeks.day_start(day as usize) + hour * 3600;
            StoredShift {
                id: shift_id(self.seed, agent, day as u64),
                start: shift_start,
                length: 480,
                activities: codes
                    .into_iter()
                    .flat_map(|codes| {
                        pieces
                            .iter()
                            .map(move |&(offset, length, piece)| StoredActivity {
                                start: shift_start + offset * 60,
                                length,
                                code: codes[piece],
                                description: None,
                            })
                    })
                    .collect(),
            }
        })
        .collect()
    }

    /// Applies checked changes: the schedule's version and each agent's go up by one.
    pub fn apply(&mut self, changes: Changes, by: &str, now: i64, ledger: &Ledger, stats: &Stats) {
        for change in changes.agents {
            let agent = change.agent;
            let version = self.agent_version(agent).unwrap_or(0) + 1;
            self.store(agent, version, change.shifts.as_deref());
            match (&change.shifts, change.markers) {
                (None, _) => {
                    self.markers.remove(&agent);
                }
                (Some(_), Some(markers)) if markers.is_empty() => {
                    self.markers.remove(&agent);
                }
                (Some(_), Some(markers)) => {
                    self.markers.insert(agent, markers);
                }
                (Some(_), None) => {}
            }
            ledger.record(agent, stats);
        }
        if self.arena.wants_compaction() {
            let spans = self.entries.values_mut().filter_map(|e| e.shifts.as_mut());
            self.arena.compact(spans);
        }
        self.touch(by, now);
    }

    /// Stores an agent's version and shifts (`None` removes the agent), releasing the old ones.
    fn store(&mut self, agent: u32, version: u64, shifts: Option<&[StoredShift]>) {
        let span = shifts.map(|shifts| self.arena.push(shifts));
        let old = self.entries.insert(
            agent,
            Entry {
                version,
                shifts: span,
            },
        );
        if let Some(old) = old.and_then(|e| e.shifts) {
            self.arena.release(old);
        }
    }

    /// Sets an agent's version, shifts and full days off as they are elsewhere (a mirror's), with
    /// no change of the schedule's version.
    pub fn put(
        &mut self,
        agent: u32,
        version: u64,
        shifts: &[StoredShift],
        markers: Vec<StoredMarker>,
    ) {
        self.store(agent, version, Some(shifts));
        if markers.is_empty() {
            self.markers.remove(&agent);
        } else {
            self.markers.insert(agent, markers.into_boxed_slice());
        }
    }

    /// Another editor's change: the schedule's version goes up.
    pub fn touch(&mut self, by: &str, now: i64) {
        self.version += 1;
        self.modified = now;
        self.modified_by = by.to_string();
    }

    /// Another editor's change to one agent: its version goes up, its shifts stay.
    pub fn touch_agent(&mut self, agent: u32) -> Option<u64> {
        let version = self.agent_version(agent)? + 1;
        let shifts = self.shifts_now(agent);
        self.store(agent, version, Some(&shifts));
        Some(version)
    }

    /// The shifts agent `agent` holds now: those stored, the generated ones, or none.
    pub(super) fn shifts_now(&self, agent: u32) -> Vec<StoredShift> {
        match self.current(agent) {
            Current::Stored(entry) => entry.shifts.map_or_else(Vec::new, |s| self.arena.get(s)),
            Current::Generated => self.generated_shifts(agent),
            Current::None => Vec::new(),
        }
    }

    /// The id an uploaded shift without one gets: stable for the schedule's version, the agent
    /// and the shift's place in the upload.
    pub(super) fn new_shift_id(&self, agent: u32, n: u64) -> u128 {
        shift_id(self.seed ^ self.version, agent, n)
    }
}

/// Which management units [`Schedule::metadata`] lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Units {
    None,
    Counts,
    WithAgents,
}

/// The user the emulator's own changes are made by.
pub const EMULATOR_USER: &str = "00000000-0000-4000-8000-00000000e001";

/// A stable shift id for a seed, an agent and a shift number.
fn shift_id(seed: u64, agent: u32, n: u64) -> u128 {
    let hi = mix(seed ^ (u64::from(agent) << 20) ^ n);
    let lo = mix(hi ^ 0x5A1F_7000_0000_0005);
    let raw = (u128::from(hi) << 64) | u128::from(lo);
    (raw & !(0xF000_u128 << 64) & !(0xC000_u128 << 48)) | (0x4000_u128 << 64) | (0x8000_u128 << 48)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::WfmConfig;
    use crate::wfm::org::Today;

    /// 2026-12-07, a Monday.
    const WEEK: i64 = 20_794;

    #[test]
    fn markers_are_kept_replaced_cleared_or_removed_with_the_agent() {
        let org = Org::new(&WfmConfig::default(), 10, 1, Today::Date(WEEK));
        let unit = &org.business_units[0];
        let mut schedule = Schedule::new("s".into(), 0, unit, WEEK, 1, "d".into(), true, 0, 7);
        let (ledger, stats) = (crate::stats::Ledger::new(), crate::stats::Stats::new(0));
        let one = |day: u16| StoredMarker {
            day,
            length: 480,
            code: 5,
            paid: false,
            description: None,
            time_off_request_id: None,
        };
        let mut apply = |shifts: bool, markers: Option<Vec<StoredMarker>>| {
            let change = Change {
                agent: 3,
                shifts: shifts.then(|| Vec::new().into_boxed_slice()),
                markers: markers.map(Vec::into_boxed_slice),
            };
            let changes = Changes {
                agents: vec![change],
            };
            schedule.apply(changes, "me", 0, &ledger, &stats);
            schedule.markers_of(3).to_vec()
        };
        assert_eq!(
            apply(true, Some(vec![one(1), one(2)])),
            vec![one(1), one(2)]
        );
        assert_eq!(apply(true, None), vec![one(1), one(2)]);
        assert_eq!(apply(true, Some(vec![one(4)])), vec![one(4)]);
        assert_eq!(apply(true, Some(Vec::new())), Vec::new());
        assert_eq!(apply(true, Some(vec![one(0)])), vec![one(0)]);
        assert_eq!(apply(false, None), Vec::new());
        assert!(
            schedule.markers.is_empty(),
            "no memory for agents without markers"
        );
        assert!(
            schedule.markers_of(4).is_empty(),
            "generated schedules hold none"
        );
    }
}
