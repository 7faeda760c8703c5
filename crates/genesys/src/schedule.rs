//! The per-agent schedule body of the seed thread's `PUT /api/v2/wfm/usersettings/{userId}/schedule`.
//!
//! [`parse_schedule`] is the one way to read such a body: it checks the JSON's structure and every
//! value, and its [`ScheduleError`] names the offending field by path (`shifts[0].lengthMinutes`).
//! The emulator validates requests with it and the apply command validates input rows with it
//! before sending, so both refuse exactly the same bodies.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::datetime::{check_date, check_date_time};
use crate::zone::check_start;

/// Longest shift or activity: one day.
pub const MAX_LENGTH_MINUTES: u32 = 1440;

/// A schedule for one agent and one week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Schedule {
    /// The week's first day, `YYYY-MM-DD`.
    pub week_date: String,
    pub shifts: Vec<Shift>,
    /// Days off taken whole; left out of the JSON when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub full_day_time_off_markers: Vec<FullDayTimeOff>,
    /// When present, the version the writer last read: a stale version is refused (409).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<ScheduleMetadata>,
}

/// One shift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Shift {
    /// RFC 3339 date-time.
    pub start_date: String,
    /// 1..=1440.
    pub length_minutes: u32,
    #[serde(default)]
    pub activities: Vec<Activity>,
}

/// One activity inside a shift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Activity {
    /// RFC 3339 date-time.
    pub start_date: String,
    /// 1..=1440.
    pub length_minutes: u32,
    pub activity_code_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A full day of time off on one business-unit date, outside any shift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FullDayTimeOff {
    /// The day in the business unit's calendar, `YYYY-MM-DD`.
    pub business_unit_date: String,
    /// The minutes paid for the day: 0..=1440 (0 for an unpaid day).
    pub length_minutes: u32,
    /// The time-off activity code; not empty.
    pub activity_code_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The version of a stored schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleMetadata {
    pub version: u64,
}

/// What `GET` (and a successful `PUT`) answers: the stored schedule and its version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleRecord {
    pub user_id: String,
    pub week_date: String,
    pub shifts: Vec<Shift>,
    pub metadata: ScheduleMetadata,
}

/// Why a schedule body was refused: the field's path and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct ScheduleError {
    /// `body` for the body as a whole, else a path such as `shifts[0].activities[1].startDate`.
    pub path: String,
    pub reason: String,
}

impl ScheduleError {
    fn new(path: impl Into<String>, reason: impl Into<String>) -> Self {
        ScheduleError {
            path: path.into(),
            reason: reason.into(),
        }
    }
}

/// Parses and validates a schedule body.
///
/// Well-formed bodies are read straight into the typed structs; only when that fails is the body
/// read again as generic JSON and walked by hand, which finds the path of the offending field.
/// Both readings accept the same documents (the hand walk is the reference: it is also lenient
/// about `null` for optional parts, which the typed reading leaves to it).
pub fn parse_schedule(bytes: &[u8]) -> Result<Schedule, ScheduleError> {
    parse_schedule_with(bytes, Starts::Instants)
}

/// What a schedule's start times may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Starts {
    /// RFC 3339 date-times with their offset: what the API takes.
    #[default]
    Instants,
    /// Those, or wall-clock times (`2026-11-03T09:00`) to be read in the business unit's zone:
    /// what an input for the schedule update may hold.
    WallClockToo,
}

/// Like [`parse_schedule`], with start times as `starts` allows.
pub fn parse_schedule_with(bytes: &[u8], starts: Starts) -> Result<Schedule, ScheduleError> {
    let schedule = match serde_json::from_slice::<Schedule>(bytes) {
        Ok(schedule) => schedule,
        Err(_) => {
            let value: Value = serde_json::from_slice(bytes)
                .map_err(|e| ScheduleError::new("body", format!("is not valid JSON ({e})")))?;
            Schedule::from_value(&value)?
        }
    };
    schedule.validate_with(starts)?;
    Ok(schedule)
}

impl Schedule {
    /// Reads the structure of a schedule from parsed JSON; values are checked by [`Schedule::validate`].
    ///
    /// Unknown fields are ignored, as the real API ignores them.
    pub fn from_value(value: &Value) -> Result<Schedule, ScheduleError> {
        let obj = object(value, "body")?;
        let week_date = string(obj, "", "weekDate")?;
        let shifts = array(obj, "", "shifts", true)?
            .iter()
            .enumerate()
            .map(|(i, v)| Shift::from_value(v, &format!("shifts[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let full_day_time_off_markers = array(obj, "", "fullDayTimeOffMarkers", false)?
            .iter()
            .enumerate()
            .map(|(i, v)| FullDayTimeOff::from_value(v, &format!("fullDayTimeOffMarkers[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let metadata = match obj.get("metadata") {
            None | Some(Value::Null) => None,
            Some(meta) => {
                let meta = object(meta, "metadata")?;
                let version = match meta.get("version") {
                    Some(v) => v.as_u64().ok_or_else(|| {
                        ScheduleError::new("metadata.version", "must be a non-negative integer")
                    })?,
                    None => return Err(ScheduleError::new("metadata.version", "is required")),
                };
                Some(ScheduleMetadata { version })
            }
        };
        Ok(Schedule {
            week_date,
            shifts,
            full_day_time_off_markers,
            metadata,
        })
    }

    /// Checks every value: dates, date-times, lengths and codes; the error names the first bad
    /// field.
    pub fn validate(&self) -> Result<(), ScheduleError> {
        self.validate_with(Starts::Instants)
    }

    /// Like [`Schedule::validate`], with start times as `starts` allows.
    pub fn validate_with(&self, starts: Starts) -> Result<(), ScheduleError> {
        let check_start = |text: &str| match starts {
            Starts::Instants => check_date_time(text),
            Starts::WallClockToo => check_start(text),
        };
        check_date(&self.week_date).map_err(|r| ScheduleError::new("weekDate", r))?;
        for (i, shift) in self.shifts.iter().enumerate() {
            let at = |field: &str| format!("shifts[{i}].{field}");
            check_start(&shift.start_date).map_err(|r| ScheduleError::new(at("startDate"), r))?;
            check_length(shift.length_minutes)
                .map_err(|r| ScheduleError::new(at("lengthMinutes"), r))?;
            for (j, activity) in shift.activities.iter().enumerate() {
                let at = |field: &str| format!("shifts[{i}].activities[{j}].{field}");
                check_start(&activity.start_date)
                    .map_err(|r| ScheduleError::new(at("startDate"), r))?;
                check_length(activity.length_minutes)
                    .map_err(|r| ScheduleError::new(at("lengthMinutes"), r))?;
                if activity.activity_code_id.is_empty() {
                    return Err(ScheduleError::new(
                        at("activityCodeId"),
                        "must not be empty",
                    ));
                }
            }
        }
        for (i, marker) in self.full_day_time_off_markers.iter().enumerate() {
            marker.validate(&format!("fullDayTimeOffMarkers[{i}]"))?;
        }
        Ok(())
    }
}

impl Shift {
    fn from_value(value: &Value, path: &str) -> Result<Shift, ScheduleError> {
        let obj = object(value, path)?;
        let activities = array(obj, path, "activities", false)?
            .iter()
            .enumerate()
            .map(|(j, v)| Activity::from_value(v, &format!("{path}.activities[{j}]")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Shift {
            start_date: string(obj, path, "startDate")?,
            length_minutes: length(obj, path, 0)?,
            activities,
        })
    }
}

impl Activity {
    fn from_value(value: &Value, path: &str) -> Result<Activity, ScheduleError> {
        let obj = object(value, path)?;
        let description = description(obj, path)?;
        Ok(Activity {
            start_date: string(obj, path, "startDate")?,
            length_minutes: length(obj, path, 0)?,
            activity_code_id: string(obj, path, "activityCodeId")?,
            description,
        })
    }
}

impl FullDayTimeOff {
    fn from_value(value: &Value, path: &str) -> Result<FullDayTimeOff, ScheduleError> {
        let obj = object(value, path)?;
        Ok(FullDayTimeOff {
            business_unit_date: string(obj, path, "businessUnitDate")?,
            // Out of range, a length becomes one that validate() refuses: 0 is a valid one here.
            length_minutes: length(obj, path, u32::MAX)?,
            activity_code_id: string(obj, path, "activityCodeId")?,
            description: description(obj, path)?,
        })
    }

    /// Checks the date, the paid minutes (0..=1440) and the code; `path` names the marker.
    fn validate(&self, path: &str) -> Result<(), ScheduleError> {
        let at = |field: &str| join(path, field);
        check_date(&self.business_unit_date)
            .map_err(|r| ScheduleError::new(at("businessUnitDate"), r))?;
        if self.length_minutes > MAX_LENGTH_MINUTES {
            return Err(ScheduleError::new(
                at("lengthMinutes"),
                "must be between 0 and 1440",
            ));
        }
        if self.activity_code_id.is_empty() {
            return Err(ScheduleError::new(
                at("activityCodeId"),
                "must not be empty",
            ));
        }
        Ok(())
    }
}

fn check_length(minutes: u32) -> Result<(), &'static str> {
    if (1..=MAX_LENGTH_MINUTES).contains(&minutes) {
        Ok(())
    } else {
        Err("must be between 1 and 1440")
    }
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_string()
    } else {
        format!("{path}.{field}")
    }
}

fn object<'a>(value: &'a Value, path: &str) -> Result<&'a Map<String, Value>, ScheduleError> {
    value
        .as_object()
        .ok_or_else(|| ScheduleError::new(path, "must be a JSON object"))
}

fn string(obj: &Map<String, Value>, path: &str, field: &str) -> Result<String, ScheduleError> {
    match obj.get(field) {
        Some(Value::String(s)) => Ok(s.clone()),
        None | Some(Value::Null) => Err(ScheduleError::new(join(path, field), "is required")),
        Some(_) => Err(ScheduleError::new(join(path, field), "must be a string")),
    }
}

fn array<'a>(
    obj: &'a Map<String, Value>,
    path: &str,
    field: &str,
    required: bool,
) -> Result<&'a [Value], ScheduleError> {
    match obj.get(field) {
        Some(Value::Array(items)) => Ok(items),
        None | Some(Value::Null) if !required => Ok(&[]),
        None | Some(Value::Null) => Err(ScheduleError::new(join(path, field), "is required")),
        Some(_) => Err(ScheduleError::new(join(path, field), "must be an array")),
    }
}

/// An optional description: a string, or missing or `null`.
fn description(obj: &Map<String, Value>, path: &str) -> Result<Option<String>, ScheduleError> {
    match obj.get("description") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ScheduleError::new(
            join(path, "description"),
            "must be a string",
        )),
    }
}

/// A length in minutes; an integer out of `u32`'s range becomes `out_of_range`, a value the
/// caller's validate() refuses, so that it reports the range rather than the type.
fn length(obj: &Map<String, Value>, path: &str, out_of_range: u32) -> Result<u32, ScheduleError> {
    let at = || join(path, "lengthMinutes");
    match obj.get("lengthMinutes") {
        None | Some(Value::Null) => Err(ScheduleError::new(at(), "is required")),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(v) => Ok(u32::try_from(v).unwrap_or(out_of_range)),
            None if n.as_i64().is_some() => Ok(out_of_range),
            None => Err(ScheduleError::new(at(), "must be an integer")),
        },
        Some(_) => Err(ScheduleError::new(at(), "must be an integer")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCEPTED: &str = r#"{"weekDate":"2026-12-07","shifts":[{"startDate":"2026-12-07T08:00:00Z","lengthMinutes":480,
"activities":[{"startDate":"2026-12-07T08:00:00Z","lengthMinutes":480,"activityCodeId":"0",
"description":"Work"}]}]}"#;

    fn refused(body: &str) -> ScheduleError {
        parse_schedule(body.as_bytes()).expect_err(body)
    }

    #[test]
    fn the_issue_example_is_accepted_and_round_trips() {
        let schedule = parse_schedule(ACCEPTED.as_bytes()).unwrap();
        assert_eq!(schedule.week_date, "2026-12-07");
        assert_eq!(schedule.shifts[0].length_minutes, 480);
        assert_eq!(
            schedule.shifts[0].activities[0].description.as_deref(),
            Some("Work")
        );
        let again = serde_json::to_vec(&schedule).unwrap();
        assert_eq!(parse_schedule(&again).unwrap(), schedule);
    }

    #[test]
    fn errors_name_the_field_path() {
        let long = ACCEPTED.replacen("\"lengthMinutes\":480", "\"lengthMinutes\":1441", 1);
        assert_eq!(refused(&long).path, "shifts[0].lengthMinutes");
        let zero = ACCEPTED.replace(
            "\"lengthMinutes\":480,\"activityCodeId",
            "\"lengthMinutes\":0,\"activityCodeId",
        );
        let err = refused(&zero);
        assert_eq!(err.path, "shifts[0].activities[0].lengthMinutes");
        assert_eq!(
            err.to_string(),
            "shifts[0].activities[0].lengthMinutes: must be between 1 and 1440"
        );
        let negative = ACCEPTED.replacen("\"lengthMinutes\":480", "\"lengthMinutes\":-5", 1);
        assert_eq!(refused(&negative).path, "shifts[0].lengthMinutes");
        let text = ACCEPTED.replacen("\"lengthMinutes\":480", "\"lengthMinutes\":\"480\"", 1);
        assert_eq!(refused(&text).reason, "must be an integer");
        let fraction = ACCEPTED.replacen("\"lengthMinutes\":480", "\"lengthMinutes\":4.5", 1);
        assert_eq!(refused(&fraction).path, "shifts[0].lengthMinutes");
        let bad_start = ACCEPTED.replacen("2026-12-07T08:00:00Z", "2026-12-07T08:00:00", 1);
        assert_eq!(refused(&bad_start).path, "shifts[0].startDate");
        let bad_week = ACCEPTED.replacen("\"2026-12-07\"", "\"2026-12-32\"", 1);
        assert_eq!(refused(&bad_week).path, "weekDate");
        let no_code = ACCEPTED.replace("\"activityCodeId\":\"0\",", "");
        assert_eq!(
            refused(&no_code).path,
            "shifts[0].activities[0].activityCodeId"
        );
        assert_eq!(refused(r#"{"weekDate":"2026-12-07"}"#).path, "shifts");
        assert_eq!(
            refused(r#"{"weekDate":"2026-12-07","shifts":{}}"#).reason,
            "must be an array"
        );
        assert_eq!(
            refused(r#"{"weekDate":"2026-12-07","shifts":[3]}"#).path,
            "shifts[0]"
        );
        assert_eq!(refused("[]").path, "body");
        assert_eq!(refused("{not json").path, "body");
        assert_eq!(
            refused(r#"{"weekDate":"2026-12-07","shifts":[],"metadata":{"version":-1}}"#).path,
            "metadata.version"
        );
    }

    #[test]
    fn typed_and_hand_readings_agree() {
        let bodies = [
            ACCEPTED.to_string(),
            ACCEPTED.replace("\"description\":\"Work\"", "\"description\":null"),
            ACCEPTED.replace(
                "\"activityCodeId\":\"0\",",
                "\"activityCodeId\":\"0\",\"extra\":[1,2],",
            ),
            r#"{"weekDate":"2026-12-07","shifts":[],"metadata":{"version":4}}"#.to_string(),
        ];
        for body in bodies {
            let typed: Schedule = serde_json::from_str(&body).unwrap();
            let value: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(Schedule::from_value(&value).unwrap(), typed, "{body}");
        }
        // Where the typed reading fails, the hand walk decides.
        let null_activities = r#"{"weekDate":"2026-12-07","shifts":[{"startDate":"2026-12-07T08:00:00Z","lengthMinutes":60,"activities":null}]}"#;
        assert!(serde_json::from_str::<Schedule>(null_activities).is_err());
        assert!(
            parse_schedule(null_activities.as_bytes()).unwrap().shifts[0]
                .activities
                .is_empty()
        );
    }

    #[test]
    fn optional_parts_may_be_missing() {
        let schedule = parse_schedule(
            br#"{"weekDate":"2026-12-07","shifts":[{"startDate":"2026-12-07T08:00:00Z","lengthMinutes":60}],
                 "metadata":{"version":3},"unknownField":true}"#,
        )
        .unwrap();
        assert!(schedule.shifts[0].activities.is_empty());
        assert_eq!(schedule.metadata, Some(ScheduleMetadata { version: 3 }));
    }

    const DAY_OFF: &str = r#"{"weekDate":"2026-12-07","shifts":[],"fullDayTimeOffMarkers":[{"businessUnitDate":"2026-12-09","lengthMinutes":480,"activityCodeId":"vacation","description":"Holiday"}]}"#;

    #[test]
    fn full_day_time_off_is_read_and_written_back_only_when_present() {
        let schedule = parse_schedule(DAY_OFF.as_bytes()).unwrap();
        assert_eq!(
            schedule.full_day_time_off_markers,
            vec![FullDayTimeOff {
                business_unit_date: "2026-12-09".into(),
                length_minutes: 480,
                activity_code_id: "vacation".into(),
                description: Some("Holiday".into()),
            }]
        );
        assert_eq!(serde_json::to_string(&schedule).unwrap(), DAY_OFF);
        // A schedule without any says nothing of them, read or written.
        let plain = parse_schedule(ACCEPTED.as_bytes()).unwrap();
        assert!(plain.full_day_time_off_markers.is_empty());
        let written = serde_json::to_string(&plain).unwrap();
        assert!(!written.contains("fullDayTimeOffMarkers"), "{written}");
        // An unpaid day (0 minutes) and a whole paid day (1440) are both days off.
        for minutes in ["0", "1440"] {
            let body = DAY_OFF.replace("480", minutes);
            assert!(parse_schedule(body.as_bytes()).is_ok(), "{body}");
        }
    }

    #[test]
    fn full_day_time_off_errors_name_the_marker_and_field() {
        let cases = [
            (
                "\"2026-12-09\"",
                "\"2026-12-32\"",
                "businessUnitDate",
                "day is not in the month",
            ),
            (
                "\"2026-12-09\"",
                "\"9/12/2026\"",
                "businessUnitDate",
                "must be a date YYYY-MM-DD",
            ),
            ("480", "1441", "lengthMinutes", "must be between 0 and 1440"),
            ("480", "-1", "lengthMinutes", "must be between 0 and 1440"),
            (
                "480",
                "99999999999",
                "lengthMinutes",
                "must be between 0 and 1440",
            ),
            ("480", "\"8h\"", "lengthMinutes", "must be an integer"),
            (
                "\"vacation\"",
                "\"\"",
                "activityCodeId",
                "must not be empty",
            ),
            ("\"vacation\"", "7", "activityCodeId", "must be a string"),
            ("\"Holiday\"", "[]", "description", "must be a string"),
        ];
        for (from, to, field, reason) in cases {
            let body = DAY_OFF.replacen(from, to, 1);
            let err = refused(&body);
            assert_eq!(
                err.path,
                format!("fullDayTimeOffMarkers[0].{field}"),
                "{body}"
            );
            assert_eq!(err.reason, reason, "{body}");
        }
        let missing = DAY_OFF.replace("\"businessUnitDate\":\"2026-12-09\",", "");
        assert_eq!(
            refused(&missing).to_string(),
            "fullDayTimeOffMarkers[0].businessUnitDate: is required"
        );
        let not_array = r#"{"weekDate":"2026-12-07","shifts":[],"fullDayTimeOffMarkers":{}}"#;
        assert_eq!(refused(not_array).path, "fullDayTimeOffMarkers");
        let not_object = r#"{"weekDate":"2026-12-07","shifts":[],"fullDayTimeOffMarkers":[1]}"#;
        assert_eq!(refused(not_object).path, "fullDayTimeOffMarkers[0]");
    }

    #[test]
    fn full_day_time_off_reads_alike_typed_and_by_hand() {
        for body in [
            DAY_OFF.to_string(),
            DAY_OFF.replace(",\"description\":\"Holiday\"", ""),
            DAY_OFF.replace("\"Holiday\"", "null"),
        ] {
            let typed: Schedule = serde_json::from_str(&body).unwrap();
            let value: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(Schedule::from_value(&value).unwrap(), typed, "{body}");
        }
        // `null` for the list is no list, as the hand walk reads it.
        let null = r#"{"weekDate":"2026-12-07","shifts":[],"fullDayTimeOffMarkers":null}"#;
        assert!(
            parse_schedule(null.as_bytes())
                .unwrap()
                .full_day_time_off_markers
                .is_empty()
        );
    }
}
