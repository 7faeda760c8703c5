//! The input's wanted schedules checked against the business unit before anything is read or
//! sent (weeks on its start day, shifts inside their week, known activity codes, agents of the
//! unit), and their start times placed on the time line in the unit's zone.

use std::borrow::Cow;

use pacer_genesys::datetime::{
    WEEKDAYS, format_seconds, parse_days, parse_seconds, says_seconds, weekday,
};
use pacer_genesys::zone::Ambiguous;

use crate::bulk::api::Unit;
use crate::bulk::plan::{Desired, DesiredShift, Finding};
use crate::bulk::time_off;

/// The instants a week of `unit` spans (seconds since the epoch, half-open): from local midnight
/// of its first day to local midnight seven days later, exact across a DST change.
pub fn week_bounds(unit: &Unit, week_day: i64) -> (i64, i64) {
    unit.zone.week(week_day)
}

/// Every start time placed on the time line: an instant stays that instant (written in UTC), a
/// wall-clock time is read in the unit's zone, `ambiguous` choosing in the autumn change's
/// repeated hour. A start that cannot be placed stays as written, with a finding on its line.
pub fn place_times(
    unit: &Unit,
    desired: &[Desired],
    ambiguous: Ambiguous,
) -> (Vec<Desired>, Vec<Finding>) {
    let mut findings = Vec::new();
    let placed = desired
        .iter()
        .map(|wanted| {
            let (placed, unplaced) = place(unit, wanted, ambiguous);
            findings.extend(unplaced);
            placed.into_owned()
        })
        .collect();
    (placed, findings)
}

/// One agent's wanted schedule with its start times placed, as [`place_times`] places them:
/// borrowed when every start already says its instant as the upload writes it (the common
/// case, and no copy of the agent made), else a copy with the starts placed.
pub fn place<'w>(
    unit: &Unit,
    wanted: &'w Desired,
    ambiguous: Ambiguous,
) -> (Cow<'w, Desired>, Vec<Finding>) {
    let mut findings = Vec::new();
    let mut moved = |line: u64, start: &str| match unit.zone.resolve(start, ambiguous) {
        Ok(at) if says_seconds(start, at) => None,
        Ok(at) => Some(format_seconds(at)),
        Err(problem) => {
            findings.push(Finding {
                line,
                field: "startDate",
                reason: problem.to_string(),
            });
            None
        }
    };
    let mut placed = Cow::Borrowed(wanted);
    for (s, shift) in wanted.shifts.iter().enumerate() {
        if let Some(start) = moved(shift.line, &shift.start) {
            placed.to_mut().shifts[s].start = start;
        }
        for (a, activity) in shift.activities.iter().enumerate() {
            if let Some(start) = moved(shift.line, &activity.start) {
                placed.to_mut().shifts[s].activities[a].start = start;
            }
        }
    }
    // A shift and its activity at the same time are one mistake on one line: said once.
    findings.dedup();
    (placed, findings)
}

/// Checks every wanted schedule against the unit; `members` says which agents belong to it.
pub fn validate(unit: &Unit, desired: &[Desired], members: &dyn Fn(&str) -> bool) -> Vec<Finding> {
    let mut findings = Vec::new();
    for wanted in desired {
        let mut find = |line: u64, field: &'static str, reason: String| {
            findings.push(Finding {
                line,
                field,
                reason,
            })
        };
        if !members(&wanted.user_id) {
            let finding = not_a_member(unit, wanted);
            find(finding.line, finding.field, finding.reason);
        }
        let Some(bounds) = week_of(unit, wanted, &mut find) else {
            continue;
        };
        for shift in &wanted.shifts {
            check_shift(unit, &wanted.week, shift, bounds, &mut find);
        }
        let first = parse_days(&wanted.week).unwrap_or_default();
        for day in wanted.time_off.iter().flatten() {
            if let Some((field, reason)) = time_off::check(unit, first, day) {
                find(day.line, field, reason);
            }
        }
    }
    findings
}

/// The finding of an agent the unit does not hold.
pub fn not_a_member(unit: &Unit, wanted: &Desired) -> Finding {
    Finding {
        line: wanted.line,
        field: "userId",
        reason: format!(
            "{} is not an agent of business unit {}",
            wanted.user_id, unit.name
        ),
    }
}

/// Where a finding goes: its line, its field and why.
type Find<'a> = dyn FnMut(u64, &'static str, String) + 'a;

/// The bounds of the wanted week in the unit's time (seconds since the epoch), when its date
/// reads and falls on the unit's start day.
fn week_of(unit: &Unit, wanted: &Desired, find: &mut Find<'_>) -> Option<(i64, i64)> {
    let day = match parse_days(&wanted.week) {
        Ok(day) => day,
        Err(reason) => {
            find(
                wanted.line,
                "weekDate",
                format!("`{}` {reason}", wanted.week),
            );
            return None;
        }
    };
    if weekday(day) != unit.start_day {
        find(
            wanted.line,
            "weekDate",
            format!(
                "{} is a {}: weeks of business unit {} start on {}",
                wanted.week,
                WEEKDAYS[weekday(day)],
                unit.name,
                WEEKDAYS[unit.start_day]
            ),
        );
        return None;
    }
    Some(week_bounds(unit, day))
}

/// A shift starts within its week, and each of its activity codes is the unit's.
fn check_shift(
    unit: &Unit,
    week: &str,
    shift: &DesiredShift,
    (lo, hi): (i64, i64),
    find: &mut Find<'_>,
) {
    match parse_seconds(&shift.start) {
        Ok(start) if start < lo || start >= hi => find(
            shift.line,
            "startDate",
            format!(
                "{} is outside the week of {} (from {} to {}, {})",
                unit.zone.local(start),
                week,
                unit.zone.local(lo),
                unit.zone.local(hi),
                unit.zone.name()
            ),
        ),
        Ok(_) => {}
        Err(reason) => find(
            shift.line,
            "startDate",
            format!("`{}` {reason}", shift.start),
        ),
    }
    for activity in &shift.activities {
        if let Some(code) = &activity.code
            && unit.code_id(code).is_none()
        {
            let known: Vec<&str> = unit.codes.iter().map(|c| c.name.as_str()).collect();
            find(
                shift.line,
                "activityCodeId",
                format!(
                    "`{code}` is not an activity code of business unit {} (known: {})",
                    unit.name,
                    known.join(", ")
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bulk::plan::tests::{unit, wanted};

    #[test]
    fn the_input_is_checked_against_the_unit() {
        let unit = unit();
        let everyone = |_: &str| true;
        let good = wanted("2026-12-07", "2026-12-08T09:00:00Z", Some("break"));
        assert!(validate(&unit, &[good], &everyone).is_empty());
        let tuesday = validate(
            &unit,
            &[wanted("2026-12-08", "2026-12-08T09:00:00Z", None)],
            &everyone,
        );
        assert_eq!(tuesday[0].field, "weekDate");
        assert!(
            tuesday[0].reason.contains("is a Tuesday"),
            "{}",
            tuesday[0].reason
        );
        let outside = validate(
            &unit,
            &[wanted("2026-12-07", "2026-12-14T00:00:00Z", None)],
            &everyone,
        );
        assert_eq!(outside[0].field, "startDate");
        let unknown = validate(
            &unit,
            &[wanted("2026-12-07", "2026-12-08T09:00:00Z", Some("Nap"))],
            &everyone,
        );
        assert!(unknown[0].reason.contains("known: Work, Break"));
        let nobody = |_: &str| false;
        let stranger = validate(
            &unit,
            &[wanted("2026-12-07", "2026-12-08T09:00:00Z", None)],
            &nobody,
        );
        assert_eq!(stranger[0].field, "userId");
    }
}
