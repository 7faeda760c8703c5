//! The WFM lookups every WFM route makes: the business unit, the week and the schedule a path
//! names, each checked, or the refusal to answer in their place.

use std::sync::{Arc, Mutex};

use pacer_genesys::datetime::{WEEKDAYS, parse_days, weekday};

use crate::http::{Ctx, Problem};
use crate::wfm::lock;
use crate::wfm::schedules::Schedule;

/// The business unit of a path, or its 404.
pub fn find_bu(ctx: &Ctx<'_>, id: &str) -> Result<usize, Problem> {
    ctx.inner
        .wfm
        .org
        .business_unit(id)
        .ok_or_else(|| Problem::not_found("business unit"))
}

/// The business unit and the week of a path, checked: the week must start on the unit's day.
pub fn find_week(ctx: &Ctx<'_>, bu_id: &str, week_id: &str) -> Result<(usize, i64), Problem> {
    let bu = find_bu(ctx, bu_id)?;
    let unit = &ctx.inner.wfm.org.business_units[bu];
    let day = parse_days(week_id).map_err(|reason| {
        Problem::bad_request(format!(
            "The weekId `{week_id}` {reason} (the date of the business unit's first day of the week)."
        ))
    })?;
    if weekday(day) != unit.start_day {
        return Err(Problem::bad_request(format!(
            "The weekId {week_id} is a {}: weeks of business unit {} start on {}.",
            WEEKDAYS[weekday(day)],
            unit.name,
            unit.start_day_name()
        )));
    }
    Ok((bu, day))
}

/// The schedule of a path, checked against its unit and week.
pub fn find_schedule(
    ctx: &Ctx<'_>,
    bu_id: &str,
    week_id: &str,
    schedule_id: &str,
) -> Result<(usize, Arc<Mutex<Schedule>>), Problem> {
    let (bu, week) = find_week(ctx, bu_id, week_id)?;
    let schedule = ctx
        .inner
        .wfm
        .schedule(schedule_id)
        .filter(|s| {
            let s = lock(s);
            s.business_unit == bu && s.week == week
        })
        .ok_or_else(|| Problem::not_found("schedule"))?;
    Ok((bu, schedule))
}
