//! The HTTP surface assembled: the router of every route, and the request pipeline every API
//! request goes through (faults, authentication, size, layered rate limits, then the route).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, header, request::Parts};
use axum::response::Response;
use axum::routing::{MethodFilter, MethodRouter, get, post, put};
use pacer_core::limiter::Snapshot;
use pacer_genesys::errors::codes;
use pacer_genesys::{ApiError, LimitRef, SeedRateLimitBody};

use crate::agents::parse_uuid;
use crate::conn::Conn;
use crate::faults::Injected;
use crate::hash::mix;
use crate::http::{Ctx, bearer};
use crate::limits::{Caller, Refusal};
use crate::metrics;
use crate::platform::{oauth, org_limits, user_schedule, users};
use crate::respond::{
    Advertised, CorrelationId, add_rate_limit_headers, api_error, ceil_secs, empty, json_value,
    set_retry_after, too_large,
};
use crate::route::Route;
use crate::state::{AppState, Inner, TokenInfo, TokenProblem};
use crate::style::{BodyStyle, HeaderStyle};

/// Marks a response whose connection is reset, so that it is not counted as answered.
#[derive(Debug, Clone, Copy)]
struct ResetMarker;

/// Builds the router for `state`; the seed thread's routes exist only when configured.
pub fn router(state: AppState) -> Router {
    let mut router = Router::new()
        .route("/oauth/token", post(oauth_token))
        .route("/api/v2/users", get(list_users))
        .route("/api/v2/users/search", post(search_users))
        .route("/api/v2/users/{userId}", get(get_user))
        .route(
            "/api/v2/organizations/limits/namespaces/{namespace}",
            get(org_limits),
        )
        .route("/__emulator/stats", get(metrics::stats))
        .route("/__emulator/reset", post(metrics::reset))
        .route("/metrics", get(metrics::metrics));
    if state.config().seed_routes {
        router = router.route(
            "/api/v2/wfm/usersettings/{userId}/schedule",
            put(put_schedule).get(get_schedule),
        );
    }
    router = crate::emulator_routes::add(router)
        .route("/channels/{channelId}", get(crate::notify::routes::socket));
    for (template, methods) in wfm_method_routers() {
        router = router.route(template, methods);
    }
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

/// One method router per path of the WFM and notification routes, each method sent through the
/// same pipeline as every API route.
fn wfm_method_routers() -> BTreeMap<&'static str, MethodRouter<AppState>> {
    let mut routers: BTreeMap<&'static str, MethodRouter<AppState>> = BTreeMap::new();
    for route in Route::ALL {
        if !(route.is_wfm() || route.is_notifications()) {
            continue;
        }
        let handler = move |State(state): State<AppState>, req: Request| async move {
            serve_api(&state.inner, route, req).await
        };
        let filter = match route.method() {
            "POST" => MethodFilter::POST,
            "PUT" => MethodFilter::PUT,
            "DELETE" => MethodFilter::DELETE,
            _ => MethodFilter::GET,
        };
        let methods = routers.remove(route.template()).unwrap_or_default();
        routers.insert(route.template(), methods.on(filter, handler));
    }
    routers
}

async fn list_users(State(state): State<AppState>, req: Request) -> Response {
    serve_api(&state.inner, Route::ListUsers, req).await
}

async fn get_user(State(state): State<AppState>, req: Request) -> Response {
    serve_api(&state.inner, Route::GetUser, req).await
}

async fn search_users(State(state): State<AppState>, req: Request) -> Response {
    serve_api(&state.inner, Route::SearchUsers, req).await
}

async fn org_limits(State(state): State<AppState>, req: Request) -> Response {
    serve_api(&state.inner, Route::OrgLimits, req).await
}

async fn put_schedule(State(state): State<AppState>, req: Request) -> Response {
    serve_api(&state.inner, Route::PutSchedule, req).await
}

async fn get_schedule(State(state): State<AppState>, req: Request) -> Response {
    serve_api(&state.inner, Route::GetSchedule, req).await
}

/// Counts the answer of a request to an API or OAuth route.
fn count(inner: &Inner, response: &Response, write: bool) {
    if response.extensions().get::<ResetMarker>().is_some() {
        inner
            .stats
            .connections_reset
            .fetch_add(1, Ordering::Relaxed);
        if write {
            inner.stats.rejected_writes.fetch_add(1, Ordering::Relaxed);
        }
        return;
    }
    let status = response.status().as_u16();
    inner.stats.respond(status);
    if write && status != 200 {
        inner.stats.rejected_writes.fetch_add(1, Ordering::Relaxed);
    }
}

/// The pipeline of every API request.
async fn serve_api(inner: &Arc<Inner>, route: Route, req: Request) -> Response {
    inner.stats.requests_total.fetch_add(1, Ordering::Relaxed);
    let cid = inner.cids.next();
    let (parts, body) = req.into_parts();
    let response = match inject(inner, &parts, &cid).await {
        Some(response) => response,
        None => api(inner, route, &parts, body, &cid).await,
    };
    count(inner, &response, route == Route::PutSchedule);
    response
}

/// Applies configured faults: waits the drawn latency, then maybe answers in the request's place.
async fn inject(inner: &Inner, parts: &Parts, cid: &CorrelationId) -> Option<Response> {
    if !inner.faults.enabled() {
        return None;
    }
    let (latency, fault) = inner.faults.draw(inner.now());
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let response = match fault? {
        Injected::Maintenance {
            status,
            retry_after,
        } => {
            inner.stats.faults_injected.fetch_add(1, Ordering::Relaxed);
            let mut response = api_error(
                status,
                error_code(status),
                "The service is temporarily unavailable for maintenance.",
                cid,
            );
            set_retry_after(&mut response, retry_after);
            response
        }
        Injected::Error {
            status,
            retry_after,
        } => {
            inner.stats.faults_injected.fetch_add(1, Ordering::Relaxed);
            let mut response = api_error(status, error_code(status), error_message(status), cid);
            if let Some(wait) = retry_after {
                set_retry_after(&mut response, wait);
            }
            response
        }
        Injected::Reset => {
            if let Some(ConnectInfo(conn)) = parts.extensions.get::<ConnectInfo<Conn>>() {
                conn.kill.trip();
            }
            let mut response = empty(500, cid);
            response.extensions_mut().insert(ResetMarker);
            response
        }
    };
    Some(response)
}

fn error_code(status: u16) -> &'static str {
    match status {
        502 => codes::BAD_GATEWAY,
        503 => codes::SERVICE_UNAVAILABLE,
        504 => codes::GATEWAY_TIMEOUT,
        _ => codes::INTERNAL_SERVER_ERROR,
    }
}

fn error_message(status: u16) -> &'static str {
    match status {
        502 => "The server received an invalid response from an upstream server.",
        503 => "The service is currently unavailable. Please try again later.",
        504 => "The server did not receive a timely response from an upstream server.",
        _ => "The server encountered an unexpected condition.",
    }
}

/// Gives back concurrency slots when the request finishes, even if its future is dropped.
struct Release<'a> {
    inner: &'a Inner,
    held: Vec<(usize, u128)>,
}

impl Drop for Release<'_> {
    fn drop(&mut self) {
        self.inner.limits.release(&self.held, self.inner.now());
    }
}

/// Authentication, size, rate limits, then the route itself.
async fn api(
    inner: &Arc<Inner>,
    route: Route,
    parts: &Parts,
    body: Body,
    cid: &CorrelationId,
) -> Response {
    let now = inner.now();
    let info = match authenticate(inner, parts, now) {
        Ok(info) => info,
        Err(problem) => return unauthorized(problem, cid),
    };
    if let Some(response) = refuse_declared_size(inner, route, parts, cid) {
        return response;
    }
    let segment = path_segment(route, parts.uri.path());
    let admitted = match admit(inner, route, &info, segment, now) {
        Ok(admitted) => admitted,
        Err(refusal) => return throttled(inner, refusal, cid),
    };
    let ctx = Ctx {
        inner,
        parts,
        cid,
        client: info.client,
    };
    let mut response = answer(&ctx, route, segment.unwrap_or(""), body).await;
    advertise(inner, &admitted.advertised, &mut response);
    response
}

/// The bearer token's facts, or why it is refused.
fn authenticate(inner: &Inner, parts: &Parts, now: Duration) -> Result<TokenInfo, TokenProblem> {
    let token = bearer(&parts.headers).ok_or(TokenProblem::Missing)?;
    inner
        .tokens
        .check(token, now, inner.faults.revoke_tokens_at())
}

/// The 413 of a per-agent schedule write whose declared length is past `request.bytes.max`.
fn refuse_declared_size(
    inner: &Inner,
    route: Route,
    parts: &Parts,
    cid: &CorrelationId,
) -> Option<Response> {
    let max = inner.config.request_bytes_max;
    let past = content_length(&parts.headers).is_some_and(|len| len > max as u64);
    (route == Route::PutSchedule && past).then(|| too_large(max, cid))
}

/// What the rate limits granted a request: the limiters to advertise, and the concurrency slots
/// it holds until it is answered.
struct Admitted<'a> {
    advertised: Vec<(usize, Snapshot)>,
    _release: Option<Release<'a>>,
}

/// Passes the request through every limiter that covers its route, or returns the refusal.
fn admit<'a>(
    inner: &'a Inner,
    route: Route,
    info: &TokenInfo,
    segment: Option<&str>,
    now: Duration,
) -> Result<Admitted<'a>, Refusal> {
    if inner.limits.is_unlimited(route) {
        return Ok(Admitted {
            advertised: Vec::new(),
            _release: None,
        });
    }
    let user = if route.has_user() {
        segment.map(user_key)
    } else {
        None
    };
    let caller = Caller {
        token: info.id,
        client: info.client,
        user,
    };
    let style = inner.config.responses.rate_limit_headers;
    let admission = inner
        .limits
        .admit(route, &caller, now, style != HeaderStyle::None)?;
    Ok(Admitted {
        advertised: admission.advertised,
        _release: (!admission.held.is_empty()).then(|| Release {
            inner,
            held: admission.held,
        }),
    })
}

/// The route's own answer.
async fn answer(ctx: &Ctx<'_>, route: Route, segment: &str, body: Body) -> Response {
    let (inner, cid) = (ctx.inner, ctx.cid);
    match route {
        route if route.is_wfm() => crate::wfm::routes::serve(ctx, route, body).await,
        route if route.is_notifications() => crate::notify::routes::serve(ctx, route, body).await,
        Route::ListUsers => users::list_users_page(inner, ctx.parts.uri.query(), cid),
        Route::GetUser => users::user_by_id(inner, segment, cid),
        Route::SearchUsers => users::search_users(ctx, body).await,
        Route::OrgLimits => org_limits::org_limits_page(inner, segment, cid),
        Route::PutSchedule => user_schedule::write_schedule(inner, segment, body, cid).await,
        Route::GetSchedule => user_schedule::read_schedule(inner, segment, cid),
        _ => api_error(
            404,
            codes::NOT_FOUND,
            "The requested resource was not found.",
            cid,
        ),
    }
}

/// Adds the rate-limit headers of the configured style, describing the advertised limiters.
fn advertise(inner: &Inner, advertised: &[(usize, Snapshot)], response: &mut Response) {
    if advertised.is_empty() {
        return;
    }
    let limits: Vec<Advertised<'_>> = advertised
        .iter()
        .map(|(index, snapshot)| {
            let config = inner.limits.config(*index);
            Advertised {
                key: &config.key,
                window: config.spec.window,
                snapshot: *snapshot,
            }
        })
        .collect();
    let style = inner.config.responses.rate_limit_headers;
    add_rate_limit_headers(response, style, &limits);
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// The variable segment of a route's path: the user id or the namespace.
fn path_segment(route: Route, path: &str) -> Option<&str> {
    match route {
        Route::ListUsers => None,
        Route::GetUser => path.strip_prefix("/api/v2/users/"),
        Route::OrgLimits => path.strip_prefix("/api/v2/organizations/limits/namespaces/"),
        Route::PutSchedule | Route::GetSchedule => path
            .strip_prefix("/api/v2/wfm/usersettings/")
            .and_then(|rest| rest.strip_suffix("/schedule")),
        _ => None,
    }
}

/// A user-scoped limiter's key: the UUID, or a hash of a segment that is not one.
fn user_key(segment: &str) -> u128 {
    parse_uuid(segment).unwrap_or_else(|| {
        let hash = segment.bytes().fold(0xCBF2_9CE4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3)
        });
        u128::from(mix(hash)) | (1u128 << 127)
    })
}

fn unauthorized(problem: TokenProblem, cid: &CorrelationId) -> Response {
    let (code, message) = match problem {
        TokenProblem::Missing => (
            codes::AUTHENTICATION_REQUIRED,
            "No authentication bearer token specified in authorization header.",
        ),
        TokenProblem::Unknown => (codes::BAD_CREDENTIALS, "Invalid login credentials."),
        TokenProblem::Expired => (
            codes::CREDENTIALS_EXPIRED,
            "The supplied credentials are expired and cannot be used.",
        ),
    };
    api_error(401, code, message, cid)
}

/// The 429 in the configured style, naming the refusing limit.
fn throttled(inner: &Inner, refusal: Refusal, cid: &CorrelationId) -> Response {
    inner.stats.throttled[refusal.limiter].fetch_add(1, Ordering::Relaxed);
    let config = inner.limits.config(refusal.limiter);
    let responses = &inner.config.responses;
    let secs = ceil_secs(refusal.retry_after);
    let mut response = match responses.rate_limit_body {
        BodyStyle::Genesys => {
            // The count per nominal window, as the limits API says it (K times it at `--speed K`).
            let limit = responses.limit_object.then(|| LimitRef {
                key: config.key.clone(),
                namespace: config.namespace.clone(),
                value: inner.config.nominal_count(config.spec.limit),
            });
            json_value(
                429,
                &ApiError::rate_limited(secs, cid.as_str().to_string(), limit),
                cid,
            )
        }
        BodyStyle::Seed => json_value(429, &SeedRateLimitBody::new(secs), cid),
    };
    set_retry_after(&mut response, refusal.retry_after);
    if config.advertise {
        let advertised = [Advertised {
            key: &config.key,
            window: config.spec.window,
            snapshot: refusal.snapshot,
        }];
        add_rate_limit_headers(&mut response, responses.rate_limit_headers, &advertised);
    }
    response
}

/// `POST /oauth/token`: client credentials, HTTP Basic or form fields.
async fn oauth_token(State(state): State<AppState>, req: Request) -> Response {
    let inner = &*state.inner;
    inner.stats.requests_total.fetch_add(1, Ordering::Relaxed);
    let cid = inner.cids.next();
    let (parts, body) = req.into_parts();
    let mut response = match inject(inner, &parts, &cid).await {
        Some(response) => response,
        None => oauth::mint(inner, &parts, body, &cid).await,
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    count(inner, &response, false);
    response
}

/// Unknown routes: a Genesys 404 with a correlation id.
async fn not_found(State(state): State<AppState>) -> Response {
    let inner = &*state.inner;
    inner.stats.requests_total.fetch_add(1, Ordering::Relaxed);
    let cid = inner.cids.next();
    let response = api_error(
        404,
        codes::NOT_FOUND,
        "The requested resource was not found.",
        &cid,
    );
    count(inner, &response, false);
    response
}

/// A known path with the wrong method.
async fn method_not_allowed(State(state): State<AppState>) -> Response {
    let inner = &*state.inner;
    inner.stats.requests_total.fetch_add(1, Ordering::Relaxed);
    let cid = inner.cids.next();
    let response = api_error(
        405,
        "method.not.allowed",
        "The HTTP method is not allowed on this resource.",
        &cid,
    );
    count(inner, &response, false);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_found() {
        assert_eq!(
            path_segment(Route::PutSchedule, "/api/v2/wfm/usersettings/abc/schedule"),
            Some("abc")
        );
        assert_eq!(path_segment(Route::GetUser, "/api/v2/users/u1"), Some("u1"));
        assert_eq!(
            path_segment(
                Route::OrgLimits,
                "/api/v2/organizations/limits/namespaces/platform.api"
            ),
            Some("platform.api")
        );
    }
}
