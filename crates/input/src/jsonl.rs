//! The check of one JSON Lines row: in full, or lightly for a file already found valid.

use std::borrow::Cow;

use pacer_genesys::{Schedule, Starts};
use serde_json::Value;
use serde_json::value::RawValue;

use super::*;

/// A JSON line as a valid one reads, borrowed: the body is kept as written.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LightLine<'a> {
    #[serde(rename = "userId", borrow)]
    user_id: Cow<'a, str>,
    #[serde(borrow)]
    schedule: Option<&'a RawValue>,
    #[serde(borrow)]
    body: Option<&'a RawValue>,
}

/// A JSON line of an input that allows e-mails and names, as a valid one reads, borrowed; a key
/// that is `null` reads as missing, as the full check reads it.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LightKeyedLine<'a> {
    #[serde(rename = "userId", borrow)]
    user_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    email: Option<Cow<'a, str>>,
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    schedule: Option<&'a RawValue>,
    #[serde(borrow)]
    body: Option<&'a RawValue>,
}

/// The check of one JSON line whose start times need their offset, keyed by userId alone.
#[cfg(test)]
pub(super) fn check_json_line(bytes: &[u8]) -> Checked {
    check_json_line_with(bytes, Starts::Instants, false)
}

/// The check of one JSON line, with start times as `starts` allows; `keyed` when the agent may
/// be named by e-mail or name.
pub(super) fn check_json_line_with(bytes: &[u8], starts: Starts, keyed: bool) -> Checked {
    // Most lines are valid: read them borrowed and the schedule into its own type, and keep the
    // body as written. Anything else is checked again in full, which names every problem.
    if let Some((key, body)) = light_json_line(bytes, Some(starts), keyed) {
        return Checked::new(key, Some(body), Vec::new());
    }
    let bad = |column: Column, reason: String| {
        Checked::new(AgentKey::default(), None, vec![(column, reason)])
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
    let mut problems = unknown_fields(&map, keyed);
    let key = if keyed {
        json_keys(&map, &mut problems)
    } else {
        AgentKey::from_fields(Some(&json_user_id(&map, &mut problems)), None, None)
    };
    let body = json_body(&mut map, starts, &mut problems);
    Checked::new(key, body, problems)
}

/// A problem for each field a line may not hold.
fn unknown_fields(map: &serde_json::Map<String, Value>, keyed: bool) -> Vec<(Column, String)> {
    let known: &[&str] = if keyed {
        &["userId", "email", "name", "schedule", "body"]
    } else {
        &["userId", "schedule", "body"]
    };
    let holds = if keyed {
        "userId, email, name and schedule (or body)"
    } else {
        "userId and schedule (or body)"
    };
    map.keys()
        .filter(|key| !known.contains(&key.as_str()))
        .map(|key| {
            (
                Column::Field(key.clone()),
                format!("unknown field `{key}`: a line holds only {holds}"),
            )
        })
        .collect()
}

/// The line's keys in an input that allows e-mails and names: each a string, or missing or
/// `null`; at least one given, each well formed.
fn json_keys(
    map: &serde_json::Map<String, Value>,
    problems: &mut Vec<(Column, String)>,
) -> AgentKey {
    let mut text = |field: KeyField| match map.get(field.name()) {
        Some(Value::String(s)) => Some(s.as_str()),
        None | Some(Value::Null) => None,
        Some(_) => {
            problems.push((
                Column::Field(field.name().into()),
                "must be a string".into(),
            ));
            None
        }
    };
    let user_id = text(KeyField::UserId);
    let email = text(KeyField::Email);
    let name = text(KeyField::Name);
    let key = AgentKey::from_fields(user_id, email, name);
    for (field, reason) in key.problems(&KeyField::ALL, true) {
        problems.push((Column::Field(field.name().into()), reason));
    }
    key
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

/// The key and the body as written of a line that reads as a valid one, borrowed rather than
/// built into a JSON tree; the schedule's rules are checked (with start times as `check`
/// allows) unless `check` is `None` (a reread of a file already validated skips them); `keyed`
/// when the agent may be named by e-mail or name. `None` otherwise.
pub(super) fn light_json_line(
    bytes: &[u8],
    check: Option<Starts>,
    keyed: bool,
) -> Option<(AgentKey, Vec<u8>)> {
    let (key, schedule, body) = if keyed {
        let line: LightKeyedLine<'_> = serde_json::from_slice(bytes).ok()?;
        let key = AgentKey::from_fields(
            line.user_id.as_deref(),
            line.email.as_deref(),
            line.name.as_deref(),
        );
        (key, line.schedule, line.body)
    } else {
        let line: LightLine<'_> = serde_json::from_slice(bytes).ok()?;
        (
            AgentKey::from_fields(Some(&line.user_id), None, None),
            line.schedule,
            line.body,
        )
    };
    let body = match (schedule, body) {
        (Some(schedule), None) => {
            if let Some(starts) = check {
                pacer_genesys::parse_schedule_with(schedule.get().as_bytes(), starts).ok()?;
            }
            schedule
        }
        (None, Some(body)) if body.get().starts_with('{') => body,
        _ => return None,
    };
    if !key.problems(&KeyField::ALL, keyed).is_empty() {
        return None;
    }
    Some((key, body.get().as_bytes().to_vec()))
}
