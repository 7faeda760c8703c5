//! Integration tests of pacer-client against a tiny axum server on 127.0.0.1:0.
//!
//! The server runs on its own thread and runtime, so that a client test may pause its own clock
//! without pausing the server.

mod bulk;
mod executor;
mod http;
mod tls;
mod tokens;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use pacer_client::{Credentials, HttpClient, HttpConfig, Secret, TokenConfig, TokenManager};

/// `Basic base64("pacer-demo:pacer-demo-secret")`.
const DEMO_BASIC: &str = "Basic cGFjZXItZGVtbzpwYWNlci1kZW1vLXNlY3JldA==";

/// The demo client's credentials, which the test server accepts.
pub fn demo_credentials() -> Credentials {
    Credentials::new("pacer-demo", Secret::new("pacer-demo-secret"))
}

/// A token manager for the demo client on `server`, minting through `http`.
pub fn demo_tokens(server: &TestServer, http: &HttpClient) -> TokenManager {
    TokenManager::new(
        http.clone(),
        server.url("/oauth/token"),
        demo_credentials(),
        TokenConfig::default(),
    )
}

/// An HTTP client with a 5 s request timeout.
pub fn client() -> HttpClient {
    HttpClient::new(&HttpConfig {
        request_timeout: Duration::from_secs(5),
        ..HttpConfig::default()
    })
    .unwrap()
}

/// What the test server does and what it saw.
#[derive(Default)]
pub struct ServerState {
    /// Lifetime of minted tokens, in seconds (86,400 unless set).
    pub expires_in: AtomicU64,
    /// Successful mints.
    pub mints: AtomicU64,
    /// Requests to the token endpoint, whatever their answer.
    pub token_requests: AtomicU64,
    /// Answer 429 (Retry-After: 2) to this many more token requests.
    pub throttle_mints: AtomicU64,
    /// Answer 500 to this many more token requests.
    pub fail_mints: AtomicU64,
    /// Tokens the API accepts.
    pub valid: Mutex<HashSet<String>>,
    /// Answer 401 to every API request, whatever its token.
    pub reject_all: AtomicBool,
    /// API requests received.
    pub api_requests: AtomicU64,
    /// Remote addresses of the API requests, to count connections.
    pub peers: Mutex<HashSet<SocketAddr>>,
}

impl ServerState {
    /// Forgets every token, as the emulator's "revoke all tokens" fault does.
    pub fn revoke_all(&self) {
        self.valid.lock().unwrap().clear();
    }
}

/// A running test server; stopped when dropped.
pub struct TestServer {
    pub base: String,
    pub state: Arc<ServerState>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    pub fn start() -> TestServer {
        let state = Arc::new(ServerState::default());
        state.expires_in.store(86_400, Ordering::Relaxed);
        let app = Router::new()
            .route("/oauth/token", post(token))
            .route("/api/v2/users/{id}", put(echo))
            .route("/slow", get(slow))
            .with_state(state.clone());
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let base = format!("http://{}", std_listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
                let serve = axum::serve(
                    listener,
                    app.into_make_service_with_connect_info::<SocketAddr>(),
                );
                tokio::select! {
                    _ = serve => {}
                    _ = stopped => {}
                }
            });
            // Dropping the runtime cancels handlers still running (the slow route).
            runtime.shutdown_background();
        });
        TestServer {
            base,
            state,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn token(State(state): State<Arc<ServerState>>, headers: HeaderMap, body: Bytes) -> Response {
    state.token_requests.fetch_add(1, Ordering::Relaxed);
    if take_one(&state.throttle_mints) {
        return (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "2")], "{}").into_response();
    }
    if take_one(&state.fail_mints) {
        return (StatusCode::INTERNAL_SERVER_ERROR, "{}").into_response();
    }
    let form = headers.get("content-type").and_then(|v| v.to_str().ok());
    if form != Some("application/x-www-form-urlencoded")
        || &body[..] != b"grant_type=client_credentials"
    {
        return (
            StatusCode::BAD_REQUEST,
            r#"{"error":"unsupported_grant_type"}"#,
        )
            .into_response();
    }
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(DEMO_BASIC) {
        let body = r#"{"error":"invalid_client","description":"client not found","error_description":"client not found"}"#;
        return (
            StatusCode::UNAUTHORIZED,
            [("content-type", "application/json")],
            body,
        )
            .into_response();
    }
    let n = state.mints.fetch_add(1, Ordering::Relaxed) + 1;
    let access = format!("tok-{n}");
    state.valid.lock().unwrap().insert(access.clone());
    let body = serde_json::json!({
        "access_token": access,
        "token_type": "bearer",
        "expires_in": state.expires_in.load(Ordering::Relaxed),
    });
    (
        StatusCode::OK,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn echo(
    State(state): State<Arc<ServerState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let n = state.api_requests.fetch_add(1, Ordering::Relaxed) + 1;
    state.peers.lock().unwrap().insert(peer);
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_string();
    let accepted =
        !state.reject_all.load(Ordering::Relaxed) && state.valid.lock().unwrap().contains(&bearer);
    if !accepted {
        let body =
            r#"{"message":"Invalid login credentials.","code":"bad.credentials","status":401}"#;
        return (
            StatusCode::UNAUTHORIZED,
            [("inin-correlation-id", format!("corr-{n}"))],
            body,
        )
            .into_response();
    }
    let mut out = body.to_vec();
    out.extend_from_slice(format!(" for {id}").as_bytes());
    (
        StatusCode::OK,
        [
            ("inin-correlation-id", format!("corr-{n}")),
            ("set-cookie", "session=do-not-print".to_string()),
        ],
        out,
    )
        .into_response()
}

async fn slow() -> &'static str {
    // Real time on the server's own runtime; the server is stopped long before this ends.
    tokio::time::sleep(Duration::from_secs(30)).await;
    "late"
}

fn take_one(counter: &AtomicU64) -> bool {
    counter
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
        .is_ok()
}
