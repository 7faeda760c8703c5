//! Full days of time off in the schedule update, sans IO: the input's wanted days checked against
//! the unit (a date of the week, a time-off code of the unit), compared with what the server holds,
//! and written as the upload's `fullDayTimeOffMarkers`.

use pacer_genesys::datetime::parse_days;
use pacer_genesys::wfm::BuFullDayTimeOffMarker;

use crate::bulk::api::Unit;

/// One wanted full day of time off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredTimeOff {
    /// The input line it came from.
    pub line: u64,
    /// The day in the unit's calendar, `YYYY-MM-DD`.
    pub date: String,
    /// The minutes paid.
    pub length_minutes: u32,
    /// An activity code's id or name.
    pub code: String,
    /// `None`: the activity code's name.
    pub description: Option<String>,
}

/// A day off reduced to what makes two equal: date, paid minutes, code id, description.
type Norm = (String, u32, String, String);

/// The wanted days as the upload sends them (codes by id, descriptions filled in).
pub fn upload_markers(unit: &Unit, wanted: &[DesiredTimeOff]) -> Vec<BuFullDayTimeOffMarker> {
    wanted
        .iter()
        .map(|day| {
            let code = unit.code_id(&day.code).unwrap_or(&day.code).to_string();
            let description = day
                .description
                .clone()
                .or_else(|| unit.code_name(&code).map(str::to_string));
            BuFullDayTimeOffMarker {
                business_unit_date: day.date.clone(),
                length_minutes: day.length_minutes,
                description,
                activity_code_id: code,
                paid: None,
                time_off_request_id: None,
            }
        })
        .collect()
}

/// Days off in their comparable form, sorted (a description left out is the code's name).
pub fn normalize(unit: &Unit, markers: &[BuFullDayTimeOffMarker]) -> Vec<Norm> {
    let mut out: Vec<Norm> = markers
        .iter()
        .map(|m| {
            let description = m.description.clone().unwrap_or_else(|| {
                unit.code_name(&m.activity_code_id)
                    .unwrap_or_default()
                    .to_string()
            });
            (
                m.business_unit_date.clone(),
                m.length_minutes,
                m.activity_code_id.clone(),
                description,
            )
        })
        .collect();
    out.sort();
    out
}

/// Why a wanted day off does not fit the unit's week `[first, first + 7)` (days since the
/// epoch), or `None`: the field and the reason.
pub fn check(unit: &Unit, first: i64, day: &DesiredTimeOff) -> Option<(&'static str, String)> {
    match parse_days(&day.date) {
        Ok(date) if date < first || date >= first + 7 => {
            return Some((
                "startDate",
                format!(
                    "the day off {} is outside the week of {}",
                    day.date,
                    pacer_genesys::datetime::format_days(first)
                ),
            ));
        }
        Ok(_) => {}
        Err(reason) => return Some(("startDate", format!("`{}` {reason}", day.date))),
    }
    match unit.code_id(&day.code) {
        None => Some((
            "activityCodeId",
            format!(
                "`{}` is not an activity code of business unit {}",
                day.code, unit.name
            ),
        )),
        Some(id)
            if unit
                .codes
                .iter()
                .any(|c| c.id == id && c.category != "TimeOff") =>
        {
            Some((
                "activityCodeId",
                format!(
                    "`{}` is not a time-off code: a full day off needs a code of category TimeOff",
                    day.code
                ),
            ))
        }
        Some(_) => None,
    }
}
