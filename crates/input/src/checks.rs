//! The checks every format shares: a userId, and the words of JSON and schedule errors.

use pacer_genesys::ScheduleError;

/// Why a userId is refused, or `None` when it is a UUID.
pub(super) fn user_id_problem(user_id: &str) -> Option<String> {
    if user_id.is_empty() {
        Some("userId is empty; it must be a UUID like 3f2b6c1e-8d4a-4e0b-9a51-2c7d1e5f0a93".into())
    } else if parse_uuid(user_id).is_none() {
        Some(format!(
            "userId `{user_id}` is not a UUID (8-4-4-4-12 hex digits like 3f2b6c1e-8d4a-4e0b-9a51-2c7d1e5f0a93)"
        ))
    } else {
        None
    }
}

/// Parses `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (hex digits, any case) into a number.
pub(super) fn parse_uuid(text: &str) -> Option<u128> {
    let bytes = text.as_bytes();
    if bytes.len() != 36 {
        return None;
    }
    let mut value = 0u128;
    for (i, &b) in bytes.iter().enumerate() {
        if matches!(i, 8 | 13 | 18 | 23) {
            if b != b'-' {
                return None;
            }
            continue;
        }
        let digit = (b as char).to_digit(16)?;
        value = (value << 4) | u128::from(digit);
    }
    Some(value)
}

/// The reason of a serde_json error without its position (the finding already has one).
pub(super) fn json_reason(message: &str) -> String {
    let message = message
        .strip_prefix("is not valid JSON (")
        .and_then(|m| m.strip_suffix(')'))
        .unwrap_or(message);
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

pub(super) fn schedule_reason(err: &ScheduleError) -> String {
    if err.path == "body" {
        err.reason.clone()
    } else {
        format!("{}: {}", err.path, err.reason)
    }
}
