//! Agent schedules serialized straight from a schedule's storage, with the field names and order
//! of `BuAgentSchedulesQueryResponse` (a query's) and `BuAgentSchedulesSearchResponse` (a
//! search's): thousands of agents write their JSON without building a tree of strings first
//! (tests check that both give the bytes the typed answers give).

use std::fmt;

use pacer_genesys::datetime::{civil_from_days, format_days};
use pacer_genesys::wfm::{BuFullDayTimeOffMarker, BuSchedulePublishedReference};
use serde::Serialize;
use serde::ser::{SerializeSeq, SerializeStruct, Serializer};

use crate::agents::{Agents, write_uuid};
use crate::wfm::marker::StoredMarker;
use crate::wfm::org::BusinessUnit;
use crate::wfm::schedules::Schedule;
use crate::wfm::shift::{StoredActivity, StoredShift};

/// The agent schedules of `list` (agents without one are left out), as the query answers them.
pub struct AgentSchedules<'a> {
    pub schedule: &'a Schedule,
    pub unit: &'a BusinessUnit,
    pub agents: &'a Agents,
    pub list: &'a [u32],
}

impl Serialize for AgentSchedules<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut out = s.serialize_struct("BuAgentSchedulesQueryResponse", 2)?;
        out.serialize_field("agentSchedules", &Agents_(self))?;
        out.serialize_field("businessUnitTimeZone", self.unit.zone.name())?;
        out.end()
    }
}

impl AgentSchedules<'_> {
    /// How many of the listed agents have a schedule.
    pub fn count(&self) -> usize {
        self.list
            .iter()
            .filter(|&&a| self.schedule.agent_version(a).is_some())
            .count()
    }
}

struct Agents_<'a>(&'a AgentSchedules<'a>);

impl Serialize for Agents_<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let view = self.0;
        let mut seq = s.serialize_seq(None)?;
        for &agent in view.list {
            if let Some((version, shifts)) = view.schedule.shifts_of(agent) {
                seq.serialize_element(&Agent {
                    id: view.agents.id(agent),
                    version,
                    shifts: &shifts,
                    markers: view.schedule.markers_of(agent),
                    week: view.schedule.week,
                    unit: view.unit,
                })?;
            }
        }
        seq.end()
    }
}

struct Agent<'a> {
    id: u128,
    version: u64,
    shifts: &'a [StoredShift],
    markers: &'a [StoredMarker],
    /// The schedule's first day, which the markers' days count from.
    week: i64,
    unit: &'a BusinessUnit,
}

impl Serialize for Agent<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut out = s.serialize_struct("BuAgentScheduleQueryResponse", 4)?;
        out.serialize_field("user", &User(self.id))?;
        let shifts = Shifts {
            shifts: self.shifts,
            unit: self.unit,
        };
        out.serialize_field("shifts", &shifts)?;
        let markers: Vec<BuFullDayTimeOffMarker> = self
            .markers
            .iter()
            .map(|marker| typed_marker(self.unit, self.week, marker))
            .collect();
        out.serialize_field("fullDayTimeOffMarkers", &markers)?;
        out.serialize_field("metadata", &Version(self.version))?;
        out.end()
    }
}

struct User(u128);

impl Serialize for User {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut out = s.serialize_struct("IdRef", 1)?;
        out.serialize_field("id", &Text(Uuid(self.0)))?;
        out.end()
    }
}

struct Version(u64);

impl Serialize for Version {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut out = s.serialize_struct("VersionedMetadata", 1)?;
        out.serialize_field("version", &self.0)?;
        out.end()
    }
}

/// An agent's shifts as stored, written as the wire's array of `BuAgentScheduleShift`.
struct Shifts<'a> {
    shifts: &'a [StoredShift],
    unit: &'a BusinessUnit,
}

impl Serialize for Shifts<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.shifts.len()))?;
        for shift in self.shifts {
            seq.serialize_element(&Shift {
                shift,
                unit: self.unit,
            })?;
        }
        seq.end()
    }
}

struct Shift<'a> {
    shift: &'a StoredShift,
    unit: &'a BusinessUnit,
}

impl Serialize for Shift<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let shift = self.shift;
        let mut out = s.serialize_struct("BuAgentScheduleShift", 4)?;
        out.serialize_field("id", &Text(Uuid(shift.id)))?;
        out.serialize_field("startDate", &Text(DateTime(shift.start)))?;
        out.serialize_field("lengthMinutes", &u32::from(shift.length))?;
        let activities: Vec<Activity<'_>> = shift
            .activities
            .iter()
            .map(|activity| Activity {
                activity,
                unit: self.unit,
            })
            .collect();
        out.serialize_field("activities", &activities)?;
        out.end()
    }
}

struct Activity<'a> {
    activity: &'a StoredActivity,
    unit: &'a BusinessUnit,
}

impl Serialize for Activity<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let a = self.activity;
        let code = self.unit.codes.get(a.code);
        let mut out = s.serialize_struct("BuAgentScheduleActivity", 5)?;
        out.serialize_field("startDate", &Text(DateTime(a.start)))?;
        out.serialize_field("lengthMinutes", &u32::from(a.length))?;
        out.serialize_field("activityCodeId", &code.id)?;
        let description = a.description.as_deref().unwrap_or(&code.name);
        out.serialize_field("description", description)?;
        out.serialize_field("paid", &code.counts_as_paid_time)?;
        out.end()
    }
}

/// A search's answer, `BuAgentSchedulesSearchResponse`, written from the shifts it found as
/// stored: an answer of a hundred thousand agents is never a tree of strings first.
pub struct SearchAnswer<'a> {
    pub unit: &'a BusinessUnit,
    pub agents: &'a Agents,
    /// Each agent found, in order: its shifts in the range, and its days off in it (as the wire
    /// type: most agents have none).
    pub found: Vec<Found>,
    pub published: Vec<BuSchedulePublishedReference>,
}

/// One agent a search found.
pub struct Found {
    pub agent: u32,
    pub shifts: Vec<StoredShift>,
    pub markers: Vec<BuFullDayTimeOffMarker>,
}

impl Serialize for SearchAnswer<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut out = s.serialize_struct("BuAgentSchedulesSearchResponse", 3)?;
        out.serialize_field("agentSchedules", &SearchAgents(self))?;
        out.serialize_field("businessUnitTimeZone", self.unit.zone.name())?;
        out.serialize_field("publishedSchedules", &self.published)?;
        out.end()
    }
}

struct SearchAgents<'a>(&'a SearchAnswer<'a>);

impl Serialize for SearchAgents<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let answer = self.0;
        let mut seq = s.serialize_seq(Some(answer.found.len()))?;
        for found in &answer.found {
            seq.serialize_element(&SearchAgent {
                found,
                id: answer.agents.id(found.agent),
                unit: answer.unit,
            })?;
        }
        seq.end()
    }
}

struct SearchAgent<'a> {
    found: &'a Found,
    id: u128,
    unit: &'a BusinessUnit,
}

impl Serialize for SearchAgent<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut out = s.serialize_struct("BuAgentScheduleSearchResponse", 3)?;
        out.serialize_field("user", &User(self.id))?;
        let shifts = Shifts {
            shifts: &self.found.shifts,
            unit: self.unit,
        };
        out.serialize_field("shifts", &shifts)?;
        out.serialize_field("fullDayTimeOffMarkers", &self.found.markers)?;
        out.end()
    }
}

/// Serializes a `Display` value as a JSON string, formatted straight into the output.
struct Text<T>(T);

impl<T: fmt::Display> Serialize for Text<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

struct Uuid(u128);

impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = [0u8; 36];
        write_uuid(self.0, &mut out);
        f.write_str(std::str::from_utf8(&out).map_err(|_| fmt::Error)?)
    }
}

/// A UTC date-time `YYYY-MM-DDTHH:MM:SSZ` of seconds since the epoch.
struct DateTime(i64);

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, month, day) = civil_from_days(self.0.div_euclid(86_400));
        let rem = self.0.rem_euclid(86_400);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        )
    }
}

/// One shift as the typed wire type: the tests' reference for the views.
#[cfg(test)]
pub fn typed_shift(
    unit: &BusinessUnit,
    shift: &StoredShift,
) -> pacer_genesys::wfm::BuAgentScheduleShift {
    use pacer_genesys::wfm::{BuAgentScheduleActivity, BuAgentScheduleShift};
    BuAgentScheduleShift {
        id: Some(Uuid(shift.id).to_string()),
        start_date: DateTime(shift.start).to_string(),
        length_minutes: u32::from(shift.length),
        activities: shift
            .activities
            .iter()
            .map(|a| {
                let code = unit.codes.get(a.code);
                BuAgentScheduleActivity {
                    start_date: DateTime(a.start).to_string(),
                    length_minutes: u32::from(a.length),
                    activity_code_id: code.id.clone(),
                    description: a.description.as_deref().unwrap_or(&code.name).to_string(),
                    paid: Some(code.counts_as_paid_time),
                }
            })
            .collect(),
        manually_edited: None,
        delete: None,
    }
}

/// One full day of time off as the wire type (most agents have none, so the view writes these
/// typed too); `week` is the first day of its schedule.
pub fn typed_marker(
    unit: &BusinessUnit,
    week: i64,
    marker: &StoredMarker,
) -> BuFullDayTimeOffMarker {
    let code = unit.codes.get(marker.code);
    let description = marker.description.as_deref().unwrap_or(&code.name);
    BuFullDayTimeOffMarker {
        business_unit_date: format_days(week + i64::from(marker.day)),
        length_minutes: u32::from(marker.length),
        description: Some(description.to_string()),
        activity_code_id: code.id.clone(),
        paid: Some(marker.paid),
        time_off_request_id: marker.time_off_request_id.as_deref().map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::format_uuid;
    use crate::config::WfmConfig;
    use crate::wfm::org::{Org, Today};
    use crate::wfm::schedules::{Change, Changes};
    use pacer_genesys::wfm::{
        BuAgentScheduleQueryResponse, BuAgentSchedulesQueryResponse, IdRef, VersionedMetadata,
    };

    /// The typed answer for one agent, built field by field: the reference for the view.
    fn typed(
        schedule: &Schedule,
        unit: &BusinessUnit,
        agents: &Agents,
        agent: u32,
    ) -> Option<BuAgentScheduleQueryResponse> {
        let (version, shifts) = schedule.shifts_of(agent)?;
        let shifts = shifts
            .iter()
            .map(|shift| typed_shift(unit, shift))
            .collect();
        Some(BuAgentScheduleQueryResponse {
            user: IdRef::new(format_uuid(agents.id(agent))),
            shifts,
            full_day_time_off_markers: schedule
                .markers_of(agent)
                .iter()
                .map(|marker| typed_marker(unit, schedule.week, marker))
                .collect(),
            metadata: VersionedMetadata::version(version),
        })
    }

    #[test]
    fn the_views_write_the_bytes_the_typed_answers_write() {
        let agents = Agents::new(20, 1);
        let org = Org::new(&WfmConfig::default(), 20, 1, Today::Date(20_794));
        let unit = &org.business_units[0];
        let mut schedule = Schedule::new("s".into(), 0, unit, 20_794, 1, "d".into(), true, 0, 7);
        let written = StoredShift {
            id: 42,
            start: 20_795 * 86_400,
            length: 60,
            activities: vec![StoredActivity {
                start: 20_795 * 86_400,
                length: 60,
                code: 3,
                description: Some("Quoted \"training\"".into()),
            }]
            .into_boxed_slice(),
        };
        let markers = vec![
            StoredMarker {
                day: 2,
                length: 480,
                code: 5,
                paid: true,
                description: Some("Quoted \"holiday\"".into()),
                time_off_request_id: Some("r1".into()),
            },
            StoredMarker {
                day: 3,
                length: 240,
                code: 5,
                paid: false,
                description: None,
                time_off_request_id: None,
            },
        ];
        let changes = Changes {
            agents: vec![
                Change {
                    agent: 4,
                    shifts: Some(vec![written].into_boxed_slice()),
                    markers: Some(markers.into_boxed_slice()),
                },
                Change {
                    agent: 5,
                    shifts: None,
                    markers: None,
                },
            ],
        };
        let ledger = crate::stats::Ledger::new();
        let stats = crate::stats::Stats::new(0);
        schedule.apply(changes, "me", 0, &ledger, &stats);
        let list: Vec<u32> = (0..8).collect();
        let view = AgentSchedules {
            schedule: &schedule,
            unit,
            agents: &agents,
            list: &list,
        };
        let typed = BuAgentSchedulesQueryResponse {
            agent_schedules: list
                .iter()
                .filter_map(|&a| typed(&schedule, unit, &agents, a))
                .collect(),
            business_unit_time_zone: Some(unit.zone.name().to_string()),
        };
        assert_eq!(view.count(), 7);
        let text = String::from_utf8(serde_json::to_vec(&view).unwrap()).unwrap();
        assert_eq!(text, serde_json::to_string(&typed).unwrap());
        assert!(
            text.contains(r#""fullDayTimeOffMarkers":[{"businessUnitDate":"2026-12-09","lengthMinutes":480,"description":"Quoted \"holiday\"","#),
            "{text}"
        );
        search_view_writes_the_bytes_the_typed_search_answer_writes(&schedule, unit, &agents);
    }

    /// The search's view against its typed answer, over the agents of `schedule`.
    fn search_view_writes_the_bytes_the_typed_search_answer_writes(
        schedule: &Schedule,
        unit: &BusinessUnit,
        agents: &Agents,
    ) {
        let found: Vec<Found> = (0..8)
            .filter_map(|agent| {
                let (_, shifts) = schedule.shifts_of(agent)?;
                let markers = schedule
                    .markers_of(agent)
                    .iter()
                    .map(|marker| typed_marker(unit, schedule.week, marker))
                    .collect();
                Some(Found {
                    agent,
                    shifts,
                    markers,
                })
            })
            .collect();
        let published = vec![BuSchedulePublishedReference {
            id: "s".into(),
            week_date: "2026-12-07".into(),
            week_count: 1,
        }];
        let typed = pacer_genesys::wfm::BuAgentSchedulesSearchResponse {
            agent_schedules: found
                .iter()
                .map(|f| pacer_genesys::wfm::BuAgentScheduleSearchResponse {
                    user: IdRef::new(format_uuid(agents.id(f.agent))),
                    shifts: f.shifts.iter().map(|s| typed_shift(unit, s)).collect(),
                    full_day_time_off_markers: f.markers.clone(),
                })
                .collect(),
            business_unit_time_zone: Some(unit.zone.name().to_string()),
            published_schedules: published.clone(),
        };
        let view = SearchAnswer {
            unit,
            agents,
            found,
            published,
        };
        assert_eq!(
            serde_json::to_string(&view).unwrap(),
            serde_json::to_string(&typed).unwrap()
        );
    }
}
