//! The WFM routes' answers, after the pipeline of `api` has authenticated and admitted the
//! request: reading units, codes, members and schedules, creating a schedule, querying agent
//! schedules, and the upload URL and update request of the asynchronous schedule update.

use std::sync::atomic::Ordering;

use axum::body::Body;
use axum::response::Response;
use pacer_genesys::errors::codes;
use pacer_genesys::wfm::{
    ActivityCode, AgentManagementUnitReference, BuAsyncScheduleResponse,
    BuCreateBlankScheduleRequest, BusinessUnit as BusinessUnitBody, BusinessUnitListItem,
    BusinessUnitSettings, Entities, IdRef, ManagementUnit as ManagementUnitBody, NamedRef,
    OperationStatus, ProcessScheduleUpdateUploadRequest, UpdateScheduleUploadResponse,
    UploadUrlRequestBody,
};

use crate::agents::format_uuid;
use crate::http::{Answer, Ctx, Problem, read_json};
use crate::respond::json_value;
use crate::route::Route;
use crate::wfm::lookup::{find_bu, find_schedule, find_week};
use crate::wfm::org::BusinessUnit;
use crate::wfm::schedules::Units;
use crate::wfm::transfer::UPLOAD_HEADERS;
use crate::wfm::update;
use crate::wfm::upload;
use crate::wfm::{lock, queries};

/// Answers one WFM route.
pub async fn serve(ctx: &Ctx<'_>, route: Route, body: Body) -> Response {
    answer(ctx, route, body)
        .await
        .unwrap_or_else(|problem| problem.answer(ctx.cid))
}

async fn answer(ctx: &Ctx<'_>, route: Route, body: Body) -> Answer {
    let params = route.params(ctx.parts.uri.path());
    let param = |i: usize| params.get(i).copied().unwrap_or("");
    match route {
        Route::BusinessUnits => Ok(business_units(ctx)),
        Route::BusinessUnit => business_unit(ctx, param(0)),
        Route::ManagementUnits => management_units(ctx, param(0)),
        Route::ActivityCodes => activity_codes(ctx, param(0)),
        Route::ManagementUnitUsers => management_unit_users(ctx, param(0)),
        Route::AgentManagementUnit => agent_management_unit(ctx, param(0)),
        Route::WeekSchedules => week_schedules(ctx, param(0), param(1)),
        Route::CreateSchedule => {
            let request = read_json(ctx, body).await?;
            create_schedule(ctx, param(0), param(1), request)
        }
        Route::WeekSchedule => week_schedule(ctx, param(0), param(1), param(2)),
        Route::QueryAgentSchedules => {
            let request = read_json(ctx, body).await?;
            queries::query_agent_schedules(ctx, param(0), param(1), param(2), request)
        }
        Route::SearchAgentSchedules => {
            let request = read_json(ctx, body).await?;
            queries::search_agent_schedules(ctx, param(0), request)
        }
        Route::UploadUrl => {
            let request = read_json(ctx, body).await?;
            upload_url(ctx, param(0), param(1), param(2), request)
        }
        Route::UpdateSchedule => {
            let request = read_json(ctx, body).await?;
            update_schedule(ctx, param(0), param(1), param(2), request)
        }
        _ => Err(Problem::not_found("resource")),
    }
}

fn business_units(ctx: &Ctx<'_>) -> Response {
    let org = &ctx.inner.wfm.org;
    let entities = org
        .business_units
        .iter()
        .map(|b| BusinessUnitListItem {
            id: b.id.clone(),
            name: b.name.clone(),
            authorized: true,
            division: Some(division(ctx, b)),
            self_uri: Some(bu_uri(&b.id)),
        })
        .collect();
    json_value(200, &Entities { entities }, ctx.cid)
}

/// A unit's division: the one a mirror named (whose name it does not keep), else the
/// organization's home division.
fn division(ctx: &Ctx<'_>, unit: &BusinessUnit) -> NamedRef {
    let (id, name) = match &unit.division {
        Some(id) => (id.clone(), None),
        None => (ctx.inner.wfm.org.division_id.clone(), Some("Home".into())),
    };
    NamedRef {
        self_uri: Some(format!("/api/v2/authorization/divisions/{id}")),
        id,
        name,
    }
}

pub(super) fn bu_uri(id: &str) -> String {
    format!("/api/v2/workforcemanagement/businessunits/{id}")
}

fn business_unit(ctx: &Ctx<'_>, id: &str) -> Answer {
    let bu = find_bu(ctx, id)?;
    let unit = &ctx.inner.wfm.org.business_units[bu];
    let expand = ctx.query("expand").unwrap_or_default();
    let wants = |field: &str| {
        expand
            .split(',')
            .any(|e| e == "settings" || e == format!("settings.{field}"))
    };
    let settings = (wants("startDayOfWeek") || wants("timeZone")).then(|| BusinessUnitSettings {
        start_day_of_week: wants("startDayOfWeek").then(|| unit.start_day_name().to_string()),
        time_zone: wants("timeZone").then(|| unit.zone.name().to_string()),
    });
    let body = BusinessUnitBody {
        id: unit.id.clone(),
        name: unit.name.clone(),
        division: Some(division(ctx, unit)),
        settings,
        self_uri: Some(bu_uri(&unit.id)),
    };
    Ok(json_value(200, &body, ctx.cid))
}

fn management_units(ctx: &Ctx<'_>, id: &str) -> Answer {
    let bu = find_bu(ctx, id)?;
    let org = &ctx.inner.wfm.org;
    let unit = &org.business_units[bu];
    let entities: Vec<ManagementUnitBody> = unit
        .management_units
        .clone()
        .map(|m| {
            let mu = &org.management_units[m];
            ManagementUnitBody {
                id: mu.id.clone(),
                name: mu.name.clone(),
                business_unit: Some(IdRef::new(unit.id.clone())),
                self_uri: Some(format!(
                    "/api/v2/workforcemanagement/managementunits/{}",
                    mu.id
                )),
            }
        })
        .collect();
    Ok(json_value(200, &Entities { entities }, ctx.cid))
}

fn activity_codes(ctx: &Ctx<'_>, id: &str) -> Answer {
    let bu = find_bu(ctx, id)?;
    let unit = &ctx.inner.wfm.org.business_units[bu];
    let entities: Vec<ActivityCode> = unit.codes.list().to_vec();
    Ok(json_value(200, &Entities { entities }, ctx.cid))
}

fn management_unit_users(ctx: &Ctx<'_>, id: &str) -> Answer {
    let org = &ctx.inner.wfm.org;
    let Some(mu) = org.management_unit(id) else {
        return Err(Problem::not_found("management unit"));
    };
    let agents = &ctx.inner.agents;
    let (lo, hi) = org.management_units[mu].agents;
    let entities: Vec<NamedRef> = (lo..hi)
        .map(|a| {
            let id = format_uuid(agents.id(a));
            NamedRef {
                self_uri: Some(format!("/api/v2/users/{id}")),
                id,
                name: Some(agents.name(a)),
            }
        })
        .collect();
    Ok(json_value(200, &Entities { entities }, ctx.cid))
}

fn agent_management_unit(ctx: &Ctx<'_>, agent_id: &str) -> Answer {
    let org = &ctx.inner.wfm.org;
    let found = ctx
        .inner
        .agents
        .find(agent_id)
        .and_then(|a| Some((a, org.unit_of(a)?)));
    let Some((agent, mu)) = found else {
        return Err(Problem::not_found("agent"));
    };
    let unit = &org.management_units[mu];
    let body = AgentManagementUnitReference {
        user: IdRef::new(format_uuid(ctx.inner.agents.id(agent))),
        management_unit: IdRef::new(unit.id.clone()),
        business_unit: IdRef::new(org.business_units[unit.business_unit].id.clone()),
    };
    Ok(json_value(200, &body, ctx.cid))
}

fn week_schedules(ctx: &Ctx<'_>, bu_id: &str, week_id: &str) -> Answer {
    let (bu, week) = if week_id == "recent" {
        (find_bu(ctx, bu_id)?, None)
    } else {
        let (bu, week) = find_week(ctx, bu_id, week_id)?;
        (bu, Some(week))
    };
    let only_published = ctx.query("includeOnlyPublished").as_deref() == Some("true");
    let wfm = &ctx.inner.wfm;
    let entities: Vec<_> = wfm
        .schedules_of(bu, week)
        .iter()
        .map(|s| lock(s))
        .filter(|s| !only_published || s.published)
        .map(|s| s.metadata(&wfm.org, &ctx.inner.agents, Units::None))
        .collect();
    Ok(json_value(200, &Entities { entities }, ctx.cid))
}

fn create_schedule(
    ctx: &Ctx<'_>,
    bu_id: &str,
    week_id: &str,
    request: BuCreateBlankScheduleRequest,
) -> Answer {
    let (bu, week) = find_week(ctx, bu_id, week_id)?;
    if !(1..=6).contains(&request.week_count) {
        return Err(Problem::bad_request("weekCount must be 1..=6."));
    }
    let wfm = &ctx.inner.wfm;
    let now = wfm.wall(ctx.inner.now());
    let schedule = wfm.create(
        bu,
        week,
        request.week_count,
        request.description,
        ctx.client_id(),
        now,
    );
    let body = lock(&schedule).metadata(&wfm.org, &ctx.inner.agents, Units::None);
    Ok(json_value(200, &body, ctx.cid))
}

fn week_schedule(ctx: &Ctx<'_>, bu_id: &str, week_id: &str, schedule_id: &str) -> Answer {
    let (_, schedule) = find_schedule(ctx, bu_id, week_id, schedule_id)?;
    let expand = ctx.query("expand").unwrap_or_default();
    let units = if expand.split(',').any(|e| e == "managementUnits.agents") {
        Units::WithAgents
    } else if expand.split(',').any(|e| e == "managementUnits") {
        Units::Counts
    } else {
        Units::None
    };
    let body = lock(&schedule).metadata(&ctx.inner.wfm.org, &ctx.inner.agents, units);
    Ok(json_value(200, &body, ctx.cid))
}

fn upload_url(
    ctx: &Ctx<'_>,
    bu_id: &str,
    week_id: &str,
    schedule_id: &str,
    request: UploadUrlRequestBody,
) -> Answer {
    find_schedule(ctx, bu_id, week_id, schedule_id)?;
    if request.content_length_bytes == 0 {
        return Err(Problem::bad_request(
            "contentLengthBytes must be at least 1.",
        ));
    }
    let inner = ctx.inner;
    let key = inner.wfm.new_id();
    let now = inner.now();
    inner.wfm.transfers.open(
        key.clone(),
        schedule_id.to_string(),
        request.content_length_bytes,
        now,
        now + inner.config.wfm.upload_key_lifetime,
    );
    let body = UpdateScheduleUploadResponse {
        url: format!("{}/__emulator/uploads/{key}", ctx.origin("http")),
        upload_key: key,
        headers: UPLOAD_HEADERS
            .iter()
            .map(|(n, v)| ((*n).to_string(), (*v).to_string()))
            .collect(),
        upload_body_schema: None,
    };
    Ok(json_value(200, &body, ctx.cid))
}

fn update_schedule(
    ctx: &Ctx<'_>,
    bu_id: &str,
    week_id: &str,
    schedule_id: &str,
    request: ProcessScheduleUpdateUploadRequest,
) -> Answer {
    let (bu, schedule) = find_schedule(ctx, bu_id, week_id, schedule_id)?;
    let inner = ctx.inner;
    let data = match inner
        .wfm
        .transfers
        .take(&request.upload_key, schedule_id, inner.now())
    {
        Ok(data) => data,
        Err(problem) => return Err(Problem::bad_request(problem.message())),
    };
    // The upload is read here to answer 400 or 409 at once, and again when it is processed: the
    // operation keeps only the compressed bytes meanwhile.
    let text = upload::inflate(&data).map_err(invalid_upload)?;
    let head = upload::read(&text, |_, _| Ok(())).map_err(invalid_upload)?;
    let (version, agents) = (head.version, head.agents);
    drop(text);
    let current = lock(&schedule).version;
    if version != current {
        return Err(Problem::new(
            409,
            codes::CONFLICT,
            format!(
                "The schedule was modified by another editor: metadata.version {version} is stale, the current version is {current}."
            ),
        ));
    }
    let operation_id = inner.wfm.new_id();
    inner.stats.updates_started.fetch_add(1, Ordering::Relaxed);
    let job = update::Job {
        by: ctx.client_id().to_string(),
        business_unit: bu,
        schedule,
        data,
        version,
        agents,
        operation_id: operation_id.clone(),
    };
    update::process(inner, job);
    let body = BuAsyncScheduleResponse {
        status: OperationStatus::Processing,
        operation_id: Some(operation_id),
        result: None,
    };
    Ok(json_value(202, &body, ctx.cid))
}

fn invalid_upload(reason: String) -> Problem {
    Problem::bad_request(format!("The uploaded schedule is not valid: {reason}."))
}
