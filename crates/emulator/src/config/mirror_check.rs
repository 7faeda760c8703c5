//! The checks of a mirror's content before the emulator serves it: ids well formed and each once,
//! zones and start days known, members among the users and in one management unit each, and
//! schedules on their unit's weeks with its members and codes. Each problem is named by its path
//! in the file (`businessUnits[1] (South).timeZone: ...`).

use std::collections::{HashMap, HashSet};

use pacer_genesys::MAX_LENGTH_MINUTES;
use pacer_genesys::datetime::{WEEKDAYS, parse_days, parse_seconds, weekday, weekday_index};
use pacer_genesys::wfm::{BuAgentScheduleShift, BuFullDayTimeOffMarker};
use pacer_genesys::zone::Zone;

use super::limiter::{ORG_LIMIT_KEY, PLATFORM_NAMESPACE, REQUEST_BYTES_KEY, TOKEN_LIMIT_KEY};
use crate::agents::parse_uuid;
use crate::mirror::{Mirror, MirrorSchedule, MirrorUnit};

/// The most activity codes a unit may have: stored activities name their code by a 16-bit index.
pub const MAX_CODES: usize = u16::MAX as usize + 1;
/// The most business units the emulator serves (as `wfm.business_units`).
const MAX_UNITS: usize = 1000;
/// The most weeks one schedule may span (as the API's blank schedule).
const MAX_WEEK_COUNT: u32 = 6;

/// Checks a mirror's content; the error is the first problem, with its path.
pub fn check(mirror: &Mirror) -> Result<(), String> {
    check_limits(mirror)?;
    let users = check_users(mirror)?;
    if mirror.business_units.is_empty() {
        return Err("businessUnits: the mirror holds no business unit".into());
    }
    if mirror.business_units.len() > MAX_UNITS {
        return Err(format!(
            "businessUnits: {} units, the emulator serves at most {MAX_UNITS}",
            mirror.business_units.len()
        ));
    }
    let mut ids = Ids::default();
    let mut membership: HashMap<u128, String> = HashMap::new();
    for (b, unit) in mirror.business_units.iter().enumerate() {
        let at = format!("businessUnits[{b}] ({})", unit.name);
        ids.once("business unit", &unit.id, &format!("{at}.id"))?;
        let start = check_settings(&at, unit)?;
        let unit_ids = UnitIds {
            start,
            codes: check_codes(&at, unit)?,
            members: check_members(&at, unit, &users, &mut ids, &mut membership)?,
        };
        for (s, schedule) in unit.schedules.iter().enumerate() {
            let at = format!("{at}.schedules[{s}]");
            ids.once("schedule", &schedule.id, &format!("{at}.id"))?;
            check_schedule(&at, &unit_ids, schedule)?;
        }
    }
    Ok(())
}

/// What a unit's schedules are checked against: its first day of the week, its codes' ids and
/// its members.
struct UnitIds<'m> {
    start: usize,
    codes: HashSet<&'m str>,
    members: HashSet<u128>,
}

/// Ids seen so far, by kind, with the path that first gave each.
#[derive(Default)]
struct Ids(HashMap<(&'static str, String), String>);

impl Ids {
    /// Refuses an id of `kind` seen before.
    fn once(&mut self, kind: &'static str, id: &str, at: &str) -> Result<(), String> {
        match self.0.insert((kind, id.to_string()), at.to_string()) {
            Some(first) => Err(format!(
                "{at}: duplicate {kind} id `{id}` (also at {first})"
            )),
            None => Ok(()),
        }
    }
}

/// The limits' values the emulator enforces must be ones a limiter can use.
fn check_limits(mirror: &Mirror) -> Result<(), String> {
    for (i, limit) in mirror.limits.iter().enumerate() {
        let enforced = limit.namespace == PLATFORM_NAMESPACE
            && [TOKEN_LIMIT_KEY, ORG_LIMIT_KEY, REQUEST_BYTES_KEY].contains(&limit.key.as_str());
        if enforced && !(1..=u64::from(u32::MAX)).contains(&limit.value) {
            return Err(format!(
                "limits[{i}] ({}): value {} must be 1..={}",
                limit.key,
                limit.value,
                u32::MAX
            ));
        }
    }
    Ok(())
}

/// Every user's id a UUID, each id and e-mail once; the users by id (their index in `users`).
fn check_users(mirror: &Mirror) -> Result<HashMap<u128, usize>, String> {
    let mut users = HashMap::with_capacity(mirror.users.len());
    let mut emails: HashMap<String, usize> = HashMap::new();
    for (u, user) in mirror.users.iter().enumerate() {
        let id = parse_uuid(&user.id)
            .ok_or_else(|| format!("users[{u}].id: `{}` is not a UUID", user.id))?;
        if let Some(first) = users.insert(id, u) {
            return Err(format!(
                "users[{u}].id: duplicate user id `{}` (also users[{first}])",
                user.id
            ));
        }
        if let Some(email) = &user.email
            && let Some(first) = emails.insert(email.to_lowercase(), u)
        {
            return Err(format!(
                "users[{u}].email: `{email}` is also users[{first}]'s"
            ));
        }
    }
    Ok(users)
}

/// The unit's zone and first day of the week (0 is Monday).
fn check_settings(at: &str, unit: &MirrorUnit) -> Result<usize, String> {
    Zone::named(&unit.time_zone).map_err(|_| {
        format!(
            "{at}.timeZone: `{}` is not an IANA time zone",
            unit.time_zone
        )
    })?;
    weekday_index(&unit.start_day_of_week).ok_or_else(|| {
        format!(
            "{at}.startDayOfWeek: `{}` is not a day: expected one of {}",
            unit.start_day_of_week,
            WEEKDAYS.join(", ")
        )
    })
}

/// The unit's activity codes: at least one, each id once, at most [`MAX_CODES`]; their ids.
fn check_codes<'m>(at: &str, unit: &'m MirrorUnit) -> Result<HashSet<&'m str>, String> {
    if unit.activity_codes.is_empty() {
        return Err(format!("{at}.activityCodes: the unit has no activity code"));
    }
    if unit.activity_codes.len() > MAX_CODES {
        return Err(format!(
            "{at}.activityCodes: {} codes, the emulator holds at most {MAX_CODES} a unit",
            unit.activity_codes.len()
        ));
    }
    let mut ids = Ids::default();
    for (c, code) in unit.activity_codes.iter().enumerate() {
        ids.once(
            "activity code",
            &code.id,
            &format!("{at}.activityCodes[{c}].id"),
        )?;
    }
    Ok(unit.activity_codes.iter().map(|c| c.id.as_str()).collect())
}

/// The unit's management units: ids once, members among the users and each in one management
/// unit of the whole mirror; the unit's members.
fn check_members(
    at: &str,
    unit: &MirrorUnit,
    users: &HashMap<u128, usize>,
    ids: &mut Ids,
    membership: &mut HashMap<u128, String>,
) -> Result<HashSet<u128>, String> {
    let mut members = HashSet::new();
    for (m, mu) in unit.management_units.iter().enumerate() {
        let at = format!("{at}.managementUnits[{m}] ({})", mu.name);
        ids.once("management unit", &mu.id, &format!("{at}.id"))?;
        for (i, member) in mu.members.iter().enumerate() {
            let here = format!("{at}.members[{i}]");
            let id = parse_uuid(member)
                .filter(|id| users.contains_key(id))
                .ok_or_else(|| format!("{here}: user `{member}` is not in users"))?;
            if let Some(first) = membership.insert(id, here.clone()) {
                return Err(format!(
                    "{here}: user `{member}` is already a member at {first} (an agent belongs \
                     to one management unit)"
                ));
            }
            members.insert(id);
        }
    }
    Ok(members)
}

/// One schedule: its week on the unit's first day, its week count, and its agents (members of
/// the unit, each once) with their shifts and days off.
fn check_schedule(at: &str, unit: &UnitIds<'_>, schedule: &MirrorSchedule) -> Result<(), String> {
    let week = parse_days(&schedule.week_date)
        .map_err(|reason| format!("{at}.weekDate: `{}` {reason}", schedule.week_date))?;
    let start = unit.start;
    if weekday(week) != start {
        return Err(format!(
            "{at}.weekDate: {} is a {}, the unit's weeks start on {}",
            schedule.week_date,
            WEEKDAYS[weekday(week)],
            WEEKDAYS[start]
        ));
    }
    if !(1..=MAX_WEEK_COUNT).contains(&schedule.week_count) {
        return Err(format!(
            "{at}.weekCount: {} must be 1..={MAX_WEEK_COUNT}",
            schedule.week_count
        ));
    }
    let days = (week, 7 * i64::from(schedule.week_count));
    let mut seen: HashMap<u128, usize> = HashMap::new();
    for (a, agent) in schedule.agents.iter().flatten().enumerate() {
        let at = format!("{at}.agents[{a}]");
        let id = parse_uuid(&agent.user_id)
            .filter(|id| unit.members.contains(id))
            .ok_or_else(|| {
                format!(
                    "{at}.userId: `{}` is not a member of the unit's management units",
                    agent.user_id
                )
            })?;
        if let Some(first) = seen.insert(id, a) {
            return Err(format!(
                "{at}.userId: `{}` appears twice (also agents[{first}])",
                agent.user_id
            ));
        }
        for (s, shift) in agent.shifts.iter().enumerate() {
            check_shift(&unit.codes, shift)
                .map_err(|reason| format!("{at}.shifts[{s}]{reason}"))?;
        }
        for (m, marker) in agent.full_day_time_off_markers.iter().enumerate() {
            check_marker(&unit.codes, days, marker)
                .map_err(|reason| format!("{at}.fullDayTimeOffMarkers[{m}]{reason}"))?;
        }
    }
    Ok(())
}

/// One mirrored shift: its id a UUID when given, its times and lengths readable, every
/// activity's code the unit's.
fn check_shift(codes: &HashSet<&str>, shift: &BuAgentScheduleShift) -> Result<(), String> {
    if let Some(id) = &shift.id
        && parse_uuid(id).is_none()
    {
        return Err(format!(".id: `{id}` is not a UUID"));
    }
    parse_seconds(&shift.start_date)
        .map_err(|reason| format!(".startDate: `{}` {reason}", shift.start_date))?;
    check_length(shift.length_minutes).map_err(|reason| format!(".lengthMinutes: {reason}"))?;
    for (a, activity) in shift.activities.iter().enumerate() {
        let at = format!(".activities[{a}]");
        parse_seconds(&activity.start_date)
            .map_err(|reason| format!("{at}.startDate: `{}` {reason}", activity.start_date))?;
        check_length(activity.length_minutes)
            .map_err(|reason| format!("{at}.lengthMinutes: {reason}"))?;
        check_code(codes, &activity.activity_code_id)
            .map_err(|reason| format!("{at}.activityCodeId: {reason}"))?;
    }
    Ok(())
}

/// One mirrored full day off: a day of its schedule, a length, one of the unit's codes.
fn check_marker(
    codes: &HashSet<&str>,
    (first, count): (i64, i64),
    marker: &BuFullDayTimeOffMarker,
) -> Result<(), String> {
    let date = &marker.business_unit_date;
    let day = parse_days(date).map_err(|reason| format!(".businessUnitDate: `{date}` {reason}"))?;
    if !(first..first + count).contains(&day) {
        return Err(format!(
            ".businessUnitDate: {date} is not a day of the schedule"
        ));
    }
    check_length(marker.length_minutes).map_err(|reason| format!(".lengthMinutes: {reason}"))?;
    check_code(codes, &marker.activity_code_id)
        .map_err(|reason| format!(".activityCodeId: {reason}"))
}

fn check_code(codes: &HashSet<&str>, id: &str) -> Result<(), String> {
    if codes.contains(id) {
        Ok(())
    } else {
        Err(format!("`{id}` is not one of the unit's activityCodes"))
    }
}

fn check_length(minutes: u32) -> Result<(), String> {
    if (1..=MAX_LENGTH_MINUTES).contains(&minutes) {
        Ok(())
    } else {
        Err(format!("{minutes} must be 1..={MAX_LENGTH_MINUTES}"))
    }
}
