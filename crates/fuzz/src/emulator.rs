//! The emulator's request parsing: any method, path, headers and body on any route (with a valid
//! token or none) is answered without panic and without a 500, through the whole pipeline.

use std::sync::OnceLock;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use base64::Engine as _;
use pacer_emulator::route::Route;
use pacer_emulator::{AppState, Config, Overrides, Profile};
use tower::ServiceExt as _;

use crate::draw::Draw;

/// The week every path names, in the business unit that starts on Monday.
const WEEK: &str = "2026-12-07";

/// An emulator answering in process, and the ids its paths need.
struct World {
    runtime: tokio::runtime::Runtime,
    app: axum::Router,
    token: String,
    business_unit: String,
    management_unit: String,
    schedule: String,
    agent: String,
}

/// The request drawn: method, a route's template with real ids (or a path of the bytes'), a
/// suffix, then `name: value` header lines up to an empty line, then the body.
pub fn run(data: &[u8]) {
    let world = world();
    let mut draw = Draw::new(data);
    let method = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::HEAD,
    ][usize::from(draw.byte()) % 6]
        .clone();
    let template = usize::from(draw.byte());
    let flags = draw.byte();
    let suffix = draw.text(200);
    let path = match Route::ALL.get(template % (Route::ALL.len() + 3)) {
        Some(route) => world.fill(route.template()) + &suffix,
        None if template % 3 == 0 => format!("/oauth/token{suffix}"),
        None if template % 3 == 1 => format!("/__emulator/uploads/{suffix}"),
        None => suffix,
    };
    let mut request = Request::builder().method(method).uri(path);
    if flags & 1 == 1 {
        request = request.header("authorization", format!("Bearer {}", world.token));
    }
    if flags & 2 == 2 {
        request = request.header("content-type", "application/json");
    }
    loop {
        let line = draw.line();
        if line.is_empty() {
            break;
        }
        let colon = line.iter().position(|&b| b == b':').unwrap_or(line.len());
        let value = line.get(colon + 1..).unwrap_or(&[]);
        request = request.header(&line[..colon], value);
    }
    let Ok(request) = request.body(Body::from(draw.rest().to_vec())) else {
        return;
    };
    let app = world.app.clone();
    let status = world
        .runtime
        .block_on(async move { app.oneshot(request).await })
        .map(|response| response.status())
        .unwrap_or_else(|never| match never {});
    assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR);
}

impl World {
    fn fill(&self, template: &str) -> String {
        template
            .replace("{businessUnitId}", &self.business_unit)
            .replace("{managementUnitId}", &self.management_unit)
            .replace("{scheduleId}", &self.schedule)
            .replace("{weekId}", WEEK)
            .replace("{userId}", &self.agent)
            .replace("{agentId}", &self.agent)
            .replace("{namespace}", "platform.api")
            .replace("{channelId}", "channel")
    }
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let mut config = Config::profile(Profile::Genesys);
        Overrides {
            agents: Some(40),
            no_limits: true,
            today: Some("2026-12-09".into()),
            bulk_processing: Some(Duration::ZERO),
            ..Overrides::default()
        }
        .apply(&mut config)
        .expect("a valid configuration");
        config.seed_routes = true;
        let state = AppState::new(config).expect("a valid emulator");
        let agent = state.agent_id(0).expect("agent 0");
        let app = pacer_emulator::app(state);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let get = |path: &str, token: &str| -> serde_json::Value {
            let request = Request::builder()
                .uri(path)
                .header("authorization", format!("Bearer {token}"))
                .body(Body::empty())
                .expect("a request");
            answer(&runtime, &app, request)
        };
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", "pacer-demo", "pacer-demo-secret"));
        let request = Request::post("/oauth/token")
            .header("authorization", format!("Basic {basic}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from("grant_type=client_credentials"))
            .expect("a request");
        let token = answer(&runtime, &app, request)["access_token"]
            .as_str()
            .expect("a token")
            .to_string();
        let first = |value: serde_json::Value| -> String {
            value["entities"][0]["id"]
                .as_str()
                .expect("an entity")
                .to_string()
        };
        let units = "/api/v2/workforcemanagement/businessunits";
        let business_unit = first(get(units, &token));
        let management_unit = first(get(
            &format!("{units}/{business_unit}/managementunits"),
            &token,
        ));
        let schedule = first(get(
            &format!("{units}/{business_unit}/weeks/{WEEK}/schedules"),
            &token,
        ));
        World {
            runtime,
            app,
            token,
            business_unit,
            management_unit,
            schedule,
            agent,
        }
    })
}

fn answer(
    runtime: &tokio::runtime::Runtime,
    app: &axum::Router,
    request: Request<Body>,
) -> serde_json::Value {
    runtime.block_on(async {
        let response = app
            .clone()
            .oneshot(request)
            .await
            .unwrap_or_else(|e| match e {});
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("a body");
        serde_json::from_slice(&bytes).expect("a JSON answer")
    })
}
