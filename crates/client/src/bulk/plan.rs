//! The sans-IO half of the schedule update: the wanted schedules' types, each agent's change
//! against what the server holds, the upload's entries with every `metadata.version` they need,
//! and the read-back compared with what was wanted (the input's checks against the unit, and its
//! start times placed, are `check`'s).

use pacer_genesys::datetime::parse_seconds;
use pacer_genesys::wfm::{
    BuAgentScheduleActivity, BuAgentScheduleShift, BuFullDayTimeOffMarker,
    BuUpdateAgentScheduleUploadSchema, VersionedMetadata,
};

use crate::bulk::api::Unit;
use crate::bulk::images::ScheduleImage;
use crate::bulk::time_off::{self, DesiredTimeOff};

/// One agent's wanted schedule for one week, as the input gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct Desired {
    /// The input line of its first row, for messages.
    pub line: u64,
    pub user_id: String,
    /// The week's first day, `YYYY-MM-DD`.
    pub week: String,
    pub shifts: Vec<DesiredShift>,
    /// Full days off: `None` leaves the agent's as the server holds them, `Some` replaces them
    /// (an empty list clears them).
    pub time_off: Option<Vec<DesiredTimeOff>>,
    /// Removes the agent from the schedule (undo of an agent a run added).
    pub remove: bool,
    /// What the agent must hold for it to be written; else it is left alone (undo's guard
    /// against an agent another editor changed since the run).
    pub guard: Option<Guard>,
}

/// What an agent must hold for a guarded change to be written.
#[derive(Debug, Clone, PartialEq)]
pub enum Guard {
    /// This version.
    Version(u64),
    /// These shifts and days off (when the version after the run is not known).
    Content(ScheduleImage),
}

/// One wanted shift.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredShift {
    /// The input line it came from.
    pub line: u64,
    /// RFC 3339.
    pub start: String,
    pub length_minutes: u32,
    /// Empty: one activity of the unit's default work code over the whole shift.
    pub activities: Vec<DesiredActivity>,
}

/// One wanted activity.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredActivity {
    pub start: String,
    pub length_minutes: u32,
    /// An activity code's id or name; `None` for the unit's default work code.
    pub code: Option<String>,
    /// `None`: the activity code's name.
    pub description: Option<String>,
}

/// A problem of the input against the business unit: the line, the field and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub line: u64,
    pub field: &'static str,
    pub reason: String,
}

/// What a run does to one agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The agent has no schedule in this schedule yet.
    Added,
    /// The agent's shifts differ from the wanted ones.
    Changed,
    /// The agent already has exactly the wanted shifts: nothing is sent.
    Unchanged,
    /// The agent is taken out of the schedule.
    Removed,
    /// The agent is not as its guard says (another editor changed it): left alone.
    Left,
}

impl Change {
    /// The word reports use.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Changed => "changed",
            Change::Unchanged => "unchanged",
            Change::Removed => "removed",
            Change::Left => "left",
        }
    }
}

/// One agent's plan: its change, and what the upload carries for it.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentPlan {
    pub line: u64,
    pub user_id: String,
    pub change: Change,
    /// The upload's entry (its version included); `None` when unchanged.
    pub entry: Option<BuUpdateAgentScheduleUploadSchema>,
}

/// A shift reduced to what makes two equal: start, length, and each activity's start, length,
/// code and description (borrowed from the shift).
type Norm<'a> = (i64, u32, Vec<(i64, u32, &'a str, &'a str)>);

/// The shifts as the upload sends them (every activity filled in).
pub fn upload_shifts(unit: &Unit, shifts: &[DesiredShift]) -> Vec<BuAgentScheduleShift> {
    let default = unit.default_code();
    shifts
        .iter()
        .map(|shift| {
            let activities = if shift.activities.is_empty() {
                vec![BuAgentScheduleActivity {
                    start_date: shift.start.clone(),
                    length_minutes: shift.length_minutes,
                    activity_code_id: default.map(|c| c.id.clone()).unwrap_or_default(),
                    description: default.map(|c| c.name.clone()).unwrap_or_default(),
                    paid: None,
                }]
            } else {
                shift
                    .activities
                    .iter()
                    .map(|a| {
                        let code = match &a.code {
                            Some(code) => unit.code_id(code).unwrap_or(code).to_string(),
                            None => default.map(|c| c.id.clone()).unwrap_or_default(),
                        };
                        let description = a.description.clone().unwrap_or_else(|| {
                            unit.code_name(&code).unwrap_or_default().to_string()
                        });
                        BuAgentScheduleActivity {
                            start_date: a.start.clone(),
                            length_minutes: a.length_minutes,
                            activity_code_id: code,
                            description,
                            paid: None,
                        }
                    })
                    .collect()
            };
            BuAgentScheduleShift {
                id: None,
                start_date: shift.start.clone(),
                length_minutes: shift.length_minutes,
                activities,
                manually_edited: None,
                delete: None,
            }
        })
        .collect()
}

/// Shifts in their comparable form, sorted by start.
pub fn normalize(shifts: &[BuAgentScheduleShift]) -> Vec<Norm<'_>> {
    let mut out: Vec<Norm<'_>> = shifts
        .iter()
        .map(|s| {
            let mut activities: Vec<(i64, u32, &str, &str)> = s
                .activities
                .iter()
                .map(|a| {
                    (
                        parse_seconds(&a.start_date).unwrap_or(i64::MIN),
                        a.length_minutes,
                        a.activity_code_id.as_str(),
                        a.description.as_str(),
                    )
                })
                .collect();
            activities.sort();
            (
                parse_seconds(&s.start_date).unwrap_or(i64::MIN),
                s.length_minutes,
                activities,
            )
        })
        .collect();
    out.sort();
    out
}

/// What the server holds for one agent of the schedule: its version, shifts and days off.
#[derive(Debug, Clone, PartialEq)]
pub struct Current {
    pub version: u64,
    pub shifts: Vec<BuAgentScheduleShift>,
    pub time_off: Vec<BuFullDayTimeOffMarker>,
}

/// Whether what the server holds is what is wanted: the shifts, and the days off when wanted.
fn same(
    unit: &Unit,
    held: &Current,
    shifts: &[BuAgentScheduleShift],
    markers: Option<&[BuFullDayTimeOffMarker]>,
) -> bool {
    // Shifts of another count differ, whatever they hold.
    held.shifts.len() == shifts.len()
        && normalize(&held.shifts) == normalize(shifts)
        && markers.is_none_or(|m| {
            time_off::normalize(unit, &held.time_off) == time_off::normalize(unit, m)
        })
}

/// Plans every agent of one week: added, changed or unchanged against `current`.
#[cfg(test)]
pub fn diff(
    unit: &Unit,
    desired: &[&Desired],
    current: &std::collections::HashMap<String, Current>,
) -> Vec<AgentPlan> {
    desired
        .iter()
        .map(|wanted| {
            plan_agent(
                unit,
                wanted,
                current.get(&wanted.user_id.to_ascii_lowercase()),
            )
        })
        .collect()
}

/// Plans one agent against what the server holds of it (`held`, `None` when it has no schedule).
pub fn plan_agent(unit: &Unit, wanted: &Desired, held: Option<&Current>) -> AgentPlan {
    let plan = if wanted.remove {
        removal(wanted, held)
    } else {
        change(unit, wanted, held)
    };
    // A guard holds back a write, never an agent already as wanted.
    match &wanted.guard {
        Some(guard) if plan.change != Change::Unchanged && !guarded(unit, guard, held) => {
            AgentPlan {
                change: Change::Left,
                entry: None,
                ..plan
            }
        }
        _ => plan,
    }
}

/// One agent's plan against what the server holds: added, changed or unchanged.
fn change(unit: &Unit, wanted: &Desired, held: Option<&Current>) -> AgentPlan {
    let shifts = upload_shifts(unit, &wanted.shifts);
    let markers = wanted
        .time_off
        .as_ref()
        .map(|days| time_off::upload_markers(unit, days));
    let change = match held {
        None => Change::Added,
        Some(held) if same(unit, held, &shifts, markers.as_deref()) => Change::Unchanged,
        Some(_) => Change::Changed,
    };
    let entry = (change != Change::Unchanged).then(|| BuUpdateAgentScheduleUploadSchema {
        user_id: wanted.user_id.clone(),
        shifts: Some(shifts),
        full_day_time_off_markers: markers,
        metadata: held.map(|h| VersionedMetadata::version(h.version)),
        delete: None,
    });
    AgentPlan {
        line: wanted.line,
        user_id: wanted.user_id.clone(),
        change,
        entry,
    }
}

/// Whether what the server holds is what the guard says.
fn guarded(unit: &Unit, guard: &Guard, held: Option<&Current>) -> bool {
    match (guard, held) {
        (_, None) => false,
        (Guard::Version(version), Some(held)) => held.version == *version,
        (Guard::Content(image), Some(held)) => same(
            unit,
            held,
            &image.shifts,
            Some(&image.full_day_time_off_markers),
        ),
    }
}

/// An agent taken out of the schedule, or unchanged when it is not in it.
fn removal(wanted: &Desired, held: Option<&Current>) -> AgentPlan {
    let entry = held.map(|h| BuUpdateAgentScheduleUploadSchema {
        user_id: wanted.user_id.clone(),
        shifts: None,
        full_day_time_off_markers: None,
        metadata: Some(VersionedMetadata::version(h.version)),
        delete: Some(true),
    });
    AgentPlan {
        line: wanted.line,
        user_id: wanted.user_id.clone(),
        change: if held.is_some() {
            Change::Removed
        } else {
            Change::Unchanged
        },
        entry,
    }
}

/// Whether an agent's shifts (and days off, when wanted) as read back match the wanted ones, and
/// if not, why.
pub fn verify(
    unit: &Unit,
    wanted: &Desired,
    read: Option<(&[BuAgentScheduleShift], &[BuFullDayTimeOffMarker])>,
) -> Result<(), String> {
    if wanted.remove {
        return match read {
            None => Ok(()),
            Some(_) => Err("the agent is still in the schedule after the update".into()),
        };
    }
    let Some((read, days_off)) = read else {
        return Err("the agent has no schedule in the week after the update".into());
    };
    let uploaded = upload_shifts(unit, &wanted.shifts);
    let want = normalize(&uploaded);
    let got = normalize(read);
    if want == got {
        return match &wanted.time_off {
            Some(days)
                if time_off::normalize(unit, &time_off::upload_markers(unit, days))
                    != time_off::normalize(unit, days_off) =>
            {
                Err(format!(
                    "{} days off were wanted, the server holds {} that differ",
                    days.len(),
                    days_off.len()
                ))
            }
            _ => Ok(()),
        };
    }
    if want.len() != got.len() {
        return Err(format!(
            "{} shifts were wanted, {} were read back",
            want.len(),
            got.len()
        ));
    }
    let first = want.iter().zip(&got).position(|(a, b)| a != b).unwrap_or(0);
    Err(format!(
        "shift {} differs: wanted it to start {}, read back {}",
        first + 1,
        unit.zone.local(want[first].0),
        unit.zone.local(got[first].0)
    ))
}

#[cfg(test)]
pub(in crate::bulk) mod tests {
    use super::*;
    use pacer_genesys::wfm::ActivityCode;
    use pacer_genesys::zone::Zone;
    use std::collections::HashMap;

    pub(in crate::bulk) fn unit() -> Unit {
        let code = |id: &str, name: &str, category: &str| ActivityCode {
            id: id.into(),
            name: name.into(),
            active: true,
            default_code: true,
            category: category.into(),
            length_in_minutes: None,
            counts_as_paid_time: true,
            counts_as_work_time: true,
        };
        Unit {
            id: "bu".into(),
            name: "North".into(),
            start_day: 0,
            zone: Zone::utc(),
            division_id: None,
            codes: vec![
                code("w", "Work", "OnQueueWork"),
                code("b", "Break", "Break"),
            ],
            management_units: Vec::new(),
        }
    }

    pub(in crate::bulk) fn wanted(week: &str, start: &str, code: Option<&str>) -> Desired {
        Desired {
            line: 2,
            user_id: "u1".into(),
            week: week.into(),
            shifts: vec![DesiredShift {
                line: 2,
                start: start.into(),
                length_minutes: 60,
                activities: code
                    .map(|c| {
                        vec![DesiredActivity {
                            start: start.into(),
                            length_minutes: 60,
                            code: Some(c.into()),
                            description: None,
                        }]
                    })
                    .unwrap_or_default(),
            }],
            time_off: None,
            remove: false,
            guard: None,
        }
    }

    #[test]
    fn agents_are_added_changed_or_left_alone() {
        let unit = unit();
        let want = wanted("2026-12-07", "2026-12-08T09:00:00Z", None);
        let same = upload_shifts(&unit, &want.shifts);
        let mut current = HashMap::new();
        let plan = diff(&unit, &[&want], &current);
        assert_eq!(plan[0].change, Change::Added);
        assert!(plan[0].entry.as_ref().unwrap().metadata.is_none());
        current.insert(
            "u1".to_string(),
            Current {
                version: 3,
                shifts: same.clone(),
                time_off: Vec::new(),
            },
        );
        assert_eq!(diff(&unit, &[&want], &current)[0].change, Change::Unchanged);
        assert!(diff(&unit, &[&want], &current)[0].entry.is_none());
        let mut other = same.clone();
        other[0].start_date = "2026-12-08T10:00:00.000+01:00".into();
        // The same instant written another way is the same shift.
        other[0].activities[0].start_date = "2026-12-08T09:00:00.000Z".into();
        current.insert(
            "u1".to_string(),
            Current {
                version: 3,
                shifts: other,
                time_off: Vec::new(),
            },
        );
        assert_eq!(diff(&unit, &[&want], &current)[0].change, Change::Unchanged);
        let mut moved = same.clone();
        moved[0].start_date = "2026-12-08T11:00:00Z".into();
        current.insert(
            "u1".to_string(),
            Current {
                version: 3,
                shifts: moved.clone(),
                time_off: Vec::new(),
            },
        );
        let plan = diff(&unit, &[&want], &current);
        assert_eq!(plan[0].change, Change::Changed);
        assert_eq!(
            plan[0]
                .entry
                .as_ref()
                .unwrap()
                .metadata
                .as_ref()
                .unwrap()
                .version,
            3
        );
        assert!(verify(&unit, &want, Some((&same, &[]))).is_ok());
        assert!(
            verify(&unit, &want, Some((&moved, &[])))
                .unwrap_err()
                .contains("shift 1 differs")
        );
        assert!(verify(&unit, &want, None).is_err());
    }

    #[test]
    fn a_guard_holds_back_a_write_but_never_an_agent_already_as_wanted() {
        let unit = unit();
        let mut want = wanted("2026-12-07", "2026-12-08T09:00:00Z", Some("Work"));
        want.guard = Some(Guard::Version(4));
        let held = |version: u64, start: &str| Current {
            version,
            shifts: upload_shifts(&unit, &wanted("2026-12-07", start, Some("Work")).shifts),
            time_off: Vec::new(),
        };
        let plan = |current: Current| {
            let map = HashMap::from([("u1".to_string(), current)]);
            diff(&unit, &[&want], &map).remove(0)
        };
        let moved = "2026-12-08T10:00:00Z";
        assert_eq!(plan(held(4, moved)).change, Change::Changed);
        let left = plan(held(5, moved));
        assert_eq!((left.change, left.entry), (Change::Left, None));
        assert_eq!(
            plan(held(5, "2026-12-08T09:00:00Z")).change,
            Change::Unchanged
        );
    }

    #[test]
    fn a_removal_deletes_the_agent_with_its_version_or_finds_it_gone() {
        let unit = unit();
        let mut want = wanted("2026-12-07", "2026-12-08T09:00:00Z", None);
        want.remove = true;
        let held = Current {
            version: 2,
            shifts: Vec::new(),
            time_off: Vec::new(),
        };
        let map = HashMap::from([("u1".to_string(), held)]);
        let plan = diff(&unit, &[&want], &map).remove(0);
        assert_eq!(plan.change, Change::Removed);
        let entry = plan.entry.unwrap();
        assert_eq!(
            (entry.delete, entry.metadata.map(|m| m.version)),
            (Some(true), Some(2))
        );
        let gone = diff(&unit, &[&want], &HashMap::new()).remove(0);
        assert_eq!(gone.change, Change::Unchanged);
        assert!(verify(&unit, &want, None).is_ok());
    }
}
