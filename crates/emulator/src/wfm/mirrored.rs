//! A mirror's schedules as the emulator stores them: each with its id, week, week count,
//! published flag, description and version; with its agents read, each agent's version, shifts
//! and full days off exactly; without, every agent of the unit on the generated shifts, as the
//! profile's schedules.

use std::collections::HashMap;

use pacer_core::rng::Rng;
use pacer_genesys::datetime::{parse_days, parse_seconds};
use pacer_genesys::wfm::{BuAgentScheduleShift, BuFullDayTimeOffMarker};

use crate::agents::parse_uuid;
use crate::config::MirrorSource;
use crate::mirror::{MirrorAgentSchedule, MirrorSchedule};
use crate::wfm::codes::Codes;
use crate::wfm::marker::StoredMarker;
use crate::wfm::org::{BusinessUnit, Org};
use crate::wfm::schedules::Schedule;
use crate::wfm::shift::{StoredActivity, StoredShift};

/// Every schedule of the mirror, unit by unit; `modified` is their `dateModified` (seconds since
/// the epoch) and `rng` seeds their generated shifts.
pub fn mirrored_schedules(
    source: &MirrorSource,
    org: &Org,
    modified: i64,
    rng: &mut Rng,
) -> Vec<Schedule> {
    let users = &source.mirror.users;
    let numbers: HashMap<u128, u32> = source
        .layout
        .order
        .iter()
        .enumerate()
        .filter_map(|(agent, &u)| Some((parse_uuid(&users[u as usize].id)?, agent as u32)))
        .collect();
    let units = source.mirror.business_units.iter().zip(&org.business_units);
    let mut schedules = Vec::new();
    for (b, (mirrored, unit)) in units.enumerate() {
        for schedule in &mirrored.schedules {
            let seed = rng.next_u64();
            schedules.push(mirrored_schedule(
                b, unit, schedule, &numbers, modified, seed,
            ));
        }
    }
    schedules
}

/// One mirrored schedule of business unit `b` (`unit`); `numbers` gives each user's agent number.
fn mirrored_schedule(
    b: usize,
    unit: &BusinessUnit,
    mirrored: &MirrorSchedule,
    numbers: &HashMap<u128, u32>,
    modified: i64,
    seed: u64,
) -> Schedule {
    // The mirror's checks made the week a date on the unit's first day.
    let week = parse_days(&mirrored.week_date).unwrap_or(unit.today);
    let mut schedule = Schedule::new(
        mirrored.id.clone(),
        b,
        unit,
        week,
        mirrored.week_count,
        mirrored.description.clone(),
        mirrored.agents.is_none(),
        modified,
        seed,
    );
    schedule.published = mirrored.published;
    schedule.version = mirrored.version;
    for agent in mirrored.agents.iter().flatten() {
        let Some(&number) = parse_uuid(&agent.user_id).and_then(|id| numbers.get(&id)) else {
            continue;
        };
        let shifts = agent_shifts(&schedule, number, &unit.codes, agent);
        let markers = agent
            .full_day_time_off_markers
            .iter()
            .filter_map(|marker| stored_marker(week, &unit.codes, marker))
            .collect();
        schedule.put(number, agent.version, &shifts, markers);
    }
    schedule
}

/// An agent's mirrored shifts as stored; a shift without an id gets the one an upload would.
fn agent_shifts(
    schedule: &Schedule,
    agent: u32,
    codes: &Codes,
    mirrored: &MirrorAgentSchedule,
) -> Vec<StoredShift> {
    mirrored
        .shifts
        .iter()
        .enumerate()
        .filter_map(|(s, shift)| {
            let id = match &shift.id {
                Some(id) => parse_uuid(id)?,
                None => schedule.new_shift_id(agent, s as u64),
            };
            stored_shift(id, codes, shift)
        })
        .collect()
}

/// One shift as stored (`None` only for what the mirror's checks refuse).
fn stored_shift(id: u128, codes: &Codes, shift: &BuAgentScheduleShift) -> Option<StoredShift> {
    let activities = shift
        .activities
        .iter()
        .map(|activity| {
            let code = codes.find(&activity.activity_code_id)?;
            let description = &activity.description;
            Some(StoredActivity {
                start: parse_seconds(&activity.start_date).ok()?,
                length: u16::try_from(activity.length_minutes).ok()?,
                code,
                description: (*description != codes.get(code).name)
                    .then(|| description.as_str().into()),
            })
        })
        .collect::<Option<Box<[StoredActivity]>>>()?;
    Some(StoredShift {
        id,
        start: parse_seconds(&shift.start_date).ok()?,
        length: u16::try_from(shift.length_minutes).ok()?,
        activities,
    })
}

/// One full day off as stored, counted from the schedule's first day `week`.
fn stored_marker(
    week: i64,
    codes: &Codes,
    marker: &BuFullDayTimeOffMarker,
) -> Option<StoredMarker> {
    let code = codes.find(&marker.activity_code_id)?;
    let found = codes.get(code);
    let description = marker.description.as_deref().filter(|&d| d != found.name);
    Some(StoredMarker {
        day: u16::try_from(parse_days(&marker.business_unit_date).ok()? - week).ok()?,
        length: u16::try_from(marker.length_minutes).ok()?,
        code,
        paid: marker.paid.unwrap_or(found.counts_as_paid_time),
        description: description.map(Box::from),
        time_off_request_id: marker.time_off_request_id.as_deref().map(Box::from),
    })
}
