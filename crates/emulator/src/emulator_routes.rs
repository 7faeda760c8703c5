//! The emulator's own routes of the schedule path, outside the API's pipeline: the storage behind
//! upload and download URLs (no bearer token, as signed URLs take none), and the test routes that
//! show or touch a stored schedule, or refuse the updates of chosen agents.

use std::sync::atomic::Ordering;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::response::Response;
use axum::routing::{get, post, put};
use pacer_genesys::errors::codes;

use crate::http::query_value;
use crate::respond::{api_error, empty, json, json_value};
use crate::state::AppState;
use crate::wfm::lock;
use crate::wfm::render::AgentSchedules;
use crate::wfm::schedules::{EMULATOR_USER, Units};

/// Adds the routes to `router`.
pub fn add(router: Router<AppState>) -> Router<AppState> {
    router
        .route("/__emulator/uploads/{key}", put(upload))
        .route("/__emulator/downloads/{id}", get(download))
        .route("/__emulator/schedules/{id}", get(show_schedule))
        .route("/__emulator/schedules/{id}/touch", post(touch_schedule))
        .route("/__emulator/wfm/refuse", post(refuse).delete(refuse_none))
}

/// `PUT` of an upload URL: the declared headers and length, gzip, and the size cap.
async fn upload(State(state): State<AppState>, Path(key): Path<String>, req: Request) -> Response {
    let inner = &*state.inner;
    let cid = inner.cids.next();
    let max = inner.config.wfm.upload_bytes_max;
    let (parts, body) = req.into_parts();
    let limit = usize::try_from(max).unwrap_or(usize::MAX).saturating_add(1);
    let too_large = || {
        let message = format!("The upload exceeds the maximum of {max} bytes.");
        api_error(413, codes::REQUEST_TOO_LARGE, &message, &cid)
    };
    let declared = parts
        .headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|len| len > max) {
        return too_large();
    }
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return too_large();
    };
    match inner
        .wfm
        .transfers
        .put(&key, &parts.headers, bytes, max, inner.now())
    {
        Ok(()) => {
            inner.stats.uploads.fetch_add(1, Ordering::Relaxed);
            empty(200, &cid)
        }
        Err(refusal) => {
            let (status, message) = refusal.answer();
            let code = match status {
                413 => codes::REQUEST_TOO_LARGE,
                404 => codes::NOT_FOUND,
                403 => "access.denied",
                _ => codes::BAD_REQUEST,
            };
            api_error(status, code, &message, &cid)
        }
    }
}

/// `GET` of a download URL.
async fn download(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let inner = &*state.inner;
    let cid = inner.cids.next();
    match inner.wfm.transfers.download(&id, inner.now()) {
        Some(body) => json(200, body, &cid),
        None => api_error(
            404,
            codes::NOT_FOUND,
            "The download was not found or has expired.",
            &cid,
        ),
    }
}

/// `GET /__emulator/schedules/{id}[?userIds=a,b]`: the schedule's metadata and its agents'
/// schedules (`schedule`, `agentSchedules`), for tests.
async fn show_schedule(
    State(state): State<AppState>,
    Path(id): Path<String>,
    req: Request<Body>,
) -> Response {
    let inner = &*state.inner;
    let cid = inner.cids.next();
    let schedule = match inner.wfm.schedule(&id) {
        Some(schedule) => schedule,
        None => return schedule_not_found(&cid),
    };
    let wanted: Option<Vec<u32>> = query_value(req.uri().query(), "userIds").map(|ids| {
        ids.split(',')
            .filter_map(|id| inner.agents.find(id.trim()))
            .collect()
    });
    let org = &inner.wfm.org;
    let schedule = lock(&schedule);
    let unit = &org.business_units[schedule.business_unit];
    let list: Vec<u32> = wanted.unwrap_or_else(|| (unit.agents.0..unit.agents.1).collect());
    #[derive(serde::Serialize)]
    struct Shown<'a> {
        schedule: pacer_genesys::wfm::BuScheduleMetadata,
        #[serde(flatten)]
        agents: AgentSchedules<'a>,
    }
    let shown = Shown {
        schedule: schedule.metadata(org, &inner.agents, Units::Counts),
        agents: AgentSchedules {
            schedule: &schedule,
            unit,
            agents: &inner.agents,
            list: &list,
        },
    };
    json_value(200, &shown, &cid)
}

/// `POST /__emulator/schedules/{id}/touch[?agentId=...]`: another editor's change, which bumps
/// the schedule's version (and the agent's, when named).
async fn touch_schedule(
    State(state): State<AppState>,
    Path(id): Path<String>,
    req: Request<Body>,
) -> Response {
    let inner = &*state.inner;
    let cid = inner.cids.next();
    let schedule = match inner.wfm.schedule(&id) {
        Some(schedule) => schedule,
        None => return schedule_not_found(&cid),
    };
    let org = &inner.wfm.org;
    let mut schedule = lock(&schedule);
    if let Some(agent_id) = query_value(req.uri().query(), "agentId") {
        let touched = org
            .member(&inner.agents, schedule.business_unit, &agent_id)
            .and_then(|agent| schedule.touch_agent(agent));
        if touched.is_none() {
            let message = "The agent has no schedule in this schedule.";
            return api_error(404, codes::NOT_FOUND, message, &cid);
        }
    }
    let now = inner.wfm.wall(inner.now());
    schedule.touch(EMULATOR_USER, now);
    json_value(
        200,
        &schedule.metadata(org, &inner.agents, Units::None),
        &cid,
    )
}

/// The body of `POST /__emulator/wfm/refuse`.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RefuseRequest {
    #[serde(default)]
    user_ids: Vec<String>,
    /// Forgets the agents refused before, first.
    #[serde(default)]
    clear: bool,
}

/// The set of refused agents, as every answer of the refusal route shows it.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct RefusedAnswer {
    user_ids: Vec<String>,
}

/// `POST /__emulator/wfm/refuse` `{"userIds": [...], "clear": false}`: from now on, an update
/// whose upload holds any of these agents ends `Error` and applies nothing. The ids add to those
/// refused before (after forgetting them with `clear`); unknown ids are kept and never match.
async fn refuse(State(state): State<AppState>, body: Body) -> Response {
    let inner = &*state.inner;
    let cid = inner.cids.next();
    let max = inner.config.request_bytes_max;
    let Ok(bytes) = axum::body::to_bytes(body, max).await else {
        let message = format!("The request body exceeds the maximum of {max} bytes.");
        return api_error(413, codes::REQUEST_TOO_LARGE, &message, &cid);
    };
    let request: RefuseRequest = match serde_json::from_slice(&bytes) {
        Ok(request) => request,
        Err(err) => {
            let message = format!("The request body is not valid: {err}.");
            return api_error(400, codes::BAD_REQUEST, &message, &cid);
        }
    };
    let user_ids = inner.wfm.refuse(&request.user_ids, request.clear);
    json_value(200, &RefusedAnswer { user_ids }, &cid)
}

/// `DELETE /__emulator/wfm/refuse`: no agent is refused any more.
async fn refuse_none(State(state): State<AppState>) -> Response {
    let inner = &*state.inner;
    let user_ids = inner.wfm.refuse(&[], true);
    json_value(200, &RefusedAnswer { user_ids }, &inner.cids.next())
}

fn schedule_not_found(cid: &crate::respond::CorrelationId) -> Response {
    api_error(404, codes::NOT_FOUND, "The schedule was not found.", cid)
}
