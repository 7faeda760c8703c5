//! The check of one JSON Lines row: in full, or lightly for a file already found valid.

use pacer_genesys::{Schedule, Starts};
use serde_json::Value;

use super::*;

/// A JSON line as a valid one reads, borrowed: the body is kept as written.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LightLine<'a> {
    #[serde(rename = "userId", borrow)]
    user_id: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    schedule: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow)]
    body: Option<&'a serde_json::value::RawValue>,
}

/// The check of one JSON line whose start times need their offset.
#[cfg(test)]
pub(super) fn check_json_line(bytes: &[u8]) -> Checked {
    check_json_line_with(bytes, Starts::Instants)
}

/// The check of one JSON line, with start times as `starts` allows.
pub(super) fn check_json_line_with(bytes: &[u8], starts: Starts) -> Checked {
    // Most lines are valid: read them borrowed and the schedule into its own type, and keep the
    // body as written. Anything else is checked again in full, which names every problem.
    if let Some(checked) = check_json_line_fast(bytes, starts) {
        return checked;
    }
    let bad = |column: Column, reason: String| Checked {
        user_id: String::new(),
        id: None,
        body: None,
        problems: vec![(column, reason)],
    };
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(value) => value,
        Err(err) => {
            return bad(
                Column::Index(err.column().max(1) as u64),
                format!("bad JSON: {}", json_reason(&err.to_string())),
            );
        }
    };
    let Value::Object(mut map) = value else {
        return bad(
            Column::Index(1),
            "each line must be a JSON object {\"userId\": ..., \"schedule\": {...}}".into(),
        );
    };
    let mut problems = Vec::new();
    for key in map.keys() {
        if key != "userId" && key != "schedule" && key != "body" {
            problems.push((
                Column::Field(key.clone()),
                format!("unknown field `{key}`: a line holds only userId and schedule (or body)"),
            ));
        }
    }
    let user_id = json_user_id(&map, &mut problems);
    let id = parse_uuid(&user_id);
    let body = json_body(&mut map, starts, &mut problems);
    let body = if problems.is_empty() { body } else { None };
    Checked {
        user_id,
        id,
        body,
        problems,
    }
}

/// The line's userId, trimmed; a missing one, or one that is not a string or not a UUID, is a
/// problem.
fn json_user_id(
    map: &serde_json::Map<String, Value>,
    problems: &mut Vec<(Column, String)>,
) -> String {
    let user_id = match map.get("userId") {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(_) => {
            problems.push((
                Column::Field("userId".into()),
                "must be a string (a UUID)".into(),
            ));
            String::new()
        }
        None => {
            problems.push((Column::Field("userId".into()), "is required".into()));
            String::new()
        }
    };
    if matches!(map.get("userId"), Some(Value::String(_)))
        && let Some(reason) = user_id_problem(&user_id)
    {
        problems.push((Column::Field("userId".into()), reason));
    }
    user_id
}

/// The request body: the schedule, checked by its rules, or any other route's body (checked only
/// as a JSON object); one of the two, never both.
fn json_body(
    map: &mut serde_json::Map<String, Value>,
    starts: Starts,
    problems: &mut Vec<(Column, String)>,
) -> Option<Vec<u8>> {
    match (map.remove("schedule"), map.remove("body")) {
        (None, None) => {
            problems.push((
                Column::Field("schedule".into()),
                "is required (or `body`, for a route other than the schedule's)".into(),
            ));
            None
        }
        (Some(_), Some(_)) => {
            problems.push((
                Column::Field("body".into()),
                "a line holds either schedule or body, not both".into(),
            ));
            None
        }
        // Any other per-agent route: the body is sent as given, checked only as a JSON object.
        (None, Some(body)) => match body {
            Value::Object(_) => Some(serde_json::to_vec(&body).expect("a JSON value serializes")),
            _ => {
                problems.push((Column::Field("body".into()), "must be a JSON object".into()));
                None
            }
        },
        (Some(schedule), None) => {
            match Schedule::from_value(&schedule).and_then(|s| s.validate_with(starts)) {
                Ok(()) => Some(serde_json::to_vec(&schedule).expect("a JSON value serializes")),
                Err(err) => {
                    let path = if err.path == "body" {
                        "schedule".to_string()
                    } else {
                        format!("schedule.{}", err.path)
                    };
                    problems.push((Column::Field(path), err.reason));
                    None
                }
            }
        }
    }
}

/// A valid line's check without building a JSON tree; `None` when the line is not plainly valid.
pub(super) fn check_json_line_fast(bytes: &[u8], starts: Starts) -> Option<Checked> {
    let (user_id, body) = light_json_line(bytes, Some(starts))?;
    Some(Checked {
        id: parse_uuid(&user_id),
        user_id,
        body: Some(body),
        problems: Vec::new(),
    })
}

/// The trimmed userId and the body as written of a line that reads as a valid one, borrowed
/// rather than built into a JSON tree; the schedule's rules are checked (with start times as
/// `check` allows) unless `check` is `None` (a reread of a file already validated skips them).
/// `None` otherwise.
pub(super) fn light_json_line(bytes: &[u8], check: Option<Starts>) -> Option<(String, Vec<u8>)> {
    let line: LightLine<'_> = serde_json::from_slice(bytes).ok()?;
    let body = match (line.schedule, line.body) {
        (Some(schedule), None) => {
            if let Some(starts) = check {
                pacer_genesys::parse_schedule_with(schedule.get().as_bytes(), starts).ok()?;
            }
            schedule
        }
        (None, Some(body)) if body.get().starts_with('{') => body,
        _ => return None,
    };
    let user_id = line.user_id.trim();
    if user_id_problem(user_id).is_some() {
        return None;
    }
    Some((user_id.to_string(), body.get().as_bytes().to_vec()))
}
