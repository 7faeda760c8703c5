//! The agent-schedule reads: a schedule's query by management unit (inline, by download URL, or
//! asynchronously by notification, completed in the background) and the business unit's search
//! of published shifts.

use std::sync::Arc;

use pacer_genesys::datetime::parse_seconds;
use pacer_genesys::errors::codes;
use pacer_genesys::wfm::{
    AgentSchedulesQueryNotification, BuAsyncAgentSchedulesQueryResponse,
    BuAsyncAgentSchedulesSearchResponse, BuQueryAgentSchedulesRequest,
    BuSchedulePublishedReference, BuSearchAgentSchedulesRequest, OperationStatus,
    schedule_query_topic,
};

use crate::http::{Answer, Ctx, Problem};
use crate::respond::{json, json_value};
use crate::state::Inner;
use crate::wfm::lock;
use crate::wfm::lookup::{find_bu, find_schedule};
use crate::wfm::publish::publish;
use crate::wfm::render::{AgentSchedules, Found, SearchAnswer, typed_marker};
use crate::wfm::transfer::DOWNLOAD_LIFETIME;

pub(super) fn query_agent_schedules(
    ctx: &Ctx<'_>,
    bu_id: &str,
    week_id: &str,
    schedule_id: &str,
    request: BuQueryAgentSchedulesRequest,
) -> Answer {
    let (bu, schedule) = find_schedule(ctx, bu_id, week_id, schedule_id)?;
    let inner = ctx.inner;
    let org = &inner.wfm.org;
    let Some(mu) = org
        .management_unit(&request.management_unit_id)
        .filter(|&m| org.management_units[m].business_unit == bu)
    else {
        return Err(Problem::bad_request(format!(
            "managementUnitId {} is not a management unit of this business unit.",
            request.management_unit_id
        )));
    };
    let (lo, hi) = org.management_units[mu].agents;
    let unit = &org.business_units[bu];
    let wanted: Vec<u32> = match &request.user_ids {
        Some(ids) => ids
            .iter()
            .filter_map(|id| inner.agents.find(id))
            .filter(|a| (lo..hi).contains(a))
            .collect(),
        None => (lo..hi).collect(),
    };
    let (result, count) = {
        let schedule = lock(&schedule);
        let view = AgentSchedules {
            schedule: &schedule,
            unit,
            agents: &inner.agents,
            list: &wanted,
        };
        let bytes = serde_json::to_vec(&view).map_err(|_| {
            Problem::new(
                500,
                codes::INTERNAL_SERVER_ERROR,
                "The server encountered an unexpected condition.",
            )
        })?;
        (bytes, view.count())
    };
    let force_async = ctx.query("forceAsync").as_deref() == Some("true");
    let force_download = ctx.query("forceDownloadService").as_deref() == Some("true");
    let large = count > inner.config.wfm.inline_query_agents as usize;
    if force_async {
        let operation_id = inner.wfm.new_id();
        finish_query(inner, ctx, bu, operation_id.clone(), result);
        let body = BuAsyncAgentSchedulesQueryResponse {
            status: OperationStatus::Processing,
            operation_id: Some(operation_id),
            result: None,
            download_url: None,
        };
        return Ok(json_value(200, &body, ctx.cid));
    }
    if large || force_download {
        let body = BuAsyncAgentSchedulesQueryResponse {
            status: OperationStatus::Complete,
            operation_id: None,
            result: None,
            download_url: Some(offer_download(ctx, result)),
        };
        return Ok(json_value(200, &body, ctx.cid));
    }
    // The result is inline: `BuAsyncAgentSchedulesQueryResponse` around bytes already written.
    Ok(json(200, inline_complete(&result), ctx.cid))
}

/// `agentschedules/search`: the unit's published shifts starting in `[startDate, endDate)`,
/// from every published schedule that overlaps the range, inline or by download URL.
pub(super) fn search_agent_schedules(
    ctx: &Ctx<'_>,
    bu_id: &str,
    request: BuSearchAgentSchedulesRequest,
) -> Answer {
    let bu = find_bu(ctx, bu_id)?;
    let (from, to) = search_range(&request)?;
    let wanted = search_members(ctx, bu, &request);
    let result = published_shifts(ctx, bu, &wanted, from, to);
    search_answer(ctx, &result)
}

/// The search's range in seconds since the epoch: `[startDate, endDate)`, at most 100 days.
fn search_range(request: &BuSearchAgentSchedulesRequest) -> Result<(i64, i64), Problem> {
    let range = |text: &str, field: &str| {
        parse_seconds(text)
            .map_err(|reason| Problem::bad_request(format!("{field} `{text}` {reason}.")))
    };
    let (from, to) = (
        range(&request.start_date, "startDate")?,
        range(&request.end_date, "endDate")?,
    );
    if to <= from || to - from > 100 * 86_400 {
        return Err(Problem::bad_request(
            "endDate must be after startDate, and the range at most 100 days.",
        ));
    }
    Ok((from, to))
}

/// The agents searched: those of `userIds` that belong to the unit, or every agent of it.
fn search_members(ctx: &Ctx<'_>, bu: usize, request: &BuSearchAgentSchedulesRequest) -> Vec<u32> {
    let inner = ctx.inner;
    let org = &inner.wfm.org;
    let unit = &org.business_units[bu];
    match &request.user_ids {
        Some(ids) => ids
            .iter()
            .filter_map(|id| org.member(&inner.agents, bu, id))
            .collect(),
        None => (unit.agents.0..unit.agents.1).collect(),
    }
}

/// The shifts of `wanted` that start in `[from, to)`, and their full days of time off whose day
/// starts (local midnight on the unit's wall clock) in it, from every published schedule of the
/// unit that overlaps the range; an agent that no such schedule holds is left out.
fn published_shifts<'c>(
    ctx: &Ctx<'c>,
    bu: usize,
    wanted: &[u32],
    from: i64,
    to: i64,
) -> SearchAnswer<'c> {
    let inner = ctx.inner;
    let unit = &inner.wfm.org.business_units[bu];
    let mut published = Vec::new();
    let mut found: Vec<Found> = wanted
        .iter()
        .map(|&agent| Found {
            agent,
            shifts: Vec::new(),
            markers: Vec::new(),
        })
        .collect();
    let mut present = vec![false; wanted.len()];
    for schedule in inner.wfm.schedules_of(bu, None) {
        let schedule = lock(&schedule);
        let (start, end) = schedule.bounds();
        if !schedule.published || end <= from || start >= to {
            continue;
        }
        published.push(BuSchedulePublishedReference {
            id: schedule.id.clone(),
            week_date: pacer_genesys::datetime::format_days(schedule.week),
            week_count: schedule.week_count,
        });
        for (i, &agent) in wanted.iter().enumerate() {
            if let Some((_, stored)) = schedule.shifts_of(agent) {
                present[i] = true;
                found[i]
                    .shifts
                    .extend(stored.into_iter().filter(|s| (from..to).contains(&s.start)));
                found[i].markers.extend(
                    schedule
                        .markers_of(agent)
                        .iter()
                        .filter(|m| (from..to).contains(&schedule.day_start(usize::from(m.day))))
                        .map(|m| typed_marker(unit, schedule.week, m)),
                );
            }
        }
    }
    let mut present = present.into_iter();
    found.retain(|_| present.next().unwrap_or(false));
    SearchAnswer {
        unit,
        agents: &inner.agents,
        found,
        published,
    }
}

/// The search's answer: the result inline, or by download URL past `inline_query_agents`.
fn search_answer(ctx: &Ctx<'_>, result: &SearchAnswer<'_>) -> Answer {
    let bytes = serde_json::to_vec(result).map_err(|_| {
        Problem::new(
            500,
            codes::INTERNAL_SERVER_ERROR,
            "The server encountered an unexpected condition.",
        )
    })?;
    let large = result.found.len() > ctx.inner.config.wfm.inline_query_agents as usize;
    if large {
        let body = BuAsyncAgentSchedulesSearchResponse {
            status: OperationStatus::Complete,
            operation_id: None,
            result: None,
            download_url: Some(offer_download(ctx, bytes)),
        };
        return Ok(json_value(200, &body, ctx.cid));
    }
    // The result is inline: `BuAsyncAgentSchedulesSearchResponse` around bytes already written.
    Ok(json(200, inline_complete(&bytes), ctx.cid))
}

/// `{"status":"Complete","result":...}` around a result already written.
fn inline_complete(result: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(result.len() + 40);
    body.extend_from_slice(br#"{"status":"Complete","result":"#);
    body.extend_from_slice(result);
    body.push(b'}');
    body
}

/// Keeps a query's result for download and returns its URL.
fn offer_download(ctx: &Ctx<'_>, result: Vec<u8>) -> String {
    let id = ctx.inner.wfm.new_id();
    let expires = ctx.inner.now() + DOWNLOAD_LIFETIME;
    ctx.inner.wfm.transfers.offer(id.clone(), result, expires);
    format!("{}/__emulator/downloads/{id}", ctx.origin("http"))
}

/// Completes an asynchronous agent-schedule query: after the configured time, its download URL
/// goes to the query topic of the token's user (a client-credentials token has none, so the
/// emulator uses the OAuth client's id in its place).
fn finish_query(
    inner: &Arc<Inner>,
    ctx: &Ctx<'_>,
    bu: usize,
    operation_id: String,
    result: Vec<u8>,
) {
    let download_url = offer_download(ctx, result);
    let topic = schedule_query_topic(ctx.client_id());
    let inner = inner.clone();
    let wait = inner.config.wfm.query_processing;
    tokio::spawn(async move {
        tokio::time::sleep(wait).await;
        let body = AgentSchedulesQueryNotification {
            status: OperationStatus::Complete,
            operation_id: operation_id.clone(),
            business_unit_id: inner.wfm.org.business_units[bu].id.clone(),
            download_url: Some(download_url),
        };
        publish(&inner, &topic, &body, &operation_id);
    });
}
