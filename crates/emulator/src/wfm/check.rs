//! How an upload's agents are checked as the real service checks them while processing: each
//! agent a member of the unit, there once and at its current version, each shift, activity and
//! full day of time off inside the schedule's weeks with one of the unit's codes; the checked
//! agents become the schedule's changes.

use pacer_genesys::MAX_LENGTH_MINUTES;
use pacer_genesys::datetime::{format_days, format_seconds, parse_days, parse_seconds};

use crate::agents::{Agents, parse_uuid};
use crate::hash::FastMap;
use crate::wfm::failure::Failure;
use crate::wfm::marker::StoredMarker;
use crate::wfm::org::{BusinessUnit, Org};
use crate::wfm::refused::Refused;
use crate::wfm::schedules::{Change, Changes, Schedule};
use crate::wfm::shift::{StoredActivity, StoredShift};
use crate::wfm::upload::{ActivityUpload, AgentUpload, MarkerUpload, ShiftUpload};

impl Schedule {
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
            return Ok(schedule.shifts_now(agent).into_boxed_slice());
        };
        let mut kept = Vec::with_capacity(shifts.len());
        for (s, shift) in shifts.iter().enumerate() {
            let id = shift
                .id
                .as_deref()
                .and_then(parse_uuid)
                .unwrap_or_else(|| schedule.new_shift_id(agent, s as u64));
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
    let code = unit.codes.find(&activity.activity_code_id).ok_or_else(|| {
        format!(
            ".activityCodeId: `{}` is not an activity code of business unit {}",
            activity.activity_code_id, unit.name
        )
    })?;
    let description = &*activity.description;
    Ok(StoredActivity {
        start,
        length,
        code,
        description: (description != unit.codes.get(code).name).then(|| description.into()),
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
    let code = unit.codes.find(id).ok_or_else(|| {
        format!(
            ".activityCodeId: `{id}` is not an activity code of business unit {}",
            unit.name
        )
    })?;
    let found = unit.codes.get(code);
    let (name, paid) = (found.name.as_str(), found.counts_as_paid_time);
    if found.category != "TimeOff" {
        return Err(format!(
            ".activityCodeId: `{id}` ({name}) is not of category TimeOff"
        ));
    }
    let description = marker.description.as_deref().filter(|&d| d != name);
    Ok(StoredMarker {
        day: day as u16,
        length,
        code,
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
        let off = unit.codes.get(5).id.as_str();
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
        let work = unit.codes.get(0).id.as_str();
        assert!(refused(marker("2026-12-08", 60, work)).contains("(Work) is not of category"));
        assert!(refused(marker("2026-12-08", 60, "x")).contains("not an activity code"));
    }
}
