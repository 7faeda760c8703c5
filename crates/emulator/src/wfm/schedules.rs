//! Business-unit schedules: their metadata, each agent's shifts and version, how an upload is
//! checked as the real service checks it, and how a checked upload is applied.
//!
//! A generated (published) schedule gives every agent of its unit a version-1 schedule derived
//! from the seed on demand; only agents written since are stored, so idle agents cost nothing.
//! Full days of time off are kept apart, only for the agents that have some (generated schedules
//! have none).

use pacer_genesys::MAX_LENGTH_MINUTES;
use pacer_genesys::datetime::{format_days, format_seconds, parse_days, parse_seconds};
use pacer_genesys::wfm::{
    BuManagementUnitScheduleSummary, BuScheduleMetadata, IdRef, VersionedMetadata,
};
use pacer_genesys::zone::Zone;

use crate::agents::{Agents, format_uuid, parse_uuid};
use crate::hash::FastMap;
use crate::hash::mix;
use crate::stats::{Ledger, Stats};
use crate::wfm::arena::{ShiftArena, Span};
use crate::wfm::failure::Failure;
use crate::wfm::marker::StoredMarker;
use crate::wfm::org::{ACTIVITY_CODES, BusinessUnit, Org};
use crate::wfm::refused::Refused;
use crate::wfm::shift::{StoredActivity, StoredShift};
use crate::wfm::upload::{ActivityUpload, AgentUpload, MarkerUpload, ShiftUpload};
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
    /// A schedule of `week_count` weeks from `week`, in `zone` (its unit's).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: String,
        business_unit: usize,
        zone: &Zone,
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
            weeks: Weeks::new(zone, week, week_count),
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
        let pieces: [(i64, u16, u8); 5] = [
            (0, 120, 0),
            (120, 15, 1),
            (135, 105, 0),
            (240, 30, 2),
            (270, 210, 0),
        ];
        let days = (0..self.week_count as i64).flat_map(|w| (0..5).map(move |d| w * 7 + d));
        days.map(|day| {
            let shift_start = self.weeks.day_start(day as usize) + hour * 3600;
            StoredShift {
                id: shift_id(self.seed, agent, day as u64),
                start: shift_start,
                length: 480,
                activities: pieces
                    .iter()
                    .map(|&(offset, length, code)| StoredActivity {
                        start: shift_start + offset * 60,
                        length,
                        code,
                        description: None,
                    })
                    .collect(),
            }
        })
        .collect()
    }

    /// A checker of an upload's agents against this schedule, as the service checks them while
    /// processing, refusing the agents in `refused`.
    pub fn checker<'s>(
        &'s self,
        org: &'s Org,
        agents: &'s Agents,
        refused: &'s Refused,
    ) -> Checker<'s> {
        let unit = &org.business_units[self.business_unit];
        Checker {
            schedule: self,
            unit,
            org,
            agents,
            refused,
            bounds: self.bounds(),
            seen: FastMap::default(),
            changes: Vec::new(),
        }
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

    /// Another editor's change: the schedule's version goes up.
    pub fn touch(&mut self, by: &str, now: i64) {
        self.version += 1;
        self.modified = now;
        self.modified_by = by.to_string();
    }

    /// Another editor's change to one agent: its version goes up, its shifts stay.
    pub fn touch_agent(&mut self, agent: u32) -> Option<u64> {
        let version = self.agent_version(agent)? + 1;
        let shifts = match self.current(agent) {
            Current::Stored(entry) => entry.shifts.map_or_else(Vec::new, |s| self.arena.get(s)),
            _ => self.generated_shifts(agent),
        };
        self.store(agent, version, Some(&shifts));
        Some(version)
    }
}

/// Checks an upload's agents one at a time: every agent a member of the unit, not refused by the
/// test route and there once, its version current where it has a schedule, every shift and
/// activity inside the schedule's weeks, every activity code the unit's, every full day of time
/// off on a day of the schedule with a time-off code. The first problem found is the operation's
/// error.
pub struct Checker<'s> {
    schedule: &'s Schedule,
    unit: &'s BusinessUnit,
    org: &'s Org,
    agents: &'s Agents,
    refused: &'s Refused,
    bounds: (i64, i64),
    seen: FastMap<u32, ()>,
    changes: Vec<Change>,
}

impl Checker<'_> {
    /// Checks agent number `i` of the upload.
    pub fn agent(&mut self, i: usize, entry: &AgentUpload<'_>) -> Result<(), Failure> {
        let at = format!("agentSchedules[{i}] (userId {})", entry.user_id);
        let agent = self.admit(&at, entry)?;
        if entry.delete == Some(true) {
            self.changes.push(Change {
                agent,
                shifts: None,
                markers: None,
            });
            return Ok(());
        }
        let shifts = self.shifts(&at, agent, entry).map_err(Failure::Agent)?;
        let markers = entry
            .full_day_time_off_markers
            .as_deref()
            .map(|markers| self.markers(&at, markers))
            .transpose()
            .map_err(Failure::Agent)?;
        self.changes.push(Change {
            agent,
            shifts: Some(shifts),
            markers,
        });
        Ok(())
    }

    /// The agent's number, once it is known to be a member of the unit, not refused, there once
    /// and at its current version; `at` names it in messages.
    fn admit(&mut self, at: &str, entry: &AgentUpload<'_>) -> Result<u32, Failure> {
        let schedule = self.schedule;
        let failed = |reason: String| Failure::Agent(format!("{at}: {reason}"));
        let agent = self
            .org
            .member(self.agents, schedule.business_unit, &entry.user_id)
            .ok_or_else(|| {
                failed(format!(
                    "the agent is not in business unit {}",
                    self.unit.name
                ))
            })?;
        if self.refused.holds(self.agents.id(agent)) {
            return Err(failed(
                "the agent is refused (POST /__emulator/wfm/refuse)".into(),
            ));
        }
        if self.seen.insert(agent, ()).is_some() {
            return Err(failed("the agent appears twice in the upload".into()));
        }
        if let Some(current) = schedule.agent_version(agent) {
            match &entry.metadata {
                None => {
                    return Err(failed(format!(
                        "metadata.version is required: the agent has a schedule (version {current})"
                    )));
                }
                Some(meta) if meta.version != current => {
                    // Another editor changed the agent, which a client meets by reading again: told.
                    return Err(Failure::Stale(format!(
                        "{at}: metadata.version {} is stale: the agent's schedule is at version {current}",
                        meta.version
                    )));
                }
                Some(_) => {}
            }
        }
        Ok(agent)
    }

    /// The agent's shifts after the upload: those uploaded, checked, or else those it holds.
    fn shifts(
        &self,
        at: &str,
        agent: u32,
        entry: &AgentUpload<'_>,
    ) -> Result<Box<[StoredShift]>, String> {
        let schedule = self.schedule;
        let Some(shifts) = &entry.shifts else {
            let kept = match schedule.current(agent) {
                Current::Stored(stored) => stored
                    .shifts
                    .map_or_else(Vec::new, |span| schedule.arena.get(span)),
                Current::Generated => schedule.generated_shifts(agent),
                Current::None => Vec::new(),
            };
            return Ok(kept.into_boxed_slice());
        };
        let mut kept = Vec::with_capacity(shifts.len());
        for (s, shift) in shifts.iter().enumerate() {
            let id = shift
                .id
                .as_deref()
                .and_then(parse_uuid)
                .unwrap_or_else(|| shift_id(schedule.seed ^ schedule.version, agent, s as u64));
            let checked = check_shift(self.unit, self.bounds, shift, id)
                .map_err(|reason| format!("{at}: shifts[{s}]{reason}"))?;
            kept.extend(checked);
        }
        Ok(kept.into_boxed_slice())
    }

    /// The agent's uploaded full days of time off, checked: each on a day of the schedule, at
    /// most one a day.
    fn markers(
        &self,
        at: &str,
        markers: &[MarkerUpload<'_>],
    ) -> Result<Box<[StoredMarker]>, String> {
        let days = (self.schedule.week, 7 * i64::from(self.schedule.week_count));
        let mut kept: Vec<StoredMarker> = Vec::with_capacity(markers.len());
        for (m, marker) in markers.iter().enumerate() {
            let checked = check_marker(self.unit, days, marker)
                .map_err(|reason| format!("{at}: fullDayTimeOffMarkers[{m}]{reason}"))?;
            if kept.iter().any(|k| k.day == checked.day) {
                return Err(format!(
                    "{at}: fullDayTimeOffMarkers[{m}].businessUnitDate: {} has a marker already",
                    marker.business_unit_date
                ));
            }
            kept.push(checked);
        }
        Ok(kept.into_boxed_slice())
    }

    /// The checked changes, ready to apply.
    pub fn finish(self) -> Changes {
        Changes {
            agents: self.changes,
        }
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

/// Checks one uploaded shift; `Ok(None)` for a shift marked `delete`.
fn check_shift(
    unit: &BusinessUnit,
    (lo, hi): (i64, i64),
    shift: &ShiftUpload<'_>,
    id: u128,
) -> Result<Option<StoredShift>, String> {
    if shift.delete == Some(true) {
        return Ok(None);
    }
    let start = parse_seconds(&shift.start_date).map_err(|r| format!(".startDate: {r}"))?;
    let length = check_length(shift.length_minutes).map_err(|r| format!(".lengthMinutes: {r}"))?;
    if start < lo || start >= hi {
        return Err(format!(
            ".startDate: {} is outside the schedule's weeks ({} to {})",
            shift.start_date,
            format_seconds(lo),
            format_seconds(hi)
        ));
    }
    let end = start + i64::from(length) * 60;
    let activities = shift
        .activities
        .iter()
        .enumerate()
        .map(|(a, activity)| {
            check_activity(unit, (start, end), activity)
                .map_err(|reason| format!(".activities[{a}]{reason}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(StoredShift {
        id,
        start,
        length,
        activities: activities.into_boxed_slice(),
    }))
}

fn check_activity(
    unit: &BusinessUnit,
    (lo, hi): (i64, i64),
    activity: &ActivityUpload<'_>,
) -> Result<StoredActivity, String> {
    let start = parse_seconds(&activity.start_date).map_err(|r| format!(".startDate: {r}"))?;
    let length =
        check_length(activity.length_minutes).map_err(|r| format!(".lengthMinutes: {r}"))?;
    if start < lo || start + i64::from(length) * 60 > hi {
        return Err(".startDate: the activity is not inside its shift".into());
    }
    let code = unit
        .activity_code(&activity.activity_code_id)
        .ok_or_else(|| {
            format!(
                ".activityCodeId: `{}` is not an activity code of business unit {}",
                activity.activity_code_id, unit.name
            )
        })?;
    let description = &*activity.description;
    Ok(StoredActivity {
        start,
        length,
        code: code as u8,
        description: (description != ACTIVITY_CODES[code].0).then(|| description.into()),
    })
}

/// Checks one uploaded full day of time off against the schedule's days (`first` and `count`,
/// in days since the epoch) and the unit's codes.
fn check_marker(
    unit: &BusinessUnit,
    (first, count): (i64, i64),
    marker: &MarkerUpload<'_>,
) -> Result<StoredMarker, String> {
    let date = &marker.business_unit_date;
    let day = parse_days(date).map_err(|r| format!(".businessUnitDate: {r}"))? - first;
    if !(0..count).contains(&day) {
        return Err(format!(
            ".businessUnitDate: {date} is outside the schedule's weeks ({} to {})",
            format_days(first),
            format_days(first + count - 1)
        ));
    }
    let length = check_length(marker.length_minutes).map_err(|r| format!(".lengthMinutes: {r}"))?;
    let id = &marker.activity_code_id;
    let code = unit.activity_code(id).ok_or_else(|| {
        format!(
            ".activityCodeId: `{id}` is not an activity code of business unit {}",
            unit.name
        )
    })?;
    let (name, category, paid, _) = ACTIVITY_CODES[code];
    if category != "TimeOff" {
        return Err(format!(
            ".activityCodeId: `{id}` ({name}) is not of category TimeOff"
        ));
    }
    let description = marker.description.as_deref().filter(|&d| d != name);
    Ok(StoredMarker {
        day: day as u16,
        length,
        code: code as u8,
        paid: marker.paid.unwrap_or(paid),
        description: description.map(Box::from),
        time_off_request_id: marker.time_off_request_id.as_deref().map(Box::from),
    })
}

fn check_length(minutes: u32) -> Result<u16, &'static str> {
    if (1..=MAX_LENGTH_MINUTES).contains(&minutes) {
        Ok(minutes as u16)
    } else {
        Err("must be 1..=1440")
    }
}

/// A stable shift id for a seed, an agent and a shift number.
fn shift_id(seed: u64, agent: u32, n: u64) -> u128 {
    let hi = mix(seed ^ (u64::from(agent) << 20) ^ n);
    let lo = mix(hi ^ 0x5A1F_7000_0000_0005);
    let raw = (u128::from(hi) << 64) | u128::from(lo);
    (raw & !(0xF000_u128 << 64) & !(0xC000_u128 << 48)) | (0x4000_u128 << 64) | (0x8000_u128 << 48)
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::config::WfmConfig;
    use crate::wfm::org::Today;

    /// 2026-12-07, a Monday.
    const WEEK: i64 = 20_794;

    fn marker<'a>(date: &'a str, minutes: u32, code: &'a str) -> MarkerUpload<'a> {
        MarkerUpload {
            business_unit_date: Cow::Borrowed(date),
            length_minutes: minutes,
            description: None,
            activity_code_id: Cow::Borrowed(code),
            paid: None,
            time_off_request_id: None,
        }
    }

    #[test]
    fn a_marker_needs_a_day_of_the_schedule_a_time_off_code_and_a_length() {
        let org = Org::new(&WfmConfig::default(), 10, 1, Today::Date(WEEK));
        let unit = &org.business_units[0];
        let off = unit.activity_codes[5].as_str();
        let days = (WEEK, 7);
        let kept = check_marker(unit, days, &marker("2026-12-13", 1440, off)).unwrap();
        assert_eq!(
            (kept.day, kept.length, kept.code, kept.paid),
            (6, 1440, 5, false)
        );
        assert_eq!(kept.description, None);
        let mut named = marker("2026-12-07", 60, off);
        named.description = Some(Cow::Borrowed("Holiday"));
        named.paid = Some(true);
        let kept = check_marker(unit, days, &named).unwrap();
        assert_eq!(
            (kept.description.as_deref(), kept.paid),
            (Some("Holiday"), true)
        );
        let refused = |m: MarkerUpload<'_>| check_marker(unit, days, &m).unwrap_err();
        assert!(refused(marker("2026-12-14", 60, off)).contains("outside the schedule's weeks"));
        assert!(refused(marker("2026-12-06", 60, off)).contains("2026-12-07 to 2026-12-13"));
        assert!(refused(marker("12/08/2026", 60, off)).starts_with(".businessUnitDate"));
        assert!(refused(marker("2026-12-08", 0, off)).contains("1..=1440"));
        let work = unit.activity_codes[0].as_str();
        assert!(refused(marker("2026-12-08", 60, work)).contains("(Work) is not of category"));
        assert!(refused(marker("2026-12-08", 60, "x")).contains("not an activity code"));
    }

    #[test]
    fn markers_are_kept_replaced_cleared_or_removed_with_the_agent() {
        let org = Org::new(&WfmConfig::default(), 10, 1, Today::Date(WEEK));
        let unit = &org.business_units[0];
        let mut schedule =
            Schedule::new("s".into(), 0, &unit.zone, WEEK, 1, "d".into(), true, 0, 7);
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
