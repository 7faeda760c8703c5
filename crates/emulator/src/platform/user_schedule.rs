//! The seed thread's per-agent schedule route (`PUT` and `GET
//! /api/v2/wfm/usersettings/{userId}/schedule`), served in the `seed` profile: one agent's
//! schedule written whole, with optimistic versions.

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use pacer_genesys::errors::codes;
use pacer_genesys::parse_schedule;

use crate::agents::format_uuid;
use crate::error::EmulatorError;
use crate::respond::{CorrelationId, api_error, json, too_large, user_not_found};
use crate::state::{Inner, schedule_members};

/// `PUT`: stores the agent's schedule, refused with 409 when `metadata.version` is stale.
pub async fn write_schedule(
    inner: &Inner,
    segment: &str,
    body: Body,
    cid: &CorrelationId,
) -> Response {
    let max = inner.config.request_bytes_max;
    let bytes = match axum::body::to_bytes(body, max).await {
        Ok(bytes) => bytes,
        Err(_) => return too_large(max, cid),
    };
    let Some(agent) = inner.agents.find(segment) else {
        return user_not_found(cid);
    };
    let schedule = match parse_schedule(&bytes) {
        Ok(schedule) => schedule,
        Err(err) => return api_error(400, codes::BAD_REQUEST, &err.to_string(), cid),
    };
    let Ok(members) = schedule_members(&schedule) else {
        return EmulatorError::Internal("serializing a schedule failed").into_response();
    };
    let user_id = format_uuid(inner.agents.id(agent));
    let expected = schedule.metadata.map(|m| m.version);
    match inner.schedules.write(
        agent,
        expected,
        members,
        &inner.ledger,
        &inner.stats,
        |stored| stored.record(&user_id),
    ) {
        Ok(body) => json(200, body, cid),
        Err(conflict) => {
            let message = format!(
                "The schedule was modified by another request: the current version is {}.",
                conflict.current
            );
            api_error(409, codes::CONFLICT, &message, cid)
        }
    }
}

/// `GET`: the agent's stored schedule.
pub fn read_schedule(inner: &Inner, segment: &str, cid: &CorrelationId) -> Response {
    let Some(agent) = inner.agents.find(segment) else {
        return user_not_found(cid);
    };
    let user_id = format_uuid(inner.agents.id(agent));
    match inner
        .schedules
        .read(agent, |stored| stored.record(&user_id))
    {
        Some(body) => json(200, body, cid),
        None => api_error(
            404,
            codes::NOT_FOUND,
            "No schedule has been written for this user.",
            cid,
        ),
    }
}
