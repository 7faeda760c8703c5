//! The notification service's HTTP surface: creating a channel, its subscriptions, and the
//! WebSocket upgrade at the channel's connect URI.

use axum::body::Body;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use pacer_genesys::datetime::format_seconds;
use pacer_genesys::errors::codes;
use pacer_genesys::notifications::{Channel, ChannelTopic};
use pacer_genesys::wfm::{Entities, schedule_query_topic};

use crate::http::{Ctx, query_value, read_json};
use crate::notify::{Change, ChannelProblem, Subscription};
use crate::respond::{CorrelationId, api_error, empty, json_value};
use crate::route::Route;
use crate::state::AppState;

/// Answers one notification route.
pub async fn serve(ctx: &Ctx<'_>, route: Route, body: Body) -> Response {
    let channel = route
        .params(ctx.parts.uri.path())
        .first()
        .copied()
        .unwrap_or("")
        .to_string();
    match route {
        Route::CreateChannel => create(ctx),
        Route::GetSubscriptions => subscribe(ctx, &channel, Change::Read, Vec::new()),
        Route::DeleteSubscriptions => match subscribe(ctx, &channel, Change::Clear, Vec::new()) {
            response if response.status().is_success() => empty(204, ctx.cid),
            response => response,
        },
        Route::PutSubscriptions | Route::PostSubscriptions => {
            let topics: Vec<ChannelTopic> = match read_json(ctx, body).await {
                Ok(topics) => topics,
                Err(problem) => return problem.answer(ctx.cid),
            };
            let change = if route == Route::PutSubscriptions {
                Change::Replace
            } else {
                Change::Add
            };
            subscribe(ctx, &channel, change, topics)
        }
        _ => api_error(
            404,
            codes::NOT_FOUND,
            "The resource was not found.",
            ctx.cid,
        ),
    }
}

/// `POST /api/v2/notifications/channels` (the body, `null` from the SDKs, is not read).
fn create(ctx: &Ctx<'_>) -> Response {
    let inner = ctx.inner;
    let id = inner.wfm.new_id();
    let lifetime = inner.config.wfm.channel_lifetime;
    inner
        .notifier
        .create(id.clone(), ctx.client, inner.now(), lifetime);
    let expires = inner.wfm.wall(inner.now() + lifetime);
    let body = Channel {
        connect_uri: format!("{}/channels/{id}", ctx.origin("ws")),
        id,
        expires: Some(format_seconds(expires)),
    };
    json_value(200, &body, ctx.cid)
}

fn subscribe(ctx: &Ctx<'_>, channel: &str, change: Change, topics: Vec<ChannelTopic>) -> Response {
    let inner = ctx.inner;
    let ignore_errors =
        query_value(ctx.parts.uri.query(), "ignoreErrors").as_deref() == Some("true");
    let org = &inner.wfm.org;
    let own_query_topic = schedule_query_topic(ctx.client_id());
    let permitted = |topic: &str| {
        topic == own_query_topic
            || org
                .business_units
                .iter()
                .any(|b| topic == pacer_genesys::wfm::schedules_topic(&b.id))
    };
    let names = topics.into_iter().map(|t| t.id).collect();
    let request = Subscription {
        change,
        topics: names,
        ignore_errors,
    };
    match inner
        .notifier
        .subscribe(channel, ctx.client, request, permitted, inner.now())
    {
        Ok(entities) => json_value(200, &Entities { entities }, ctx.cid),
        Err(ChannelProblem::NotFound) => {
            api_error(404, codes::NOT_FOUND, "The channel was not found.", ctx.cid)
        }
        Err(ChannelProblem::Invalid(message)) => {
            api_error(400, codes::BAD_REQUEST, &message, ctx.cid)
        }
    }
}

/// `GET /channels/{channelId}`: the WebSocket of a channel (the channel id is its credential).
pub async fn socket(
    State(state): State<AppState>,
    Path(id): Path<String>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let inner = state.inner.clone();
    let now = inner.now();
    let Some(expires) = inner.notifier.expires(&id).filter(|e| *e > now) else {
        let cid = CorrelationId::next_global();
        return api_error(404, codes::NOT_FOUND, "The channel was not found.", &cid);
    };
    let heartbeat = inner.config.wfm.heartbeat;
    upgrade
        .on_upgrade(move |socket| async move {
            inner
                .notifier
                .serve_socket(id, socket, heartbeat, expires - now)
                .await;
        })
        .into_response()
}
