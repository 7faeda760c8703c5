//! The HTTP surface: OAuth, the API routes, the emulator's own routes, and the request pipeline
//! every API request goes through (faults, authentication, size, rate limits, then the route).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, header, request::Parts};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, get, post, put};
use pacer_genesys::errors::codes;
use pacer_genesys::{
    ApiError, LimitEntity, LimitRef, OAuthError, OrgLimits, SeedRateLimitBody, TokenResponse, User,
    UserListing, parse_schedule,
};

use crate::agents::{format_uuid, parse_uuid};
use crate::config::PLATFORM_NAMESPACE;
use crate::conn::ConnKill;
use crate::error::EmulatorError;
use crate::faults::Injected;
use crate::hash::mix;
use crate::http::{Ctx, basic_credentials, bearer, constant_time_eq, parse_form};
use crate::limits::{Caller, Refusal};
use crate::respond::{
    Advertised, CORRELATION_HEADER, CorrelationId, add_rate_limit_headers, api_error, ceil_secs,
    empty, json, json_value, set_retry_after,
};
use crate::route::Route;
use crate::state::{AppState, Inner, TokenProblem, schedule_members};
use crate::style::{BodyStyle, HeaderStyle};

/// The largest page of `GET /api/v2/users`.
const MAX_PAGE_SIZE: u32 = 500;
/// The default page of `GET /api/v2/users`.
const DEFAULT_PAGE_SIZE: u32 = 25;
/// The largest OAuth request body read.
const MAX_OAUTH_BODY: usize = 16 * 1024;

/// Marks a response whose connection is reset, so that it is not counted as answered.
#[derive(Debug, Clone, Copy)]
struct ResetMarker;

/// Builds the router for `state`; the seed thread's routes exist only when configured.
pub fn router(state: AppState) -> Router {
    let mut router = Router::new()
        .route("/oauth/token", post(oauth_token))
        .route("/api/v2/users", get(list_users))
        .route("/api/v2/users/{userId}", get(get_user))
        .route(
            "/api/v2/organizations/limits/namespaces/{namespace}",
            get(org_limits),
        )
        .route("/__emulator/stats", get(stats))
        .route("/__emulator/reset", post(reset))
        .route("/metrics", get(metrics));
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
            if let Some(ConnectInfo(kill)) = parts.extensions.get::<ConnectInfo<ConnKill>>() {
                kill.trip();
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
    let Some(token) = bearer(&parts.headers) else {
        return unauthorized(TokenProblem::Missing, cid);
    };
    let info = match inner
        .tokens
        .check(token, now, inner.faults.revoke_tokens_at())
    {
        Ok(info) => info,
        Err(problem) => return unauthorized(problem, cid),
    };
    let max = inner.config.request_bytes_max;
    if route == Route::PutSchedule
        && content_length(&parts.headers).is_some_and(|len| len > max as u64)
    {
        return too_large(max, cid);
    }
    let path = parts.uri.path();
    let segment = path_segment(route, path);
    let style = inner.config.responses.rate_limit_headers;
    let mut advertised = Vec::new();
    let mut _release = None;
    if !inner.limits.is_unlimited(route) {
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
        match inner
            .limits
            .admit(route, &caller, now, style != HeaderStyle::None)
        {
            Ok(admission) => {
                advertised = admission.advertised;
                if !admission.held.is_empty() {
                    _release = Some(Release {
                        inner,
                        held: admission.held,
                    });
                }
            }
            Err(refusal) => return throttled(inner, refusal, cid),
        }
    }
    let segment = segment.unwrap_or("");
    let ctx = Ctx {
        inner,
        parts,
        cid,
        client: info.client,
    };
    let mut response = match route {
        route if route.is_wfm() => crate::wfm::routes::serve(&ctx, route, body).await,
        route if route.is_notifications() => crate::notify::routes::serve(&ctx, route, body).await,
        Route::ListUsers => list_users_page(inner, parts.uri.query(), cid),
        Route::GetUser => match inner.agents.find(segment) {
            Some(agent) => json_value(200, &user(inner, agent), cid),
            None => user_not_found(cid),
        },
        Route::OrgLimits => org_limits_page(inner, segment, cid),
        Route::PutSchedule => write_schedule(inner, segment, body, cid).await,
        Route::GetSchedule => read_schedule(inner, segment, cid),
        _ => api_error(
            404,
            codes::NOT_FOUND,
            "The requested resource was not found.",
            cid,
        ),
    };
    if !advertised.is_empty() {
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
        add_rate_limit_headers(&mut response, style, &limits);
    }
    response
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

fn too_large(max: usize, cid: &CorrelationId) -> Response {
    let message =
        format!("The request body exceeds the maximum of {max} bytes (request.bytes.max).");
    api_error(413, codes::REQUEST_TOO_LARGE, &message, cid)
}

fn user_not_found(cid: &CorrelationId) -> Response {
    api_error(404, codes::NOT_FOUND, "The user could not be found.", cid)
}

/// The 429 in the configured style, naming the refusing limit.
fn throttled(inner: &Inner, refusal: Refusal, cid: &CorrelationId) -> Response {
    inner.stats.throttled[refusal.limiter].fetch_add(1, Ordering::Relaxed);
    let config = inner.limits.config(refusal.limiter);
    let responses = &inner.config.responses;
    let secs = ceil_secs(refusal.retry_after);
    let mut response = match responses.rate_limit_body {
        BodyStyle::Genesys => {
            let limit = responses.limit_object.then(|| LimitRef {
                key: config.key.clone(),
                namespace: config.namespace.clone(),
                value: u64::from(config.spec.limit),
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

fn user(inner: &Inner, agent: u32) -> User {
    let id = format_uuid(inner.agents.id(agent));
    let email = inner.agents.email(agent);
    User {
        self_uri: Some(format!("/api/v2/users/{id}")),
        id,
        name: inner.agents.name(agent),
        username: Some(email.clone()),
        email: Some(email),
        state: Some("active".into()),
        version: Some(1),
    }
}

/// Reads `pageSize` and `pageNumber` from a query string.
fn paging(query: Option<&str>) -> Result<(u32, u32), String> {
    let (mut size, mut number) = (DEFAULT_PAGE_SIZE, 1);
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let parse = |value: &str| {
            value
                .parse::<u32>()
                .map_err(|_| format!("Invalid value for {name}: {value}"))
        };
        match name {
            "pageSize" => size = parse(value)?,
            "pageNumber" => number = parse(value)?,
            _ => {}
        }
    }
    if !(1..=MAX_PAGE_SIZE).contains(&size) {
        return Err(format!("pageSize must be between 1 and {MAX_PAGE_SIZE}"));
    }
    if number == 0 {
        return Err("pageNumber must be at least 1".into());
    }
    Ok((size, number))
}

fn list_users_page(inner: &Inner, query: Option<&str>, cid: &CorrelationId) -> Response {
    let (size, number) = match paging(query) {
        Ok(paging) => paging,
        Err(message) => return api_error(400, codes::BAD_REQUEST, &message, cid),
    };
    let total = inner.agents.len() as u64;
    let page_count = total.div_ceil(u64::from(size)) as u32;
    let start = u64::from(number - 1) * u64::from(size);
    let end = (start + u64::from(size)).min(total);
    let entities = (start..end.max(start))
        .map(|agent| user(inner, agent as u32))
        .collect();
    let uri = |n: u32| format!("/api/v2/users?pageSize={size}&pageNumber={n}");
    let listing = UserListing {
        entities,
        page_size: size,
        page_number: number,
        total,
        page_count,
        first_uri: Some(uri(1)),
        self_uri: Some(uri(number)),
        next_uri: (number < page_count).then(|| uri(number + 1)),
        previous_uri: (number > 1).then(|| uri(number - 1)),
        last_uri: Some(uri(page_count.max(1))),
    };
    json_value(200, &listing, cid)
}

fn org_limits_page(inner: &Inner, namespace: &str, cid: &CorrelationId) -> Response {
    let mut entities: Vec<LimitEntity> = Vec::new();
    let config = &inner.config;
    for limiter in config
        .limiters
        .iter()
        .chain(config.oauth.mint_limit.as_ref())
    {
        if limiter.namespace == namespace && !entities.iter().any(|e| e.key == limiter.key) {
            entities.push(LimitEntity {
                key: limiter.key.clone(),
                namespace: limiter.namespace.clone(),
                value: u64::from(limiter.spec.limit),
            });
        }
    }
    if namespace == PLATFORM_NAMESPACE {
        entities.push(LimitEntity {
            key: "request.bytes.max".into(),
            namespace: PLATFORM_NAMESPACE.into(),
            value: config.request_bytes_max as u64,
        });
    }
    if entities.is_empty() {
        let message = format!("The limits namespace {namespace} was not found.");
        return api_error(404, codes::NOT_FOUND, &message, cid);
    }
    json_value(200, &OrgLimits { entities }, cid)
}

async fn write_schedule(inner: &Inner, segment: &str, body: Body, cid: &CorrelationId) -> Response {
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

fn read_schedule(inner: &Inner, segment: &str, cid: &CorrelationId) -> Response {
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

/// `POST /oauth/token`: client credentials, HTTP Basic or form fields.
async fn oauth_token(State(state): State<AppState>, req: Request) -> Response {
    let inner = &*state.inner;
    inner.stats.requests_total.fetch_add(1, Ordering::Relaxed);
    let cid = inner.cids.next();
    let (parts, body) = req.into_parts();
    let mut response = match inject(inner, &parts, &cid).await {
        Some(response) => response,
        None => mint(inner, &parts, body, &cid).await,
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    count(inner, &response, false);
    response
}

async fn mint(inner: &Inner, parts: &Parts, body: Body, cid: &CorrelationId) -> Response {
    let oauth_error = |status: u16, error: OAuthError| json_value(status, &error, cid);
    let Ok(bytes) = axum::body::to_bytes(body, MAX_OAUTH_BODY).await else {
        return oauth_error(
            400,
            OAuthError::new("invalid_request", "the request body is too large"),
        );
    };
    let form = parse_form(&bytes);
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let credentials = basic_credentials(&parts.headers).or_else(|| {
        Some((
            field("client_id")?.to_string(),
            field("client_secret")?.to_string(),
        ))
    });
    let Some((id, secret)) = credentials else {
        return oauth_error(401, OAuthError::invalid_client());
    };
    let client = inner
        .config
        .oauth
        .clients
        .iter()
        .position(|c| c.id == id && constant_time_eq(c.secret.as_bytes(), secret.as_bytes()));
    let Some(client) = client else {
        return oauth_error(401, OAuthError::invalid_client());
    };
    match field("grant_type") {
        Some("client_credentials") => {}
        Some(_) => {
            return oauth_error(
                400,
                OAuthError::new("unsupported_grant_type", "grant type not supported"),
            );
        }
        None => {
            return oauth_error(
                400,
                OAuthError::new("invalid_request", "grant_type is required"),
            );
        }
    }
    let now = inner.now();
    if let Err(refusal) = inner.limits.admit_mint(client as u32, now) {
        inner.stats.mint_throttled.fetch_add(1, Ordering::Relaxed);
        let limit = inner.limits.mint_config().map(|config| LimitRef {
            key: config.key.clone(),
            namespace: config.namespace.clone(),
            value: u64::from(config.spec.limit),
        });
        let body = ApiError::rate_limited(
            ceil_secs(refusal.retry_after),
            cid.as_str().to_string(),
            limit,
        );
        let mut response = json_value(429, &body, cid);
        set_retry_after(&mut response, refusal.retry_after);
        return response;
    }
    let lifetime = inner.config.oauth.token_lifetime;
    let token = inner.tokens.mint(client as u32, now, lifetime);
    inner.stats.tokens_minted.fetch_add(1, Ordering::Relaxed);
    json_value(200, &TokenResponse::bearer(token, lifetime.as_secs()), cid)
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

async fn stats(State(state): State<AppState>) -> Response {
    json_value(200, &state.stats(), &state.inner.cids.next())
}

async fn reset(State(state): State<AppState>) -> Response {
    state.reset();
    empty(204, &state.inner.cids.next())
}

/// Prometheus text exposition of the counters.
async fn metrics(State(state): State<AppState>) -> Response {
    let report = state.stats();
    let mut text = String::with_capacity(2048);
    let mut counter = |name: &str, help: &str, kind: &str, samples: &[(String, u64)]| {
        let _ = writeln!(text, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, value) in samples {
            let _ = writeln!(text, "{name}{labels} {value}");
        }
    };
    let plain = |v: u64| vec![(String::new(), v)];
    counter(
        "pacer_emulator_requests_total",
        "Requests to API and OAuth routes.",
        "counter",
        &plain(report.requests_total),
    );
    let by_status: Vec<(String, u64)> = report
        .responses_by_status
        .iter()
        .map(|(s, v)| (format!("{{status=\"{s}\"}}"), *v))
        .collect();
    counter(
        "pacer_emulator_responses_total",
        "Answers by HTTP status.",
        "counter",
        &by_status,
    );
    let throttled: Vec<(String, u64)> = report
        .throttled_by_limit
        .iter()
        .map(|(k, v)| (format!("{{limit=\"{k}\"}}"), *v))
        .collect();
    counter(
        "pacer_emulator_throttled_total",
        "429 answers by refusing limit.",
        "counter",
        &throttled,
    );
    counter(
        "pacer_emulator_tokens_minted_total",
        "Tokens minted.",
        "counter",
        &plain(report.tokens_minted),
    );
    counter(
        "pacer_emulator_writes_total",
        "Successful schedule writes.",
        "counter",
        &plain(report.writes_total),
    );
    counter(
        "pacer_emulator_rejected_writes_total",
        "Schedule writes not answered 200.",
        "counter",
        &plain(report.rejected_writes),
    );
    counter(
        "pacer_emulator_users_written",
        "Distinct agents written.",
        "gauge",
        &plain(report.users_written),
    );
    counter(
        "pacer_emulator_max_writes_per_user",
        "Most writes to one agent.",
        "gauge",
        &plain(report.max_writes_per_user),
    );
    counter(
        "pacer_emulator_faults_injected_total",
        "Injected error answers.",
        "counter",
        &plain(report.faults_injected),
    );
    counter(
        "pacer_emulator_connections_reset_total",
        "Connections reset on purpose.",
        "counter",
        &plain(report.connections_reset),
    );
    let mut response = Response::new(Body::from(text));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    headers.insert(CORRELATION_HEADER.clone(), state.inner.cids.next().header());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_defaults_and_bounds() {
        assert_eq!(paging(None), Ok((25, 1)));
        assert_eq!(
            paging(Some("pageSize=100&pageNumber=3&sortOrder=ASC")),
            Ok((100, 3))
        );
        assert!(paging(Some("pageSize=0")).is_err());
        assert!(paging(Some("pageSize=501")).is_err());
        assert!(paging(Some("pageNumber=0")).is_err());
        assert!(paging(Some("pageNumber=x")).is_err());
    }

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
